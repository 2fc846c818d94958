"""Adapter for rule collect_curves: see tunelab.collect.collect_curves_file."""

from tunelab.collect import collect_curves_file
from tunelab.io import end_job, log_to

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    collect_curves_file(list(snakemake.input), snakemake.output[0])  # noqa: F821
end_job()
