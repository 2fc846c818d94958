"""Adapter for rule journal: see tunelab.report.journal.write_journal."""

from tunelab.io import end_job, log_to
from tunelab.report.journal import write_journal

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    i = snakemake.input  # noqa: F821
    write_journal(i[0], snakemake.params.context, snakemake.output[0],  # noqa: F821
                  i.get("decision") or None, i.get("curves") or None)
end_job()
