"""Adapter for rule report_html: see tunelab.report.html.report_html_file."""

from tunelab.io import log_to
from tunelab.report.html import report_html_file

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    i = snakemake.input  # noqa: F821
    pages = {k: i.get(k) for k in ("data_report", "overfit", "dynamics", "trainer_check") if i.get(k)}
    pages = {k: v if isinstance(v, str) else v[0] for k, v in pages.items()}
    baselines = i.get("baselines") or None
    report_html_file(i.report, pages, baselines if baselines is None or isinstance(baselines, str) else baselines[0],
                     snakemake.output.html, snakemake.output.headline)  # noqa: F821
