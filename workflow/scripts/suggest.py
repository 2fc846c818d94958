"""Adapter for checkpoint suggest: see tunelab.search.adaptive.suggest_file."""

from tunelab.collect import group_history
from tunelab.io import end_job, log_to
from tunelab.search.adaptive import suggest_file

with log_to(snakemake.log[0]):  # noqa: F821 (injected by Snakemake)
    spec = snakemake.params.spec  # noqa: F821
    history = group_history(list(snakemake.input.parts), spec["label"], spec["objective"])  # noqa: F821
    history += spec.get("carried", [])  # last month's trials (warm_start.history), tagged with it
    suggest_file(spec, history, list(snakemake.input.rounds), snakemake.output[0])  # noqa: F821
end_job()
