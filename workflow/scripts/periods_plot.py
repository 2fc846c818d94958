"""Adapter for rule periods_plot: see tunelab.analysis.timeline.periods_file."""

from tunelab.analysis.timeline import periods_file
from tunelab.io import end_job, log_to

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    periods_file(snakemake.input.periods, snakemake.input.trials, snakemake.input.data,  # noqa: F821
                 snakemake.params.context, snakemake.output[0])  # noqa: F821
end_job()
