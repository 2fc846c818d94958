"""The learning-curve predictor on synthetic curves of known shape."""

import math

import numpy as np
import pytest
from tunelab.search.lcpredict import accuracy, fit_curve, predict_best, predict_trials, spearman

T = np.arange(1, 31, dtype=float)


@pytest.mark.parametrize("k", [4, 6, 10])
def test_power_law_curve_is_extrapolated_to_the_full_budget(k):
    curve = 0.3 + 0.8 * T ** -0.7
    assert predict_best(list(curve[:k]), 30) == pytest.approx(curve[-1], rel=0.01)
    assert fit_curve(list(curve[:k]))["family"] == "power"


@pytest.mark.parametrize("k", [4, 6, 10])
def test_exponential_decay_curve_is_extrapolated_to_the_full_budget(k):
    curve = 0.2 + 0.5 * np.exp(-0.25 * T)
    assert predict_best(list(curve[:k]), 30) == pytest.approx(curve[-1], rel=0.01)
    assert fit_curve(list(curve[:k]))["family"] == "exp"


def test_noisy_curve_prediction_is_near_the_truth_and_never_above_what_was_seen():
    rng = np.random.default_rng(0)
    truth = 0.4 + 0.6 * T ** -0.5
    curve = truth + 0.005 * rng.standard_normal(len(T))
    predicted = predict_best(list(curve[:9]), 30)
    assert predicted <= min(curve[:9])
    assert abs(predicted - truth[-1]) < 0.05


def test_a_curve_that_rises_predicts_its_best_so_far_and_a_diverged_one_nothing():
    rising = [0.5, 0.4, 0.45, 0.5, 0.6]  # overfitting after epoch 2
    assert predict_best(rising, 30) == pytest.approx(0.4, rel=0.02)
    assert math.isnan(predict_best([0.5, float("nan")], 30))
    assert math.isnan(predict_best([0.5, 0.4], 30))  # two epochs: nothing to fit
    assert predict_best([0.5, 0.4, 0.3], 3) == 0.3  # the full budget already: what was seen


def test_trial_prediction_averages_runs_and_its_spread_comes_from_the_seeds():
    a = list(0.3 + 0.5 * T[:6] ** -1.0)
    b = list(0.5 + 0.5 * T[:6] ** -1.0)
    out = predict_trials({"t": {"p1": [a, b]}, "same": {"p1": [a, a]}}, 30)
    pa, pb = predict_best(a, 30), predict_best(b, 30)
    assert out["t"]["predicted"] == pytest.approx((pa + pb) / 2)
    assert out["t"]["predicted_std"] == pytest.approx(abs(pa - pb) / math.sqrt(2))
    assert out["same"]["predicted_std"] == 0.0


def test_rank_correlation_and_false_stop_rate():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    outcome = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]  # best third: 0.1 and 0.2
    acc = accuracy(outcome, outcome, [True, False, False, True, True, False])
    assert acc["stopped"] == 3 and acc["false_stops"] == 1 and acc["false_stop_rate"] == pytest.approx(1 / 3)
    assert accuracy(outcome, outcome, [False] * 6)["false_stop_rate"] == 0.0
