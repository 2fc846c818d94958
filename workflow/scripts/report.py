"""Adapter for rule report: see tunelab.report.markdown.report_file, then
tunelab.report.html.report_html_file."""

from tunelab.io import end_job, log_to, optional_input
from tunelab.report.html import report_html_file
from tunelab.report.markdown import plot_links, report_file

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    i, o = snakemake.input, snakemake.output  # noqa: F821
    inputs = {k: v for k, v in i.items() if k != "plots"}
    report_file(inputs, plot_links(list(i.plots), o.md), snakemake.params.context, o.md, o.summary)  # noqa: F821
    pages = {"data_report": i.data_report, "overfit": i.overfit, "dynamics": i.dynamics,
             "trainer_check": i.trainer_check_page}
    pages = {k: optional_input(v) for k, v in pages.items()}
    report_html_file(o.md, {k: v for k, v in pages.items() if v}, optional_input(i.get("baselines")),
                     o.html, o.headline)
end_job()
