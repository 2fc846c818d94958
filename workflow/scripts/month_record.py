"""Adapter for rule month_record: see tunelab.analysis.month.month_record_file."""

from tunelab.analysis.month import month_record_file
from tunelab.io import end_job, log_to

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    month_record_file(list(snakemake.input.parts), snakemake.input.decision,  # noqa: F821
                      snakemake.wildcards.study, snakemake.wildcards.month,  # noqa: F821
                      snakemake.params.objective, snakemake.output[0])  # noqa: F821
end_job()
