"""Adapter for rule data_report: see tunelab.data.report.data_report_file."""

from tunelab.data.report import data_report_file
from tunelab.io import end_job, log_to

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    data_report_file(snakemake.input[0], snakemake.wildcards.study, snakemake.params.dataset,  # noqa: F821
                     snakemake.params.windows, snakemake.output.md, snakemake.output.png)  # noqa: F821
end_job()
