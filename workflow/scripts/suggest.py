"""Adapter for checkpoint suggest: see tunelab.search.adaptive.suggest_file."""

from tunelab.io import log_to
from tunelab.search.adaptive import suggest_file

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    suggest_file(snakemake.params.spec, list(snakemake.input.parts),  # noqa: F821
                 list(snakemake.input.rounds), snakemake.output[0])  # noqa: F821
