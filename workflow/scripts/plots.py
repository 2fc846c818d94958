"""Adapter for the plots_<study> rules: see tunelab.analysis.figures.figures_file."""

from tunelab.analysis.figures import figures_file
from tunelab.io import end_job, log_to

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    figures_file(dict(snakemake.input.items()), snakemake.params.context,  # noqa: F821
                 snakemake.params.figures)  # noqa: F821
end_job()
