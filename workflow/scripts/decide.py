"""Adapter for rule decide: see tunelab.analysis.decision.decide_file."""

from tunelab.analysis.decision import decide_file
from tunelab.io import end_job, log_to

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    decide_file(list(snakemake.input.metrics), list(snakemake.input.tests),  # noqa: F821
                snakemake.input.candidates, snakemake.params.context,  # noqa: F821
                snakemake.output.md, snakemake.output.json,  # noqa: F821
                snakemake.input.get("baselines"))  # noqa: F821
end_job()
