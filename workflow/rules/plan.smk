# The plan built at parse time, written for people: periods.csv (with the rotation month) and plan.csv.


rule plan:
    input:
        study=lambda w: get_study(w).study.path,
        data=lambda w: get_study(w).study.dataset.path or [],  # none for a dataset given as a span
    output:
        periods="results/{study}/periods.csv",
        plan="results/{study}/plan.csv",
    params:
        month=lambda w: get_study(w).plan.month,
        fast=lambda w: get_study(w).study.fast.on,
    log:
        "logs/{study}/plan.log",
    conda:
        "../envs/tunelab.yaml"
    script:
        "../scripts/plan.py"
