"""Adapter for rule sanity: see tunelab.sanity.checks.sanity_file."""

from tunelab.io import end_job, log_to
from tunelab.sanity.checks import sanity_file

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    sanity_file(snakemake.input[0], snakemake.wildcards.study, dict(snakemake.params.items()),  # noqa: F821
                dict(snakemake.output.items()))  # noqa: F821
end_job()
