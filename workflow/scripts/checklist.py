"""Adapter for rule checklist: see tunelab.analysis.checklist.checklist_file."""

from tunelab.analysis.checklist import checklist_file
from tunelab.io import end_job, log_to

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    checklist_file(snakemake.input.trials, snakemake.input.runs, snakemake.input.curves,  # noqa: F821
                   snakemake.params.context, snakemake.output.md, snakemake.output.json,  # noqa: F821
                   snakemake.input.baselines)  # noqa: F821
end_job()
