"""Adapter for rule collect: see tunelab.collect.collect_study_file."""

from tunelab.collect import collect_study_file
from tunelab.io import end_job, log_to

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    i = snakemake.input  # noqa: F821
    collect_study_file(list(i.parts), list(i.curves), list(i.rounds), dict(snakemake.output.items()),  # noqa: F821
                       snakemake.params.objective)  # noqa: F821
end_job()
