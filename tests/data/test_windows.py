"""Examples for a period: no leakage, gap-aware windows, training-window scaling."""

import numpy as np
import pytest
from tunelab.data.windows import Prepared, label_rows, period_data, scaling


def hourly(n=200, gap_at=None, missing=()):
    times = np.datetime64("2020-01-01T00", "ns") + np.arange(n) * np.timedelta64(1, "h")
    segment = np.zeros(n, dtype=np.int64)
    if gap_at is not None:
        times[gap_at:] += np.timedelta64(5, "h")
        segment[gap_at:] = 1
    target = np.arange(n, dtype=float)
    target[list(missing)] = np.nan
    inputs = np.column_stack([target, np.ones(n) * 3.0])
    return Prepared(times, segment, inputs, target, ["y", "const"])


def window(a, b):
    start = np.datetime64("2020-01-01T00", "ns")
    return (str(start + np.timedelta64(a, "h")), str(start + np.timedelta64(b, "h")))


def test_labels_need_a_full_history_inside_one_segment():
    data = hourly(gap_at=50)
    rows = label_rows(data, window(0, 200), lags=4, horizon=2)
    assert rows.min() == 5  # rows 0..3 are the first input window, 2 steps before row 5
    assert not set(range(50, 55)) & set(rows)  # history would cross the gap
    assert 55 in rows


def test_missing_labels_are_not_used():
    rows = label_rows(hourly(missing=[20, 21]), window(0, 200), lags=3, horizon=1)
    assert 20 not in rows and 21 not in rows and 22 in rows


def test_scaling_uses_the_training_window_only():
    data = hourly()
    mean, std = scaling(data, window(0, 100))
    assert mean[0] == pytest.approx(49.5) and std[1] == 1.0  # a constant column keeps std 1


def test_period_examples_are_chronological_and_scaled_by_train():
    data = hourly()
    windows = {"train": window(0, 100), "valid": window(100, 150), "test": window(150, 200)}
    pdata = period_data(data, windows, lags=4, horizon=2)
    assert len(pdata.train) == 100 - 5 and len(pdata.valid) == 50 and len(pdata.test) == 50
    # the last input of the first validation example is row 98, two steps before its label (row 100)
    assert pdata.valid.x[0, -1, 0] * pdata.target_std + pdata.target_mean == pytest.approx(98)
    assert pdata.valid.y[0] * pdata.target_std + pdata.target_mean == pytest.approx(100)
    assert pdata.train.x.dtype == np.float32 and pdata.train.x.shape[1:] == (4, 2)


def test_window_without_examples_is_an_error():
    with pytest.raises(ValueError, match="valid window"):
        period_data(hourly(missing=range(100, 150)),
                    {"train": window(0, 100), "valid": window(100, 150), "test": None}, 4, 2)
