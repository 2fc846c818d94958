"""Axis plots and the boundary check: best points at an edge, infeasible trials, log axes."""

import numpy as np
import pytest
from analysis_data import DROPOUT, LR, context, tables, tid, trial
from tunelab.analysis.axis import _get_axis_info, axis_file, boundary_check, next_range, plot_axis


def test_axis_info_marks_infeasible_and_best(search_tables, ctx):
    _, trials = search_tables
    info = _get_axis_info(trials, "learning_rate", ctx)
    by_trial = dict(zip(info["trials"], range(len(info["trials"])), strict=True))
    assert info["log_x"] and info["range"] == (LR["low"], LR["high"])
    assert not info["feasible"][by_trial[tid(4)]]  # diverged: a red X, no objective
    assert info["trials"][info["best"]] == tid(2)
    assert info["x"][by_trial[tid(2)]] == pytest.approx(3.0e-3)
    assert info["err"][by_trial[tid(2)]] == pytest.approx(0.01)  # the pooled retrain std
    low, high = info["ylim"]
    assert low < 0.45 - 0.01 and high > 0.60 + 0.01  # every feasible trial and its error bar shows


def test_axis_info_of_a_feasible_points_hyperparameter_uses_positions(search_tables, ctx):
    info = _get_axis_info(search_tables[1], "hidden_size", ctx)
    assert info["ticks"] == ["16", "64"] and not info["log_x"]
    groups = np.array(info["groups"])
    assert np.all(np.abs(info["x"][groups == "hidden_size=16"] - 0) < 0.25)
    assert np.all(np.abs(info["x"][groups == "hidden_size=64"] - 1) < 0.25)
    assert len(set(np.round(info["x"], 6))) == len(info["x"])  # side by side, not on top


def test_far_off_trials_are_clipped_at_the_top():
    trials = [trial(i, 0.40 + 0.01 * i, learning_rate=1e-3 * (i + 1)) for i in range(6)]
    trials.append(trial(9, 50.0, learning_rate=0.09))  # nearly diverged
    info = _get_axis_info(tables(trials)[1], "learning_rate", context({"learning_rate": LR}))
    assert info["ylim"][1] < 1.0
    assert info["clipped"].sum() == 1 and info["trials"][int(np.argmax(info["clipped"]))] == tid(9)


def test_boundary_finds_a_best_learning_rate_at_the_top_of_its_range():
    trials = [trial(1, 0.40, learning_rate=0.09), trial(2, 0.45, learning_rate=0.05),
              trial(3, 0.50, learning_rate=1e-3), trial(4, 0.60, learning_rate=2e-4)]
    findings = boundary_check(tables(trials)[1], context({"learning_rate": LR}))
    assert len(findings) == 1
    f = findings[0]
    assert (f["hp"], f["edge"], f["trial"]) == ("learning_rate", "upper", tid(1))
    assert f["distance"] == pytest.approx(1 - np.log(0.09 / 1e-4) / np.log(1e-1 / 1e-4))
    assert f["top_near"] == 2  # 0.09 and 0.05 both in the upper quarter of the log range
    assert f["suggest"] == pytest.approx([1e-4, 3.2])  # half a range (1.5 decades) further up
    assert "upper edge" in f["message"] and "try 0.0001 to 3.2" in f["message"]
    assert "2 of the best 3 trials are in the outer quarter there (the best trial among them)" in f["message"]
    trials[1] = trial(2, 0.45, learning_rate=3e-3)  # now the best alone is near the edge
    alone = boundary_check(tables(trials)[1], context({"learning_rate": LR}))[0]["message"]
    assert "1 of the best 3 trials is in the outer quarter there (the best trial alone)" in alone


def test_boundary_is_quiet_when_the_best_is_inside_and_checks_each_group_apart(search_tables, ctx):
    assert boundary_check(search_tables[1], ctx) == []
    trials = [trial(1, 0.40, group="hidden_size=16", learning_rate=1e-3, hidden_size=16),
              trial(2, 0.50, group="hidden_size=16", learning_rate=1.1e-4, hidden_size=16),
              trial(3, 0.45, group="hidden_size=64", learning_rate=1.1e-4, hidden_size=64),
              trial(4, 0.55, group="hidden_size=64", learning_rate=1e-3, hidden_size=64)]
    space = {"learning_rate": LR, "hidden_size": context()["space"]["hidden_size"]}
    findings = boundary_check(tables(trials)[1], context(space))
    assert [(f["group"], f["edge"], f["trial"]) for f in findings] == [("hidden_size=64", "lower", tid(3))]


def test_next_range_extends_outward_and_respects_natural_limits():
    assert next_range(LR, "lower") == pytest.approx((3.2e-6, 0.1))
    assert next_range(DROPOUT, "upper") == (0.0, 0.75)
    assert next_range(DROPOUT, "lower") is None  # a dropout of 0 cannot go lower
    fraction = {**DROPOUT, "high": 1.0}
    assert next_range(fraction, "upper") is None
    layers = {"role": "nuisance", "kind": "integer", "low": 1, "high": 4, "scaling": "linear", "points": []}
    assert next_range(layers, "upper") == (1, 6)


def test_drawing_writes_a_png(tmp_path, search_tables, ctx):
    path = tmp_path / "trials.csv"
    search_tables[1].to_csv(path, index=False)
    for name in ("learning_rate", "weight_decay", "hidden_size"):
        axis_file(str(path), ctx, name, str(tmp_path / f"axis.{name}.png"))
        assert (tmp_path / f"axis.{name}.png").read_bytes()[:4] == b"\x89PNG"
    plot_axis(_get_axis_info(search_tables[1].iloc[:0], "learning_rate", ctx), tmp_path / "empty.png")
