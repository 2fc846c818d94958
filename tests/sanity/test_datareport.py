"""The data report: counts per month, statistics per window, and notes on what a person should check."""

import numpy as np
import pandas as pd
import pytest
from tunelab.data.dataset import prepare, write_prepared
from tunelab.data.report import (
    _get_data_report_info,
    build_report,
    data_report_file,
    month_table,
    plot_data_report,
    report_markdown,
)

HOUR = pd.Timedelta(1, "h")
WINDOWS = {"v2021-03": {"train": ("2021-01-01T00:00:00", "2021-03-01T00:00:00"),
                        "valid": ("2021-03-01T00:00:00", "2021-04-01T00:00:00"), "test": None}}


def frame(shift=0.0, constant=False, drop_labels_in=None, seed=0):
    rng = np.random.default_rng(seed)
    time = pd.date_range("2021-01-01", "2021-03-31 23:00", freq="h")
    y = 50 + 5 * rng.standard_normal(len(time))
    a = rng.standard_normal(len(time))
    b = rng.standard_normal(len(time))
    if constant:
        a[time < pd.Timestamp("2021-03-01")] = 7.0  # constant over the training window
    b[time >= pd.Timestamp("2021-03-01")] += shift  # validation moves away from training
    if drop_labels_in:
        start = pd.Timestamp(drop_labels_in)
        month = (time >= start) & (time < start + pd.DateOffset(months=1))
        y[month & (np.arange(len(time)) % 10 != 0)] = np.nan  # 90% of the month's labels missing
    out = pd.DataFrame({"time": time, "y": y, "a": a, "b": b, "segment": 0})
    meta = {"target": "y", "inputs": ["y", "a", "b"], "step_ns": int(HOUR.value)}
    return out, meta


def notes(**kwargs):
    f, meta = frame(**kwargs)
    return build_report(f, meta, WINDOWS, "d").notes


def test_clean_data_has_no_notes():
    assert notes() == []


def test_a_month_with_few_labels_is_noted():
    few, missing = notes(drop_labels_in="2021-02-01")
    assert few.startswith("Few labels in 2021-02:") and "(10%)" in few and "v2021-03 train" in few
    assert missing.startswith("Missing values in period v2021-03's train window:") and " of y" in missing


def test_a_constant_feature_is_noted():
    (note,) = notes(constant=True)
    assert "Constant input in period v2021-03's training window: a (always 7)" in note


def test_a_shift_between_train_and_validation_is_noted():
    (note,) = notes(shift=3.0)
    assert note.startswith("Shift in period v2021-03: b's validation mean") and "training std above" in note
    assert notes(shift=0.5) == []  # within the threshold


def test_month_table_counts_rows_labels_and_partial_months():
    f, _ = frame(drop_labels_in="2021-02-01")
    f = f[f["time"] >= pd.Timestamp("2021-01-15")]  # the data starts mid-January
    months = month_table(f, "y", HOUR).set_index("month")
    assert months.loc["2021-01", "expected"] == 17 * 24 and months.loc["2021-01", "rows"] == 17 * 24
    assert months.loc["2021-02", "rows"] == 28 * 24
    assert months.loc["2021-02", "labels"] == pytest.approx(28 * 24 / 10, abs=1)
    assert months.loc["2021-03", "label_fraction"] == 1.0


def test_statistics_per_window():
    f, meta = frame(shift=2.0)
    report = build_report(f, meta, WINDOWS, "d")
    stats = report.target_stats.set_index("part")
    assert list(stats.index) == ["train", "valid"] and stats.loc["train", "n"] == 59 * 24
    fs = report.feature_stats.set_index("column")
    assert fs.loc["b", "shift"] == pytest.approx(2.0, abs=0.15) and abs(fs.loc["a", "shift"]) < 0.2
    md = report_markdown(report, "s", "plots/data_report.png")
    assert "## Notes" in md and "| v2021-03 | train |" in md and "(plots/data_report.png)" in md


def test_data_report_file_from_a_prepared_dataset(tmp_path):
    """The rule's function on a real prepared file (one-hot column, missing-value indicator)."""
    rng = np.random.default_rng(0)
    time = pd.date_range("2021-01-01", "2021-03-31 23:00", freq="h")
    raw = pd.DataFrame({"t": time, "y": 50 + rng.standard_normal(len(time)),
                        "x": rng.standard_normal(len(time)), "w": rng.choice(["N", "S"], len(time))})
    raw.loc[5:10, "y"] = np.nan
    raw.to_csv(tmp_path / "raw.csv", index=False)
    ds = {"name": "d", "path": str(tmp_path / "raw.csv"), "time": "t", "target": "y",
          "features": ["x"], "categorical": ["w"]}
    write_prepared(prepare(ds), tmp_path / "d.parquet")
    md, png = tmp_path / "results/s/data_report.md", tmp_path / "results/s/plots/data_report.png"
    report = data_report_file(str(tmp_path / "d.parquet"), "s", "d", WINDOWS, str(md), str(png))
    assert set(report.feature_stats["column"]) == {"y", "x", "w=N", "w=S"}  # no __missing indicator
    assert report.summary["missing_target"] == 6 and "one every hour" in md.read_text()
    assert png.stat().st_size > 1000
    info = _get_data_report_info(report, report_frame := pd.read_parquet(tmp_path / "d.parquet"))
    assert len(info["boxes"]) == 2 and len(report_frame) == len(time)
    plot_data_report(info, tmp_path / "again.png")


def categorical_frame(valid_share_north: float, seed=0):
    """Wind direction one-hot encoded as prepare() does (w=N, w=S): 90% north in training."""
    f, meta = frame(seed=seed)
    valid = (f["time"] >= pd.Timestamp("2021-03-01")).to_numpy()
    step = np.arange(len(f)) % 10  # exact shares: the first k of every 10 rows are north
    north = np.where(valid, step < round(10 * valid_share_north), step < 9)
    f["w=N"], f["w=S"] = north.astype(float), (~north).astype(float)
    return f, {**meta, "inputs": [*meta["inputs"], "w=N", "w=S"]}


def test_a_shift_in_category_frequencies_is_noted():
    f, meta = categorical_frame(valid_share_north=0.1)
    report = build_report(f, meta, WINDOWS, "d")
    (note,) = [n for n in report.notes if n.startswith("Category shift")]
    assert "period v2021-03: w" in note
    assert "N from 90% of the training rows to 10% of the validation rows" in note
    assert "S from 10% to 90%" in note
    assert "## Categorical inputs" in report_markdown(report, "s")


def test_stable_category_frequencies_are_not_noted():
    f, meta = categorical_frame(valid_share_north=0.8)
    assert not [n for n in build_report(f, meta, WINDOWS, "d").notes if "ategor" in n]
