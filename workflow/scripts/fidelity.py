"""Adapter for rule fidelity_report: see tunelab.sanity.fidelity.fidelity_file."""

from tunelab.io import end_job, log_to
from tunelab.sanity.fidelity import fidelity_file

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    p, o = snakemake.params, snakemake.output  # noqa: F821
    fidelity_file(snakemake.input.full, list(snakemake.input.cheap), o.csv, o.png, o.md,  # noqa: F821
                  snakemake.wildcards.study, p.objective, p.periods, p.settings, p.threshold,  # noqa: F821
                  p.skipped)
end_job()
