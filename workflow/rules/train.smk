# One job = one trial on one period for a block of seeds. A shell job (not `script:`) keeps the
# per-job overhead to Python + torch start-up; the whole job description travels in `params.spec`,
# so a changed configuration re-runs exactly the jobs it touches. On SLURM (profiles/slurm) the
# training jobs go as job arrays whose tasks run side by side; no `group:` here, as the plugin runs
# a group's jobs one after another and cannot put grouped jobs in an array.
from tunelab.workflow import group_spec_json, per_study, signature_once, spec_json, train_input
from tunelab.workflow import train_resources


@signature_once
def get_spec(wildcards):
    return spec_json(get_study(wildcards), wildcards.period, wildcards.trial, wildcards.block)


def train_setting(name):
    """Threads or resource `name` of a training job, from the study's `resources` (mem_mb and
    runtime grow with the attempt): a constant when every selected study agrees, so that
    Snakemake evaluates no function for it per job (tunelab.workflow.per_study)."""
    return per_study(STUDIES, lambda sp: train_resources(sp.study)[name],
                     grows=name in ("mem_mb", "runtime"))


# The prepared data of a training job: one path when the selected studies share their dataset.
TRAIN_DATA = per_study(STUDIES, lambda sp: f"data/prepared/{sp.study.dataset.name}.parquet")

# trials_per_job: a trial trained by its job group's job only links the group's files for it
# (tunelab.train.from_group). Without job groups these stay constants: nothing is evaluated per job.
GROUPED = any(sp.plan.job_groups for sp in STUDIES.values())


@signature_once
def get_train_group(wildcards):
    return train_input(get_study(wildcards), wildcards.period, wildcards.trial, wildcards.block)


@signature_once
def get_train_entry(wildcards):
    grouped = train_input(get_study(wildcards), wildcards.period, wildcards.trial, wildcards.block)
    return "tunelab.train.from_group" if grouped else "tunelab.train.loop"


TRAIN_GROUP = get_train_group if GROUPED else []
TRAIN_ENTRY = get_train_entry if GROUPED else "tunelab.train.loop"


def get_group_spec(wildcards):
    return group_spec_json(get_study(wildcards), wildcards.period, wildcards.job_group, wildcards.block)


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
        "python -m {params.entry} --spec {params.spec:q} --data {input.data:q}"
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
    threads: train_setting("cpus_per_task")
    resources:
        mem_mb=train_setting("mem_mb"),
        runtime=train_setting("runtime"),
        gpu=train_setting("gpu"),
        slurm_extra=train_setting("slurm_extra"),
    conda:
        "../envs/tunelab.yaml"
    shell:
        "python -m tunelab.train.loop --spec {params.spec:q} --data {input.data:q}"
        " --group-out {output:q} --threads {threads} > {log:q} 2>&1"
