"""Adapter for rule prepare_dataset: see tunelab.dataset.prepare_file."""

from tunelab.dataset import prepare_file
from tunelab.io import log_to

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    prepare_file(snakemake.params.dataset, snakemake.output[0])  # noqa: F821
