"""Adapter for rule report_html: see tunelab.report.html.report_html_file."""

from tunelab.io import log_to
from tunelab.report.html import report_html_file

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    pages = {k: snakemake.input[k] for k in ("data_report", "overfit", "dynamics")}  # noqa: F821
    report_html_file(snakemake.input.report, pages, snakemake.input.baselines,  # noqa: F821
                     snakemake.output.html, snakemake.output.headline)  # noqa: F821
