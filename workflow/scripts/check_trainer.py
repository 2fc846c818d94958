"""Adapter for rule check_trainer: see tunelab.train.check.check_file."""

from tunelab.io import end_job, log_to, optional_input
from tunelab.train.check import check_file

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    p, o = snakemake.params, snakemake.output  # noqa: F821
    data = optional_input(list(snakemake.input)) or ""  # noqa: F821 (none: a span dataset)
    check_file(p.check, data, p.scratch, o.md, o.json)
end_job()
