"""runs.csv and trials.csv from hand-made blocks: statistics over seeds and over periods."""

import json
import math

import pandas as pd
import pytest
from tunelab.collect import leaderboard, runs_table, summarise


def block(tmp_path, period, trial, mses, lr, statuses=None):
    statuses = statuses or ["ok"] * len(mses)
    runs = [{"seed": s, "status": st, "reason": "" if st == "ok" else "train loss became nan",
             "valid_mse": m if st == "ok" else float("nan"), "valid_mae": 2 * m, "best_epoch": 3,
             "epochs_run": 5, "train_time": 0.1, "train_examples": 100, "valid_examples": 10}
            for s, (m, st) in enumerate(zip(mses, statuses, strict=True))]
    path = tmp_path / period / trial / "metrics.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"study": "s", "period": period, "trial": trial, "group": "",
                                "hyperparameters": {"learning_rate": lr}, "runs": runs}))
    return path


@pytest.fixture
def runs(tmp_path):
    paths = [block(tmp_path, "v1", "ta", [1.0, 3.0], 0.1), block(tmp_path, "v2", "ta", [5.0, 5.0], 0.1),
             block(tmp_path, "v1", "tb", [2.0, 2.0], 0.01), block(tmp_path, "v2", "tb", [2.0, 4.0], 0.01),
             block(tmp_path, "v1", "tc", [0.5, 0.5], 1.0, ["ok", "infeasible"]),
             block(tmp_path, "v2", "tc", [0.5, 0.5], 1.0)]
    return runs_table(paths)


def test_runs_table_has_one_row_per_run_and_hyperparameter_columns(runs):
    assert len(runs) == 12 and list(runs.columns[:7]) == ["study", "period", "trial", "group", "phase", "round", "seed"]
    assert set(runs["phase"]) == {"exploration"} and set(runs["round"]) == {0}
    assert runs.columns[-1] == "learning_rate"


def test_per_period_statistics_over_seeds(runs):
    trials = summarise(runs).set_index(["trial", "period"])
    assert trials.loc[("ta", "v1"), "objective_mean"] == 2.0
    assert trials.loc[("ta", "v1"), "objective_std"] == pytest.approx(math.sqrt(2.0))
    assert trials.loc[("ta", "v1"), "objective_min"] == 1.0
    assert trials.loc[("tc", "v1"), ["seeds", "feasible"]].tolist() == [2, 1]


def test_across_periods_mean_data_variance_and_pooled_retrain_std(runs):
    overall = summarise(runs).query("period == 'all'").set_index("trial")
    assert overall.loc["ta", "objective_mean"] == 3.5  # mean of period means 2 and 5
    assert overall.loc["ta", "period_std"] == pytest.approx(pd.Series([2.0, 5.0]).std())
    assert overall.loc["ta", "objective_std"] == pytest.approx(math.sqrt((2.0 + 0.0) / 2))
    assert overall.loc["ta", "worst_period"] == 5.0


def test_a_trial_with_an_infeasible_run_gets_no_overall_score(runs):
    overall = summarise(runs).query("period == 'all'").set_index("trial")
    assert math.isnan(overall.loc["tc", "objective_mean"])
    board = leaderboard(summarise(runs))
    assert board["trial"].tolist() == ["tb", "ta", "tc"]  # infeasible last, despite its low mse


def test_objective_can_be_mae(runs):
    overall = summarise(runs, "valid_mae").query("period == 'all'").set_index("trial")
    assert overall.loc["ta", "objective_mean"] == 7.0
