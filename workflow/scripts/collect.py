"""Adapter for rule collect: see tunelab.collect.collect_file."""

from tunelab.collect import collect_file
from tunelab.io import end_job, log_to

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    collect_file(list(snakemake.input.parts), snakemake.output[0],  # noqa: F821
                 list(snakemake.input.rounds))  # noqa: F821
end_job()
