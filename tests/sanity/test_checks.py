"""The sanity job (tunelab.sanity.checks) writes each check's files as its own function does alone,
byte for byte: one job for the three checks changes no page or table of the report."""

import numpy as np
import pandas as pd
from tunelab.data.dataset import prepare, write_prepared
from tunelab.data.report import data_report_file
from tunelab.sanity.checks import sanity_file
from tunelab.sanity.naive import baselines_file
from tunelab.sanity.overfit import overfit_file

WINDOWS = {"v2021-03": {"train": ("2021-01-01T00:00:00", "2021-03-01T00:00:00"),
                        "valid": ("2021-03-01T00:00:00", "2021-04-01T00:00:00"), "test": None}}
CHECK = {"architecture": "mlp", "models": [{"hidden_size": 8, "num_layers": 1, "dropout": 0.0}],
         "period": "v2021-03", "windows": WINDOWS["v2021-03"]}


def prepared_file(folder) -> str:
    rng = np.random.default_rng(0)
    time = pd.date_range("2021-01-01", "2021-03-31 23:00", freq="h")
    hours = np.arange(len(time))
    raw = pd.DataFrame({"t": time, "y": 50 + 10 * np.sin(2 * np.pi * hours / 24) + rng.standard_normal(len(time)),
                        "x": rng.standard_normal(len(time))})
    raw.to_csv(folder / "raw.csv", index=False)
    write_prepared(prepare({"name": "d", "path": str(folder / "raw.csv"), "time": "t", "target": "y",
                            "features": ["x"]}), folder / "d.parquet")
    return str(folder / "d.parquet")


def outputs(folder) -> dict:
    return {"data_report": str(folder / "data_report.md"), "data_report_png": str(folder / "plots" / "data_report.png"),
            "baselines": str(folder / "baselines.csv"), "overfit": str(folder / "sanity.md")}


def test_the_sanity_job_writes_what_each_check_writes_alone(tmp_path):
    prepared = prepared_file(tmp_path)
    params = {"dataset": "d", "windows": WINDOWS, "lags": 6, "horizon": 1, "check": CHECK}
    together, alone = outputs(tmp_path / "together"), outputs(tmp_path / "alone")
    sanity_file(prepared, "s", params, together)

    overfit_file(prepared, "s", "mlp", CHECK["models"], CHECK["period"], CHECK["windows"], 6, 1, alone["overfit"])
    baselines_file(prepared, "s", WINDOWS, 6, 1, alone["baselines"])
    data_report_file(prepared, "s", "d", WINDOWS, alone["data_report"], alone["data_report_png"])
    for key in together:
        with open(together[key], "rb") as a, open(alone[key], "rb") as b:
            assert a.read() == b.read(), key
    assert "memorises" in open(together["overfit"]).read() and "linear" in open(together["baselines"]).read()
