# The input functions and settings of the training rules (train.smk; train_rung and train_fidelity
# reuse them): the job's spec, its resources, and its job group under trials_per_job.
from tunelab.workflow import group_spec_json, per_study, signature_once, spec_json, train_input
from tunelab.workflow import group_runtime, train_entry, train_resources


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
# None for a dataset given as a span: only the study's training command reads its data.
TRAIN_DATA = per_study(STUDIES, lambda sp: f"data/prepared/{sp.study.dataset.name}.parquet"
                       if sp.study.dataset.is_file else [])

# trials_per_job: a trial trained by its job group's job only links the group's files for it
# (tunelab.train.from_group). Without job groups these stay constants: nothing is evaluated per job.
GROUPED = any(sp.plan.job_groups for sp in STUDIES.values())


@signature_once
def get_train_group(wildcards):
    return train_input(get_study(wildcards), wildcards.period, wildcards.trial, wildcards.block)


# What trains one trial: tunelab's loop, or the study's trainer.command (tunelab.train.command).
RUN_ENTRY = per_study(STUDIES, lambda sp: train_entry(sp.study))


@signature_once
def get_train_entry(wildcards):
    sp = get_study(wildcards)
    grouped = train_input(sp, wildcards.period, wildcards.trial, wildcards.block)
    return "tunelab.train.from_group" if grouped else train_entry(sp.study)


TRAIN_GROUP = get_train_group if GROUPED else []
TRAIN_ENTRY = get_train_entry if GROUPED else RUN_ENTRY


@signature_once
def get_group_runtime(wildcards, attempt):
    return group_runtime(get_study(wildcards), wildcards.job_group, attempt)


@signature_once
def get_group_priority(wildcards):
    return get_study(wildcards).plan.job_group_priority[wildcards.job_group]


def get_group_spec(wildcards):
    return group_spec_json(get_study(wildcards), wildcards.period, wildcards.job_group, wildcards.block)
