"""Adapter for rules collect_exploration and collect_round: see tunelab.collect.collect_part_file."""

from tunelab.collect import collect_part_file
from tunelab.io import end_job, log_to

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    i, o = snakemake.input, snakemake.output  # noqa: F821
    collect_part_file(list(i.metrics), list(i.curves), o.blocks, o.curves)
end_job()
