"""Adapter for rule overfit: see tunelab.sanity.overfit.overfit_file."""

from tunelab.io import end_job, log_to
from tunelab.sanity.overfit import overfit_file

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    p = snakemake.params  # noqa: F821
    overfit_file(snakemake.input[0], snakemake.wildcards.study, p.check["architecture"],  # noqa: F821
                 p.check["models"], p.check["period"], p.check["windows"], p.lags, p.horizon,
                 snakemake.output[0])  # noqa: F821
end_job()
