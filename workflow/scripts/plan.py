"""Adapter for rule plan: see tunelab.workflow.write_plan_files."""

from tunelab.io import end_job, log_to
from tunelab.workflow import write_plan_files

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    write_plan_files(snakemake.input.study, snakemake.params.month,  # noqa: F821
                     snakemake.output.periods, snakemake.output.plan,  # noqa: F821
                     fast=snakemake.params.fast)  # noqa: F821
end_job()
