"""Simple baselines on hand-made series whose right answers are known."""

import numpy as np
import pandas as pd
import pytest
from sanity_data import prepared_series, windows
from tunelab.data.windows import period_data
from tunelab.sanity.naive import (
    baseline_lines,
    baseline_rows,
    baseline_summary,
    baselines_markdown,
    fit_linear,
    period_baselines,
)

HOURS = 24 * 90  # 2021-01-01 .. 2021-03-31
W = windows(("2021-01-01", "2021-02-01"), ("2021-02-01", "2021-03-01"), ("2021-03-01", "2021-03-31"))


def data_for(target, lags=6, horizon=3, **features):
    return period_data(prepared_series(np.asarray(target, float), features=features), W, lags, horizon)


def test_constant_series_every_baseline_is_exact():
    result = period_baselines(data_for(np.full(HOURS, 42.0)))
    for name in ("persistence", "training_mean", "linear"):
        assert result[name]["valid_mse"] == pytest.approx(0.0, abs=1e-12), name
        assert result[name]["valid_mae"] == pytest.approx(0.0, abs=1e-9), name


def test_linear_trend_linear_model_exact_persistence_off_by_the_slope():
    slope, horizon = 0.5, 3
    target = 10.0 + slope * np.arange(HOURS)
    data = data_for(target, horizon=horizon)
    result = period_baselines(data)
    assert result["linear"]["valid_mse"] == pytest.approx(0.0, abs=1e-8)
    assert result["linear"]["test_mae"] == pytest.approx(0.0, abs=1e-4)
    # persistence lags the trend by `horizon` steps: its error is slope * horizon, in target units
    assert result["persistence"]["valid_mae"] == pytest.approx(slope * horizon, rel=1e-4)
    # the training mean is far off a trend that keeps rising
    assert result["training_mean"]["valid_mae"] > 100 * result["persistence"]["valid_mae"]


def test_persistence_exact_on_a_series_that_repeats_every_horizon():
    horizon = 4
    target = np.tile([3.0, 7.0, 1.0, 5.0], HOURS // 4)  # y[t + 4] == y[t]
    result = period_baselines(data_for(target, horizon=horizon))
    assert result["persistence"]["valid_mse"] == pytest.approx(0.0, abs=1e-10)


def test_linear_model_uses_the_features():
    rng = np.random.default_rng(0)
    lead = rng.standard_normal(HOURS)
    target = np.roll(2.0 * lead, 3) + 5.0  # the target repeats the feature 3 steps later
    data = data_for(target, horizon=3, lead=lead)
    assert period_baselines(data)["linear"]["valid_mse"] == pytest.approx(0.0, abs=1e-8)
    coef = fit_linear(data.train)
    assert coef.shape == (6 * 2 + 1,)  # lags x inputs + intercept


def test_scaling_matches_the_runs_metrics():
    """MSE on the target scaled by the training window's statistics, MAE in target units."""
    rng = np.random.default_rng(1)
    target = 100 + 10 * rng.standard_normal(HOURS)
    result = period_baselines(data_for(target))
    train, valid = target[: 24 * 31], target[24 * 31: 24 * 59]  # January, February
    std = train.std()  # scaling: the training window's rows
    guess = train[6 + 3 - 1:].mean()  # the mean of the training labels (the first 8 lack a history)
    assert result["training_mean"]["valid_mse"] == pytest.approx(np.mean(((valid - guess) / std) ** 2),
                                                                  rel=1e-5)
    assert result["training_mean"]["valid_mae"] == pytest.approx(np.mean(np.abs(valid - guess)), rel=1e-5)


def test_rows_and_summary_over_periods():
    a = data_for(np.full(HOURS, 1.0))
    b = data_for(10.0 + 0.5 * np.arange(HOURS))
    rows = pd.DataFrame(baseline_rows("s", {"v2021-02": a, "v2021-03": b}))
    assert len(rows) == 3 * 2 + 3
    overall = rows[rows["period"] == "all"].set_index("baseline")
    per = rows[rows["period"] != "all"].groupby("baseline")["valid_mse"]
    assert overall["valid_mse"].to_dict() == pytest.approx(per.mean().to_dict())
    assert overall["worst_period"].to_dict() == pytest.approx(per.max().to_dict())
    summary = baseline_summary(rows)
    assert list(summary["baseline"]) == ["persistence", "training_mean", "linear"]
    mae = baseline_summary(rows, "valid_mae").set_index("baseline")
    assert mae.loc["persistence", "objective_mean"] == pytest.approx(
        rows[(rows.baseline == "persistence") & (rows.period == "all")]["valid_mae"].iloc[0])
    assert len(baseline_lines(rows)) == 3


def test_markdown_reads_the_best_trial_against_the_best_baseline():
    rows = pd.DataFrame({"baseline": ["persistence", "training_mean", "linear"], "period": "all",
                         "valid_mse": [0.8, 1.0, 0.5], "period_std": 0.1, "worst_period": [0.9, 1.1, 0.6]})
    better = baselines_markdown(rows, best=0.4)
    assert "| linear | 0.5 |" in better and "is better than the best simple baseline, linear" in better
    assert "20.0% lower" in better
    worse = baselines_markdown(rows, best=0.6)
    assert "NOT better" in worse
    assert "No simple baselines" in baselines_markdown(None)
