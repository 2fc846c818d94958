"""Adapter for rule baselines: see tunelab.sanity.naive.baselines_file."""

from tunelab.io import end_job, log_to
from tunelab.sanity.naive import baselines_file

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    p = snakemake.params  # noqa: F821
    baselines_file(snakemake.input[0], snakemake.wildcards.study, p.windows, p.lags, p.horizon,  # noqa: F821
                   snakemake.output[0])  # noqa: F821
end_job()
