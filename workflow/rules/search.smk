# The adaptive phase (search.then): rounds of Bayesian optimisation after the exploration. Round k
# of a group is a checkpoint: it reads the finished runs of the group's exploration trials and of
# its rounds 1..k-1 and writes round k's trials (results/<study>/rounds/<group>/round<k>.csv);
# get_round_runs (inputs/search.smk) asks for those trials' runs. A round's file is a pure function
# of those runs and the study's seed (tunelab.search.adaptive), so a rerun suggests nothing new.
from tunelab.search.rounds import suggest_spec


include: "inputs/search.smk"


wildcard_constraints:
    group=r"[A-Za-z0-9_.-]+",
    round=r"[0-9]+",


checkpoint suggest:
    input:
        unpack(get_round_history),
    output:
        "results/{study}/rounds/{group}/round{round}.csv",
    params:
        spec=lambda w: suggest_spec(get_study(w).study, w.group, int(w.round), get_study(w).plan),
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
        decision="results/{study}/decision.json",  # the baseline and the candidate, marked
        curves="results/{study}/curves.parquet",  # learning curves, as Optuna's intermediate values
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
