"""The sanity checks that read the study's data file, in one job before the search spends its budget:
the data report (tunelab.data.report), the simple baselines (tunelab.sanity.naive) and
overfit-a-tiny-batch (tunelab.sanity.overfit).

Each was a job of its own, and each paid Python's start-up and its imports (about 0.4 s, and on a
cluster a queue wait) to read the same prepared data. Each check still writes the files it wrote
alone, from the same functions (tests/sanity/test_checks.py).
"""

from __future__ import annotations


def sanity_file(prepared: str, study: str, params: dict, outputs: dict) -> None:
    """The sanity rule: the prepared data -> data_report.md and its figure, baselines.csv, sanity.md.
    `params`: dataset, windows (the plan's periods), lags, horizon and check (overfit_params);
    `outputs`: data_report, data_report_png, baselines, overfit."""
    from tunelab.data.report import data_report_file
    from tunelab.data.windows import load_prepared
    from tunelab.sanity.naive import baselines_file
    from tunelab.sanity.overfit import overfit_file

    check, data = params["check"], load_prepared(prepared)  # read once for the two checks on arrays
    overfit_file(data, study, check["architecture"], check["models"], check["period"], check["windows"],
                 params["lags"], params["horizon"], outputs["overfit"])
    baselines_file(data, study, params["windows"], params["lags"], params["horizon"], outputs["baselines"])
    data_report_file(prepared, study, params["dataset"], params["windows"], outputs["data_report"],
                     outputs["data_report_png"])
