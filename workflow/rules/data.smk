# Raw data -> data/prepared/<dataset>.parquet, once per dataset; every training job reads it.


def get_prepared(wildcards):
    """The study's prepared data (the data report, baselines, overfit check, periods plot)."""
    return f"data/prepared/{get_study(wildcards).study.dataset.name}.parquet"


rule prepare_dataset:
    input:
        lambda w: DATASETS[w.dataset]["path"],
    output:
        "data/prepared/{dataset}.parquet",
    params:
        dataset=lambda w: DATASETS[w.dataset],
    log:
        "logs/data/{dataset}.log",
    conda:
        "../envs/tunelab.yaml"
    script:
        "../scripts/prepare_dataset.py"
