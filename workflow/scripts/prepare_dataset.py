"""Adapter for rule prepare_dataset: see tunelab.data.dataset.prepare_file."""

from tunelab.data.dataset import prepare_file
from tunelab.io import end_job, log_to

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    prepare_file(snakemake.params.dataset, snakemake.output[0])  # noqa: F821
end_job()
