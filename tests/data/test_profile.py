"""The dataset profile: exact usable-example counts, cached by the file's identity, no pandas on a hit."""

import datetime as dt
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import synthetic_frame
from tunelab.data.dataset import prepare
from tunelab.data.profile import WindowCheck, build_profile, cache_dir, dataset_profile
from tunelab.data.windows import Prepared, label_rows

SYNTH = {"name": "synth", "time": "timestamp", "target": "load", "features": ["lead", "temp"],
         "categorical": ["wind"]}


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNELAB_CACHE", str(tmp_path / "cache"))


def gappy_dataset(tmp_path):
    frame = synthetic_frame(months=3)
    frame = frame.drop(index=list(range(500, 530)) + list(range(1000, 1003)))  # two gaps
    path = tmp_path / "gappy.csv"
    frame.to_csv(path, index=False)
    return {**SYNTH, "path": str(path)}


@pytest.mark.parametrize(("lags", "horizon"), [(1, 1), (6, 2), (24, 24)])
def test_usable_counts_match_what_training_finds(tmp_path, lags, horizon):
    ds = gappy_dataset(tmp_path)
    profile = build_profile(ds)
    frame = prepare(ds)
    data = Prepared(times=frame["time"].to_numpy().astype("datetime64[ns]"),
                    segment=frame["segment"].to_numpy(), inputs=np.zeros((len(frame), 1)),
                    target=frame["load"].to_numpy(), input_names=["load"])
    for start, end in [("2020-01-01", "2020-02-01"), ("2020-01-20", "2020-01-23"), ("2020-02-10", "2020-03-01")]:
        window = (dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end))
        assert profile.usable(window, lags, horizon) == len(label_rows(data, (start, end), lags, horizon))
    assert profile.segments == frame["segment"].nunique() == 3


def test_cache_hit_skips_the_read_and_a_changed_file_is_read_again(tmp_path):
    ds = gappy_dataset(tmp_path)
    first = dataset_profile(ds)
    files = list(cache_dir().glob("*.npz"))
    assert len(files) == 1 and str(tmp_path / "cache") in str(files[0])
    again = dataset_profile(ds)
    assert (again.times == first.times).all() and again.columns == first.columns
    # a new row at the end (new size and mtime): profiled again, with the new span
    with open(ds["path"], "a") as fh:
        fh.write("2020-03-31 00:00:00,1.0,0.0,0.0,N\n")
    os.utime(ds["path"], ns=(1, 10**18))
    later = dataset_profile(ds)
    assert later.rows == first.rows + 1
    assert len(list(cache_dir().glob("*.npz"))) == 2


def test_cache_hit_imports_no_pandas(tmp_path):
    ds = gappy_dataset(tmp_path)
    dataset_profile(ds)
    code = ("import sys; from tunelab.data.profile import dataset_profile; "
            f"p = dataset_profile({ds!r}); print(p.rows, 'pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ}).stdout.split()
    assert out == [str(dataset_profile(ds).rows), "False"]


def test_unwritable_cache_is_skipped(tmp_path, monkeypatch):
    ds = gappy_dataset(tmp_path)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("TUNELAB_CACHE", str(blocker / "cache"))
    assert dataset_profile(ds).rows == build_profile(ds).rows


def test_window_check_names_the_window_and_the_minimum(tmp_path):
    ds = gappy_dataset(tmp_path)
    profile = build_profile(ds)

    class P:
        id = "v2020-02"
        train = (dt.datetime(2020, 1, 1), dt.datetime(2020, 2, 1))
        valid = (dt.datetime(2020, 2, 1), dt.datetime(2020, 3, 1))

    assert WindowCheck(profile, 6, 2, 10)(P) is None
    reason = WindowCheck(profile, 6, 2, 10_000)(P)
    assert reason.startswith("train window 2020-01-01..2020-02-01 has ") and "min_examples: 10000" in reason
    check = WindowCheck(profile, 2000, 24, 1)
    assert "lags + task.horizon = 2024 gap-free steps" in check(P)
    assert list(check.skipped) == ["v2020-02"]


@pytest.mark.parametrize(("policy", "load"), [("first", 1.0), ("last", 3.0), ("mean", 2.0)])
def test_duplicates_policy_is_applied_by_prepare_and_the_profile_alike(tmp_path, policy, load):
    frame = synthetic_frame(months=1)
    twice = frame.iloc[[5, 5]].assign(load=[1.0, 3.0], wind=["N", "S"])
    frame = pd.concat([frame.drop(index=5), twice]).sort_values("timestamp", kind="stable")
    path = tmp_path / "dup.csv"
    frame.to_csv(path, index=False)
    ds = {**SYNTH, "path": str(path), "duplicates": policy}
    prepared = prepare(ds)
    row = prepared[prepared["time"] == frame["timestamp"].iloc[5]]
    assert len(row) == 1 and row["load"].iloc[0] == load
    assert row["wind=N"].iloc[0] == (0.0 if policy == "last" else 1.0)  # categorical: first (or last) row
    profile = build_profile(ds)
    assert profile.rows == len(prepared) and profile.duplicates == 1


def test_encoding_and_separator_keys_read_such_files(tmp_path):
    frame = synthetic_frame(months=1).assign(wind=lambda f: f["wind"].replace({"N": "Nörd"}))
    path = tmp_path / "latin.csv"
    frame.to_csv(path, index=False, sep=";", encoding="latin-1")
    prepared = prepare({**SYNTH, "path": str(path), "encoding": "latin-1", "separator": ";"})
    assert "wind=Nörd" in prepared.columns and len(prepared) == len(frame)


def test_a_same_size_rewrite_with_the_same_mtime_is_profiled_again(tmp_path):
    ds = gappy_dataset(tmp_path)
    first = dataset_profile(ds)
    stat = os.stat(ds["path"])
    text = open(ds["path"]).read()
    last = text.rstrip("\n").rsplit("\n", 1)[1]
    changed = last.replace(last.split(",")[1], "", 1)  # the last row loses its label (same size: pad)
    changed = changed + " " * (len(last) - len(changed))
    with open(ds["path"], "w") as fh:
        fh.write(text.replace(last, changed))
    os.utime(ds["path"], ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert os.stat(ds["path"]).st_size == stat.st_size
    assert dataset_profile(ds).observed.sum() == first.observed.sum() - 1
