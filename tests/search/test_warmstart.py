"""Warm start across months (issue 24): what a month takes from the last month's record, decided
by the record alone, the same way every time."""

import datetime as dt
import json
import random

from conftest import tiny_study
from tunelab.search.plan import make_plan, trial_id
from tunelab.search.rounds import suggest_spec
from tunelab.search.warmstart import carry_over, month_record, previous_record, record_path, warm_notes
from tunelab.study import study_from_dict

SPAN = (dt.datetime(2020, 1, 1), dt.datetime(2020, 9, 1))
LR = {"role": "nuisance", "min": 1.0e-3, "max": 0.1, "scaling": "log"}


def study(warm=None, then=False, **overrides):
    raw = tiny_study(search={"algorithm": "quasi_random", "budget": 2,
                             **({"then": {"algorithm": "bayesian", "rounds": 1, "batch": 2}} if then else {})},
                     warm_start={"carry": 1, **(warm or {})}, **overrides)
    raw["hyperparameters"]["learning_rate"] = LR
    return study_from_dict(raw, name="tiny")


def values(hidden, lr, epochs=3):
    return {**make_plan(study(), *SPAN, "2026-11").trials[0].values, "hidden_size": hidden,
            "learning_rate": lr, "epochs": epochs}


def record(verdict="REJECT", month="2026-11"):
    """Last month's record: four trials over the two widths, the best first."""
    trials = [(16, 0.02, 0.30), (8, 0.01, 0.31), (16, 0.005, 0.35), (8, 0.05, 0.40)]
    history = [{"trial": trial_id("mlp", values(h, lr)), "group": f"hidden_size={h}",
                "values": values(h, lr), "feasible": True, "objective": obj, "var": 1e-4}
               for h, lr, obj in trials]
    history.append({"trial": "tdiverged", "group": "hidden_size=8", "values": values(8, 0.09),
                    "feasible": False, "objective": None, "var": None})
    baseline = values(8, 0.003)
    decision = {"objective": "valid_mse", "verdict": verdict,
                "baseline": {"trial": trial_id("mlp", baseline), "values": baseline},
                "candidate": {"trial": history[0]["trial"], "values": history[0]["values"]}}
    return month_record(history, decision, month, "tiny")


def test_record_lists_trials_best_first_and_infeasible_last():
    rec = record()
    assert [t["objective"] for t in rec["trials"]] == [0.30, 0.31, 0.35, 0.40, None]
    assert rec["verdict"] == "REJECT" and rec["candidate"]["values"]["learning_rate"] == 0.02


def test_previous_record_is_the_latest_month_before_this_one(tmp_path):
    for month in ("2026-09", "2026-10", "2026-12"):
        path = record_path("tiny", month, tmp_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record(month=month)))
    (path.parent / "notes.json").write_text("{}")
    assert previous_record("tiny", "2026-12", tmp_path)["month"] == "2026-10"
    assert previous_record("tiny", "2026-10", tmp_path)["month"] == "2026-09"
    assert previous_record("tiny", "2026-09", tmp_path) is None
    assert previous_record("other", "2026-12", tmp_path) is None


def test_adopted_candidate_becomes_the_baseline_and_a_rejected_one_does_not():
    adopted = carry_over(study(), record("ADOPT"))
    assert adopted.baseline["learning_rate"] == 0.02 and "adopted candidate" in adopted.baseline_source
    rejected = carry_over(study(), record("REJECT"))
    assert rejected.baseline["learning_rate"] == 0.003 and "adopted no candidate" in rejected.baseline_source
    best = carry_over(study({"baseline": "best"}), record("REJECT"))
    assert best.baseline["learning_rate"] == 0.02
    assert carry_over(study({"baseline": "study"}), record("ADOPT")).baseline is None


def test_the_plan_uses_last_months_winner_as_baseline():
    s = study({"baseline": "best"})
    plan = make_plan(s, *SPAN, "2026-12", carried=carry_over(s, record()))
    assert plan.baseline == record()["candidate"]["trial"]
    assert "2026-11's best trial" in plan.baseline_source


def test_best_trials_per_group_are_carried_beside_the_exploration():
    s = study({"carry": 1})
    cold = make_plan(s, *SPAN, "2026-12")
    warm = make_plan(s, *SPAN, "2026-12", carried=carry_over(s, record()))
    carried = [t for t in warm.trials if t.carried]
    assert {t.values["learning_rate"] for t in carried} == {0.02, 0.01}  # the best of each width
    assert {t.group for t in carried} == {"hidden_size=16", "hidden_size=8"}
    assert warm.trials[:len(cold.trials)] == cold.trials  # the exploration is untouched
    rows = [r for r in warm.plan_rows() if r["trial"] in {t.id for t in carried}]
    assert {r["sampler"] for r in rows} == {"carried from 2026-11"}


def test_a_carried_trial_the_search_drew_again_is_one_trial():
    s = study({"carry": 1})
    drawn = make_plan(s, *SPAN, "2026-12").trials[0]
    rec = record()
    rec["trials"][0] = {**rec["trials"][0], "trial": drawn.id, "values": drawn.values,
                        "group": drawn.group, "objective": 0.1}
    plan = make_plan(s, *SPAN, "2026-12", carried=carry_over(s, rec))
    assert [t.id for t in plan.trials].count(drawn.id) == 1


def test_same_record_in_any_order_gives_the_same_plan():
    s = study({"carry": 2})
    rec = record()
    shuffled = dict(rec, trials=random.Random(3).sample(rec["trials"], len(rec["trials"])))
    plans = [make_plan(s, *SPAN, "2026-12",
                       carried=carry_over(s, month_record(r["trials"], decision(rec), "2026-11", "tiny")))
             for r in (rec, shuffled)]
    assert plans[0].plan_rows() == plans[1].plan_rows() and plans[0].baseline == plans[1].baseline


def decision(rec):
    return {"objective": rec["objective"], "verdict": rec["verdict"], "baseline": rec["baseline"],
            "candidate": rec["candidate"]}


def test_carried_values_take_todays_fixed_values_and_leave_out_of_range_ones_behind():
    raw_lr = {**LR, "max": 0.015}  # today's range no longer holds 0.02
    s = study_from_dict({**tiny_study(search={"algorithm": "quasi_random", "budget": 2},
                                      warm_start={"carry": 3}),
                         "hyperparameters": {**tiny_study()["hyperparameters"], "learning_rate": raw_lr,
                                             "epochs": 5}}, name="tiny")
    carried = carry_over(s, record())
    assert {v["epochs"] for v, _ in carried.trials} == {5}  # today's fixed epochs, not last month's 3
    assert all(v["learning_rate"] <= 0.015 for v, _ in carried.trials)
    assert len(carried.left_behind) == 2  # 0.02 and 0.05 fall outside
    assert any("left behind" in n for n in warm_notes(s, "2026-12", carried))


def test_no_record_is_a_cold_start_and_says_so():
    s = study()
    note = warm_notes(s, "2026-12", None)[0]
    assert "cold start" in note and "tunelab restore" in note


def test_the_adaptive_rounds_learn_from_last_months_trials_of_their_group():
    s = study(then=True)  # per_scientific: one adaptive search per width
    plan = make_plan(s, *SPAN, "2026-12", carried=carry_over(s, record()))
    spec = suggest_spec(s, "hidden_size-16", 1, plan)
    assert spec["month"] == "2026-12"
    assert {h["month"] for h in spec["carried"]} == {"2026-11"}
    assert {h["values"]["hidden_size"] for h in spec["carried"]} == {16}
    off = study({"history": False}, then=True)
    plan_off = make_plan(off, *SPAN, "2026-12", carried=carry_over(off, record()))
    assert "carried" not in suggest_spec(off, "hidden_size-16", 1, plan_off)
    assert suggest_spec(s, "hidden_size-16", 1) == suggest_spec(off, "hidden_size-16", 1, plan_off)


def test_carried_trials_train_alone_so_their_runs_stay_reusable():
    s = study({"carry": 2}, trials_per_job=4)
    plan = make_plan(s, *SPAN, "2026-12", carried=carry_over(s, record()))
    carried = {t.id for t in plan.trials if t.carried}
    assert carried and plan.job_groups  # the drawn trials of a width train together...
    assert not carried & set(plan.job_group_of)  # ...the carried ones alone, as last month
