"""Adapter for rule convergence_plot: see tunelab.analysis.convergence.convergence_file."""

from tunelab.analysis.convergence import convergence_file
from tunelab.io import end_job, log_to

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    convergence_file(snakemake.input[0], snakemake.params.context, snakemake.output[0],  # noqa: F821
                     snakemake.input.get("baselines"))  # noqa: F821
end_job()
