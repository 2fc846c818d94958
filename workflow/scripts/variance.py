"""Adapter for rule variance: see tunelab.analysis.variance.variance_file."""

from tunelab.analysis.variance import variance_file
from tunelab.io import end_job, log_to

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    variance_file(snakemake.input.trials, snakemake.input.plan, snakemake.params.context,  # noqa: F821
                  snakemake.output.csv, snakemake.output.json)  # noqa: F821
end_job()
