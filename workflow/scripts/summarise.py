"""Adapter for rule summarise: see tunelab.collect.summarise_file."""

from tunelab.collect import summarise_file
from tunelab.io import end_job, log_to

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    summarise_file(snakemake.input[0], snakemake.output[0], snakemake.params.objective)  # noqa: F821
end_job()
