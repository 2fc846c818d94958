"""Adapter for rule rungs_plot: see tunelab.analysis.rungcurves.rung_curves_file."""

from tunelab.analysis.rungcurves import rung_curves_file
from tunelab.io import end_job, log_to

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    rung_curves_file(snakemake.input.curves, snakemake.input.rungs,  # noqa: F821
                     snakemake.params.objective, snakemake.output[0])  # noqa: F821
end_job()
