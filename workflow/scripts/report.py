"""Adapter for rule report: see tunelab.report.markdown.report_file."""

from tunelab.io import end_job, log_to
from tunelab.report.markdown import plot_links, report_file

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    inputs = {k: v for k, v in snakemake.input.items() if k != "plots"}  # noqa: F821
    report_file(inputs, plot_links(list(snakemake.input.plots), snakemake.output.md),  # noqa: F821
                snakemake.params.context, snakemake.output.md, snakemake.output.summary)  # noqa: F821
end_job()
