"""Adapter for rule rungs_table: see tunelab.search.rungs.rungs_file."""

from tunelab.io import end_job, log_to
from tunelab.search.rungs import rungs_file

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    rungs_file(list(snakemake.input), snakemake.params.plan,  # noqa: F821
               snakemake.output.csv, snakemake.output.json, snakemake.output.md)  # noqa: F821
end_job()
