"""Adapter for rule curves_plot: see tunelab.analysis.curves.curves_plot_file."""

from tunelab.analysis.curves import curves_plot_file
from tunelab.io import end_job, log_to

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    curves_plot_file(snakemake.input.curves, snakemake.input.trials,  # noqa: F821
                     snakemake.output.all, snakemake.output.best,  # noqa: F821
                     snakemake.params.objective)  # noqa: F821
end_job()
