# The adaptive phase (search.then): rounds of Bayesian optimisation after the exploration. Round k
# of a group is a checkpoint: it reads the finished runs of the group's exploration trials and of
# its rounds 1..k-1 and writes round k's trials (results/<study>/rounds/<group>/round<k>.csv);
# get_round_runs below then asks for those trials' runs. A round's file is a pure function of those
# runs and the study's seed (tunelab.search.adaptive), so a rerun suggests nothing new.
from tunelab.search.rounds import round_path, round_trials, suggest_spec
from tunelab.workflow import collected, study_rounds, trial_files


wildcard_constraints:
    group=r"[A-Za-z0-9_.-]+",
    round=r"[0-9]+",


def get_round_history(wildcards):
    """What round k of a group learns from: the exploration's part (suggest keeps the group's own
    trials) and the parts of the group's rounds 1..k-1, with those rounds' files."""
    earlier = study_rounds(get_study(wildcards), wildcards.group, int(wildcards.round) - 1)
    return {"parts": [collected(wildcards.study, part) for part in [None, *earlier]],
            "rounds": [round_path(wildcards.study, g, k) for g, k in earlier]}


def round_file(study, group, k):
    """Round k's file once its suggest job has run (until then Snakemake schedules that job)."""
    return checkpoints.suggest.get(study=study, group=group, round=str(k)).output[0]


def get_round_runs(name):
    """`name` of the runs of one round's trials (collect_round in analyze.smk, and `all`): known
    once its suggest checkpoint has run."""

    def files(w):
        trials = [t.id for t in round_trials(round_file(w.study, w.group, int(w.round)))]
        return trial_files(get_study(w), trials, name)

    return files


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


# The finished trials of every phase as an Optuna study: `optuna-dashboard results/<study>/optuna.journal`.
rule journal:
    input:
        "results/{study}/trials.csv",
    output:
        "results/{study}/optuna.journal",
    params:
        context=get_context,
    log:
        "logs/{study}/journal.log",
    conda:
        "../envs/tunelab.yaml"
    script:
        "../scripts/journal.py"


rule convergence_plot:
    input:
        "results/{study}/trials.csv",
    output:
        report(
            "results/{study}/plots/convergence.png",
            caption="../report/convergence.rst",
            category="Convergence",
            subcategory="{study}",
            labels={"study": "{study}", "plot": "convergence"},
        ),
    params:
        context=get_context,
    log:
        "logs/{study}/plots/convergence.log",
    conda:
        "../envs/tunelab.yaml"
    script:
        "../scripts/convergence_plot.py"
