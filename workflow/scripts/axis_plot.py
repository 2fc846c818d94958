"""Adapter for rule axis_plot: see tunelab.analysis.axis.axis_file."""

from tunelab.analysis.axis import axis_file
from tunelab.io import end_job, log_to

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    axis_file(snakemake.input[0], snakemake.params.context, snakemake.wildcards.hp,  # noqa: F821
              snakemake.output[0],  # noqa: F821
              snakemake.input.get("baselines"))  # noqa: F821
end_job()
