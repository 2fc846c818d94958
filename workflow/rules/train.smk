# One job = one trial on one period for a block of seeds. A shell job (not `script:`) keeps the
# per-job overhead to Python + torch start-up; the whole job description travels in `params.spec`,
# so a changed configuration re-runs exactly the jobs it touches. On SLURM (profiles/slurm) the
# training jobs go as job arrays whose tasks run side by side; no `group:` here, as the plugin runs
# a group's jobs one after another and cannot put grouped jobs in an array.


include: "inputs/train.smk"


rule train:
    input:
        data=TRAIN_DATA,
        group=TRAIN_GROUP,  # trials_per_job: the job group's outputs, when a group trains this trial
    output:
        metrics="results/{study}/runs/{period}/{trial}/{block}/metrics.json",
        curves="results/{study}/runs/{period}/{trial}/{block}/curves.csv",
        test="results/{study}/runs/{period}/{trial}/{block}/test.json",
        models="results/{study}/runs/{period}/{trial}/{block}/models.pt",
    params:
        spec=get_spec,
        entry=TRAIN_ENTRY,  # tunelab.train.loop trains; tunelab.train.from_group links a group's files
    log:
        "logs/{study}/runs/{period}/{trial}/{block}.log",
    threads: train_setting("cpus_per_task")
    resources:  # from the study's `resources` (profiles/slurm maps them to sbatch options)
        mem_mb=train_setting("mem_mb"),
        runtime=train_setting("runtime"),
        gpu=train_setting("gpu"),
        slurm_extra=train_setting("slurm_extra"),
    conda:
        "../envs/tunelab.yaml"
    shell:
        "python -m {params.entry} --spec {params.spec:q} --data={input.data:q}"
        " --metrics {output.metrics:q} --threads {threads} > {log:q} 2>&1"


# trials_per_job: the trials of one job group (one shape) on one period and seed block, trained
# together as one batched model; each trial's files land in <group folder>/<trial>/.
rule train_group:
    input:
        data=TRAIN_DATA,
    output:
        directory("results/{study}/runs/{period}/groups/{job_group}/{block}"),
    params:
        spec=get_group_spec,
    log:
        "logs/{study}/runs/{period}/groups/{job_group}/{block}.log",
    priority: get_group_priority  # the costliest groups first, so that no long one ends alone
    threads: train_setting("cpus_per_task")
    resources:
        mem_mb=train_setting("mem_mb"),
        runtime=get_group_runtime,  # one trial's runtime per trial of the group
        gpu=train_setting("gpu"),
        slurm_extra=train_setting("slurm_extra"),
    conda:
        "../envs/tunelab.yaml"
    shell:
        "python -m tunelab.train.loop --spec {params.spec:q} --data {input.data:q}"
        " --group-out {output:q} --threads {threads} > {log:q} 2>&1"
