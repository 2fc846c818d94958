# One job = one trial on one period for a block of seeds. A shell job (not `script:`) keeps the
# per-job overhead to Python + torch start-up; the whole job description travels in `params.spec`,
# so a changed configuration re-runs exactly the jobs it touches.


rule train:
    input:
        data=get_prepared,
    output:
        metrics="results/{study}/runs/{period}/{trial}/{block}/metrics.json",
        curves="results/{study}/runs/{period}/{trial}/{block}/curves.csv",
        test="results/{study}/runs/{period}/{trial}/{block}/test.json",
        models="results/{study}/runs/{period}/{trial}/{block}/models.pt",
    params:
        spec=get_spec,
    log:
        "logs/{study}/runs/{period}/{trial}/{block}.log",
    threads: get_train_threads
    resources:  # from the study's `resources` (profiles/slurm maps them to sbatch options)
        mem_mb=get_train_resource("mem_mb"),
        runtime=get_train_resource("runtime"),
        gpu=get_train_resource("gpu"),
        slurm_extra=get_train_resource("slurm_extra"),
    group:  # bundled into one cluster submission per --group-components train=N (profiles/slurm)
        "train"
    conda:
        "../envs/tunelab.yaml"
    shell:
        "python -m tunelab.train.loop --spec {params.spec:q} --data {input.data:q}"
        " --metrics {output.metrics:q} --threads {threads} > {log:q} 2>&1"
