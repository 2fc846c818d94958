"""Adapter for rule dynamics: see tunelab.sanity.dynamics.dynamics_file."""

from tunelab.io import end_job, log_to
from tunelab.sanity.dynamics import dynamics_file

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    i = snakemake.input  # noqa: F821
    dynamics_file(i.curves, list(i.parts), i.trials, snakemake.output.md,  # noqa: F821
                  snakemake.output.png, snakemake.wildcards.study)  # noqa: F821
end_job()
