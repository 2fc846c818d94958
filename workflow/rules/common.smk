# Validate the selected studies and plan them in memory (no file is written at parse time).
import sys

from tunelab.workflow import USER_ERRORS, datasets, load_studies, metrics_files, spec_json


try:
    STUDIES = load_studies(config)
except USER_ERRORS as exc:
    sys.stderr.write(f"tunelab: invalid study: {exc}\n")
    sys.exit(1)

DATASETS = datasets(STUDIES)


wildcard_constraints:
    study=r"[A-Za-z0-9_.-]+",
    period=r"v[0-9]{4}-[0-9]{2}(-[0-9]{2})?",
    trial=r"t[0-9a-f]{8}",
    block=r"s[0-9]+(-[0-9]+)?",


def get_study(wildcards):
    return STUDIES[wildcards.study]


def get_prepared(wildcards):
    return f"data/prepared/{get_study(wildcards).dataset['name']}.parquet"


def get_metrics(wildcards):
    return metrics_files(get_study(wildcards))


def get_spec(wildcards):
    return spec_json(get_study(wildcards), wildcards.period, wildcards.trial, wildcards.block)


def final_outputs():
    targets = []
    for name in STUDIES:
        targets += [
            f"results/{name}/periods.csv",
            f"results/{name}/plan.csv",
            f"results/{name}/runs.csv",
            f"results/{name}/trials.csv",
        ]
    return targets
