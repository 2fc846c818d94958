# Raw data -> data/prepared/<dataset>.parquet, once per dataset; every training job reads it.


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
