"""Adapter for rule importance: see tunelab.analysis.importance.importance_file."""

from tunelab.analysis.importance import importance_file
from tunelab.io import end_job, log_to

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    i, o = snakemake.input, snakemake.output  # noqa: F821
    importance_file(i.runs, i.trials, snakemake.params.context, o.csv, o.png)  # noqa: F821
end_job()
