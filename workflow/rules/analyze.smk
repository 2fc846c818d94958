# All runs -> runs.csv (one row per run) -> trials.csv (mean/std/min over seeds, per period and overall).


rule collect:
    input:
        get_metrics,
    output:
        "results/{study}/runs.csv",
    log:
        "logs/{study}/collect.log",
    conda:
        "../envs/tunelab.yaml"
    script:
        "../scripts/collect.py"


rule summarise:
    input:
        "results/{study}/runs.csv",
    output:
        "results/{study}/trials.csv",
    params:
        objective=lambda w: get_study(w).study["objective"],
    log:
        "logs/{study}/summarise.log",
    conda:
        "../envs/tunelab.yaml"
    script:
        "../scripts/summarise.py"
