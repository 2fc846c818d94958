"""Rungs: the rung plan, and promotion as a pure function of a finished rung."""

import json
import math
import random

import pytest
from tunelab.search.rungs import (
    final_rungs,
    make_rung_plan,
    promote,
    promote_file,
    rank,
    rung_epochs,
    rungs_rows,
    trial_scores,
)
from tunelab.study.resolved import Rungs


def block(trial, period, *values, status="ok"):
    runs = [{"seed": s, "status": status if s == 0 else "ok", "reason": "" if status == "ok" else "diverged",
             "valid_mse": v if status == "ok" or s else float("nan"), "valid_mae": v, "epochs_run": 3}
            for s, v in enumerate(values)]
    return {"study": "s", "period": period, "trial": trial, "group": "", "runs": runs,
            "hyperparameters": {}, "stop_epoch": 3}


def test_rung_epochs_grow_by_eta_and_end_at_the_full_budget():
    assert rung_epochs(3, 3, 27) == (3, 9, 27)
    assert rung_epochs(3, 3, 20) == (3, 9, 20)
    assert rung_epochs(1, 2, 8) == (1, 2, 4, 8)
    assert rung_epochs(30, 3, 27) == (27,)  # min_epochs beyond the budget: no rungs, one full rung


def test_successive_halving_plan_keeps_a_third_at_each_rung():
    trials = [f"t{i:08x}" for i in range(27)]
    plan = make_rung_plan(Rungs(min_epochs=3, eta=3, brackets=1, stop_hopeless=False), 27, trials)
    (b,) = plan.brackets
    assert b.epochs == (3, 9, 27) and b.trials == tuple(trials)
    assert [b.keep(0, 27), b.keep(1, 9), b.keep(2, 3)] == [9, 3, 0]
    assert b.keep(0, 2) == 1  # at least one goes on
    assert plan.previous_epochs(trials[0], 9) == 3 and plan.previous_epochs(trials[0], 3) is None
    with pytest.raises(ValueError, match="no rung of 5 epochs"):
        plan.previous_epochs(trials[0], 5)


def test_hyperband_brackets_split_the_trials_and_start_later():
    trials = [f"t{i:08x}" for i in range(27)]
    plan = make_rung_plan(Rungs(min_epochs=3, eta=3, brackets=3, stop_hopeless=False), 27, trials)
    assert [b.epochs for b in plan.brackets] == [(3, 9, 27), (9, 27), (27,)]
    assert sum(len(b.trials) for b in plan.brackets) == 27
    assert [len(b.trials) for b in plan.brackets] == [14, 8, 5]  # Hyperband weights 9, 5, 3 scaled to 27
    assert len(plan.brackets[0].trials) > len(plan.brackets[1].trials) > len(plan.brackets[2].trials)
    assert {t for b in plan.brackets for t in b.trials} == set(trials)  # each trial in one bracket
    hyperband = make_rung_plan(Rungs(min_epochs=3, eta=3, brackets=9, stop_hopeless=False), 27, trials)
    assert hyperband.brackets[-1].epochs == (27,)


def test_each_scientific_value_gets_brackets_of_its_own():
    """per_scientific mode: a value's trials compete only with each other, so each value keeps its
    best third at every rung (ranked all together, one value could take every place)."""
    trials = [f"t{i:08x}" for i in range(18)]
    groups = ["lambda=0" if i % 2 else "lambda=10" for i in range(18)]  # interleaved, as plans draw them
    plan = make_rung_plan(Rungs(min_epochs=10, eta=3, brackets=1, stop_hopeless=False), 90, trials, groups)
    assert [(b.index, b.group, len(b.trials)) for b in plan.brackets] == [(0, "lambda=10", 9), (1, "lambda=0", 9)]
    for b in plan.brackets:
        assert {groups[trials.index(t)] for t in b.trials} == {b.group}
        assert [b.keep(0, 9), b.keep(1, 3)] == [3, 1]  # one trial of each value reaches 90 epochs
    assert make_rung_plan(Rungs(min_epochs=10, eta=3, brackets=1, stop_hopeless=False), 90, trials) \
        == make_rung_plan(Rungs(min_epochs=10, eta=3, brackets=1, stop_hopeless=False), 90, trials, [""] * 18)


def test_rungs_table_names_each_brackets_scientific_value():
    from tunelab.search.rungs import plan_summary, rungs_markdown, rungs_summary

    trials = ["ta", "tb", "tc", "td"]
    plan = make_rung_plan(Rungs(min_epochs=3, eta=2, brackets=1, stop_hopeless=False), 6, trials,
                          ["x=1", "x=1", "x=2", "x=2"])
    promotions = []
    for b in plan.brackets:
        first, second = b.trials
        rows = [{"trial": first, "rank": 1, "objective": 1.0, "objective_std": 0.1, "feasible": True,
                 "epochs_run": 3, "runs": 1, "reason": "", "predicted": math.nan, "predicted_std": math.nan,
                 "decision": "promoted"},
                {"trial": second, "rank": 2, "objective": 2.0, "objective_std": 0.1, "feasible": True,
                 "epochs_run": 3, "runs": 1, "reason": "", "predicted": math.nan, "predicted_std": math.nan,
                 "decision": "stopped"}]
        promotions.append({"bracket": b.index, "group": b.group, "rung": 0, "epochs": 3, "next_epochs": 6,
                           "keep": 1, "promoted": [first], "trials": rows})
        promotions.append({"bracket": b.index, "group": b.group, "rung": 1, "epochs": 6, "next_epochs": None,
                           "keep": 0, "promoted": [], "trials": [{**rows[0], "decision": "final"}]})
    md = rungs_markdown(rungs_summary(promotions, plan_summary(plan, periods=1, seeds=1)))
    assert "rungs of 3 -> 6 epochs." in md  # one ladder, not one per value
    assert "promoted among themselves (x=1, x=2)" in md
    assert "| 0 (x=1) | 0 | 3 | 2 | 1 | tb |" in md and "| 1 (x=2) | 0 | 3 | 2 | 1 | td |" in md


def test_promotion_ranks_by_mean_over_periods_and_seeds_and_breaks_ties_by_trial_id():
    blocks = [block("tb", "p1", 0.2, 0.4), block("tb", "p2", 0.3, 0.3),  # mean 0.3
              block("ta", "p1", 0.3, 0.3), block("ta", "p2", 0.3, 0.3),  # mean 0.3: tie, ta first
              block("tc", "p1", 0.1, 0.1), block("tc", "p2", 0.5, 0.6)]  # mean 0.325
    scores = trial_scores(blocks, "valid_mse")
    assert rank(scores) == ["ta", "tb", "tc"]
    rows = promote(scores, keep=1)
    assert [(r["trial"], r["decision"]) for r in rows] == [("ta", "promoted"), ("tb", "stopped"),
                                                            ("tc", "stopped")]


def test_promotion_is_a_pure_function_of_the_rung_whatever_the_order_of_the_blocks():
    rng = random.Random(0)
    blocks = [block(f"t{i:08x}", p, rng.random(), rng.random()) for i in range(12) for p in ("p1", "p2")]
    first = json.dumps(promote(trial_scores(blocks, "valid_mse"), keep=4))
    for _ in range(5):
        rng.shuffle(blocks)
        assert json.dumps(promote(trial_scores(blocks, "valid_mse"), keep=4)) == first


def test_infeasible_trials_rank_last_and_are_never_promoted():
    blocks = [block("t1", "p", 0.1, 0.1, status="infeasible"), block("t2", "p", 0.9, 0.9),
              block("t3", "p", 0.5, 0.5, status="infeasible"), block("t4", "p", 0.4, 0.4)]
    rows = promote(trial_scores(blocks, "valid_mse"), keep=3)
    assert [(r["trial"], r["decision"]) for r in rows] == [
        ("t4", "promoted"), ("t2", "promoted"), ("t1", "infeasible"), ("t3", "infeasible")]
    assert math.isnan(rows[2]["objective"]) and rows[2]["reason"] == "diverged"
    # a rung where every trial diverged promotes nobody
    dead = promote(trial_scores(blocks[:1] + blocks[2:3], "valid_mse"), keep=1)
    assert [r["decision"] for r in dead] == ["infeasible", "infeasible"]


def test_stop_hopeless_stops_a_promoted_trial_whose_prediction_cannot_reach_the_best():
    scores = trial_scores([block("ta", "p", 0.30, 0.32), block("tb", "p", 0.50, 0.52),
                           block("tc", "p", 0.55, 0.57), block("td", "p", 0.9, 0.9)], "valid_mse")
    predictions = {"ta": {"predicted": 0.2, "predicted_std": 0.01},
                   "tb": {"predicted": 0.25, "predicted_std": 0.01},  # can catch the leader's 0.31
                   "tc": {"predicted": 0.50, "predicted_std": 0.01}}  # cannot
    rows = promote(scores, keep=3, predictions=predictions, stop_hopeless=True)
    assert [r["decision"] for r in rows] == ["promoted", "promoted", "hopeless", "stopped"]
    off = promote(scores, keep=3, predictions=predictions, stop_hopeless=False)
    assert [r["decision"] for r in off] == ["promoted", "promoted", "promoted", "stopped"]
    # no prediction (too few epochs to fit): nothing is stopped for it
    rows = promote(scores, keep=3, predictions={"tc": {"predicted": float("nan")}}, stop_hopeless=True)
    assert [r["decision"] for r in rows][:3] == ["promoted"] * 3


def test_promote_file_writes_the_decisions_and_prediction(tmp_path):
    metrics, curves = [], []
    for i, (trial, scale) in enumerate([("t1", 1.0), ("t2", 2.0), ("t3", 3.0)]):
        b = block(trial, "p", 0.3 * scale, 0.32 * scale)
        (tmp_path / f"m{i}.json").write_text(json.dumps(b))
        rows = ["seed,epoch,valid_loss,valid_mae"] + [f"{s},{e},{scale * (0.3 + 1 / e)},0" for s in (0, 1)
                                                     for e in (1, 2, 3)]
        (tmp_path / f"c{i}.csv").write_text("\n".join(rows) + "\n")
        metrics.append(str(tmp_path / f"m{i}.json"))
        curves.append(str(tmp_path / f"c{i}.csv"))
    context = {"bracket": 0, "rung": 0, "epochs": 3, "next_epochs": 9, "keep": 1,
               "objective": "valid_mse", "full_epochs": 9, "stop_hopeless": False}
    out = promote_file(metrics, curves, context, str(tmp_path / "r0.json"))
    assert out["promoted"] == ["t1"] and json.loads((tmp_path / "r0.json").read_text()) == out
    assert out["trials"][0]["predicted"] < 0.3 + 1 / 3  # the curve still falls after epoch 3


def test_rungs_rows_give_each_trial_its_outcome_at_the_full_budget():
    r0 = {"bracket": 0, "rung": 0, "epochs": 3, "next_epochs": 9, "promoted": ["ta"],
          "trials": [{"trial": "ta", "rank": 1, "objective": 0.3, "decision": "promoted"},
                     {"trial": "tb", "rank": 2, "objective": 0.4, "decision": "stopped"}]}
    r1 = {"bracket": 0, "rung": 1, "epochs": 9, "next_epochs": None, "promoted": [],
          "trials": [{"trial": "ta", "rank": 1, "objective": 0.2, "decision": "final"}]}
    rows = rungs_rows([r1, r0])
    assert [(r["trial"], r["rung"]) for r in rows] == [("ta", 0), ("tb", 0), ("ta", 1)]
    assert rows[0]["final_objective"] == 0.2 and math.isnan(rows[1]["final_objective"])
    assert final_rungs([r0, r1]) == {"ta": 9, "tb": 3}


def test_a_rungs_retrain_spread_is_the_leaderboards_and_unmeasured_with_one_seed():
    from tunelab.collect import runs_table, summarise
    from tunelab.search.rungs import trial_scores

    def block(period, seeds):
        return {"trial": "t00000001", "period": period, "group": "", "hyperparameters": {},
                "runs": [{"seed": s, "status": "ok", "reason": "", "valid_mse": v, "valid_mae": v,
                          "best_epoch": 1, "epochs_run": 1, "train_time": 0.1, "train_examples": 1,
                          "valid_examples": 1} for s, v in seeds]}

    for blocks in ([block("v2020-01", [(0, 1.0)]), block("v2020-02", [(0, 2.0)])],
                   [block("v2020-01", [(0, 1.0), (1, 1.5)]), block("v2020-02", [(0, 2.0), (1, 2.2)])]):
        board = summarise(runs_table(blocks)).query("period == 'all'").iloc[0]
        score = trial_scores(blocks, "valid_mse")["t00000001"]
        assert score["objective"] == pytest.approx(board["objective_mean"])
        assert score["objective_std"] == pytest.approx(board["objective_std"], nan_ok=True)


def test_the_learning_curve_predictor_is_not_scored_on_too_few_trials():
    from tunelab.search.rungs import predictor_sentence

    empty = {"from_epochs": [1], "pairs": 0, "spearman": float("nan"), "stopped": 0, "false_stops": 0,
             "false_stop_rate": 0.0}
    text = predictor_sentence(empty, False)
    assert "not scored" in text and "nan" not in text and "[1]" not in text
    three = {**empty, "from_epochs": [3], "pairs": 3, "spearman": -1.0}  # the rungs study's 3 survivors
    assert "not scored" in predictor_sentence(three, False) and "Spearman" not in \
        predictor_sentence(three, False)
    scored = {**empty, "from_epochs": [3], "pairs": 9, "spearman": 0.7, "stopped": 2}
    assert "Spearman 0.70" in predictor_sentence(scored, True) and "stop_hopeless is on" in \
        predictor_sentence(scored, True)
