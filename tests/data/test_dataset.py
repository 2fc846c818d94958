"""The generic loader: time from one column or parts, one-hot categoricals, gaps, missing labels."""

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, synthetic_frame
from tunelab.data.dataset import DataError, prepare, prepare_file, time_span
from tunelab.data.windows import load_prepared

SYNTH = {"name": "synth", "time": "timestamp", "target": "load", "features": ["lead", "temp"],
         "categorical": ["wind"]}


def write(tmp_path, frame, suffix=".csv"):
    path = tmp_path / f"data{suffix}"
    frame.to_parquet(path) if suffix == ".parquet" else frame.to_csv(path, index=False)
    return {**SYNTH, "path": str(path)}


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_csv_and_parquet_prepare_alike(tmp_path, suffix):
    frame = prepare(write(tmp_path, synthetic_frame(months=1), suffix))
    assert list(frame.columns[:4]) == ["time", "load", "lead", "temp"]
    assert {"wind=E", "wind=N", "wind=S"} <= set(frame.columns)
    assert frame[["wind=E", "wind=N", "wind=S"]].sum(axis=1).eq(1).all()
    assert "load__missing" in frame.columns  # the target has gaps in its values
    assert frame.attrs["tunelab"]["step_ns"] == 3600 * 10**9


def test_beijing_time_from_parts():
    ds = {"name": "b", "path": str(REPO / "data/raw/beijing_pm25.csv.gz"), "time": ["year", "month", "day", "hour"],
          "target": "pm2.5", "features": ["TEMP"], "categorical": ["cbwd"]}
    start, end, step = time_span(ds)
    assert (str(start), str(end), str(step)) == ("2010-01-01 00:00:00", "2015-01-01 00:00:00", "0 days 01:00:00")


def test_gaps_start_new_segments_and_unsorted_rows_are_sorted(tmp_path):
    frame = synthetic_frame(months=1)
    frame = frame.drop(index=range(100, 110)).sample(frac=1.0, random_state=0)  # a 10-hour hole, shuffled
    prepared = prepare(write(tmp_path, frame))
    assert prepared["time"].is_monotonic_increasing
    assert prepared["segment"].nunique() == 2
    assert prepared.loc[prepared["time"] >= pd.Timestamp("2020-01-05 14:00"), "segment"].eq(1).all()


def test_duplicate_timestamps_fail_loudly(tmp_path):
    frame = synthetic_frame(months=1)
    frame = pd.concat([frame, frame.iloc[[5]]])
    with pytest.raises(DataError, match="duplicate timestamps"):
        prepare(write(tmp_path, frame))


def test_missing_column_names_the_key(tmp_path):
    ds = write(tmp_path, synthetic_frame(months=1))
    with pytest.raises(DataError, match="dataset.features: column 'humidity'"):
        prepare({**ds, "features": ["humidity"]})
    with pytest.raises(DataError, match="dataset.target: column 'pm10'"):
        time_span({**ds, "target": "pm10"})
    with pytest.raises(DataError, match="dataset.path"):
        time_span({**ds, "path": str(tmp_path / "absent.csv")})


def test_prepared_file_round_trips_without_pandas(tmp_path):
    ds = write(tmp_path, synthetic_frame(months=1))
    info = prepare_file(ds, tmp_path / "prep.parquet")
    data = load_prepared(str(tmp_path / "prep.parquet"))
    assert info["rows"] == len(data.target) == 720
    assert data.input_names[0] == "load"  # the target's own history comes first
    assert np.isnan(data.target).sum() == info["missing_target"] > 0
    assert data.times.dtype == np.dtype("datetime64[ns]")


def test_training_path_reads_the_prepared_file_as_pandas_does(tmp_path):
    """load_prepared reads Arrow buffers itself (no pandas); it must agree with pandas, nulls included."""
    ds = write(tmp_path, synthetic_frame(months=1))
    prepare_file(ds, tmp_path / "prep.parquet")
    data = load_prepared(str(tmp_path / "prep.parquet"))
    frame = pd.read_parquet(tmp_path / "prep.parquet")
    assert (frame["time"].to_numpy().astype("datetime64[ns]") == data.times).all()
    assert (frame["segment"].to_numpy() == data.segment).all()
    for i, name in enumerate(data.input_names):
        np.testing.assert_array_equal(frame[name].to_numpy(dtype=float), data.inputs[:, i])
