"""Adapter for checkpoint select_candidates: see tunelab.analysis.decision.select_file."""

from tunelab.analysis.decision import select_file
from tunelab.io import end_job, log_to

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    select_file(snakemake.input[0], snakemake.params.context, snakemake.output[0])  # noqa: F821
end_job()
