"""Adapter for rule report_html: see tunelab.report.html.report_html_file."""

from tunelab.io import end_job, log_to, optional_input
from tunelab.report.html import report_html_file

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    i = snakemake.input  # noqa: F821
    pages = {k: optional_input(i.get(k)) for k in ("data_report", "overfit", "dynamics", "trainer_check")}
    report_html_file(i.report, {k: v for k, v in pages.items() if v}, optional_input(i.get("baselines")),
                     snakemake.output.html, snakemake.output.headline)  # noqa: F821
end_job()
