# The adaptive phase (search.then): rounds of Bayesian optimisation after the exploration. Round k
# of a group is a checkpoint: it reads the finished runs of the group's exploration trials and of
# its rounds 1..k-1 and writes round k's trials (results/<study>/rounds/<group>/round<k>.csv); the
# input functions below then ask for those trials' runs. A round's file is a pure function of those
# runs and the study's seed (tunelab.search.adaptive), so a rerun suggests nothing new.
from tunelab.search.rounds import groups as adaptive_groups
from tunelab.search.rounds import round_trials, settings as adaptive_settings, suggest_spec
from tunelab.workflow import trial_files


wildcard_constraints:
    group=r"[A-Za-z0-9_.-]+",
    round=r"[0-9]+",


def round_file(study, group, k):
    """Round k's file once its suggest job has run (until then Snakemake schedules that job)."""
    return checkpoints.suggest.get(study=study, group=group, round=str(k)).output[0]


def round_files(sp, group, upto, name=None):
    """Rounds 1..upto of `group`: their files, or (name) those files' trials' run files."""
    out = []
    for k in range(1, upto + 1):
        path = round_file(sp.study.name, group, k)
        out += trial_files(sp, [t.id for t in round_trials(path)], name) if name else [path]
    return out


def adaptive_files(wildcards, name=None):
    """Every round of every group of the study: files (name None) or their runs' `name` files."""
    sp = get_study(wildcards)
    then = adaptive_settings(sp.study)
    if not then:
        return []
    return [f for g in adaptive_groups(sp.study) for f in round_files(sp, g, then["rounds"], name)]


def get_round_history(wildcards):
    """What round k of a group learns from: its exploration trials' runs and rounds 1..k-1's."""
    sp = get_study(wildcards)
    label = adaptive_groups(sp.study)[wildcards.group][0]
    explored = [t.id for t in sp.plan.trials if t.group == label]
    earlier = int(wildcards.round) - 1
    return {"metrics": trial_files(sp, explored) + round_files(sp, wildcards.group, earlier, "metrics.json"),
            "rounds": round_files(sp, wildcards.group, earlier)}


checkpoint suggest:
    input:
        unpack(get_round_history),
    output:
        "results/{study}/rounds/{group}/round{round}.csv",
    params:
        spec=lambda w: suggest_spec(get_study(w).study, w.group, int(w.round)),
    log:
        "logs/{study}/rounds/{group}/round{round}.log",
    conda:
        "../envs/tunelab.yaml"
    script:
        "../scripts/suggest.py"
