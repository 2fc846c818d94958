"""Adapter for checkpoint promote: see tunelab.search.rungs.promote_file."""

from tunelab.io import end_job, log_to
from tunelab.search.rungs import promote_file

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    promote_file(snakemake.input.metrics, snakemake.input.curves,  # noqa: F821
                 snakemake.params.context, snakemake.output[0])  # noqa: F821
end_job()
