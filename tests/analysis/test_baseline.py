"""The baseline trial and the confirmation blocks in the plan; study_repeats in the search."""

import datetime as dt
import json

import pytest
from conftest import tiny_study
from tunelab.analysis.decision import decide, select_candidates
from tunelab.analysis.study_context import study_context
from tunelab.search.baseline import BUILTIN_VALUES, baseline_values
from tunelab.search.plan import job_spec, make_plan, trial_id
from tunelab.study import study_from_dict

SPAN = (dt.datetime(2020, 1, 1), dt.datetime(2020, 9, 1))
LR_RANGE = {"role": "nuisance", "min": 1.0e-4, "max": 1.0e-1, "scaling": "log"}


def study(hyperparameters=None, **overrides):
    raw = tiny_study(**overrides)
    raw["hyperparameters"].update(hyperparameters or {})
    return study_from_dict(raw, name="tiny")


def test_no_baseline_takes_the_built_in_defaults_and_the_fixed_values():
    s = study(hyperparameters={"learning_rate": LR_RANGE})
    values, source = baseline_values(s)
    assert values["learning_rate"] == BUILTIN_VALUES["learning_rate"]  # searched: built-in value
    assert values["hidden_size"] == 64  # the scientific one too (mlp's built-in width)
    assert values["epochs"] == 3 and values["batch_size"] == 64  # the study's fixed values
    assert "no baseline given" in source


def test_builtin_values_mirror_the_trainer():
    from tunelab.train.loop import TrainConfig

    for name, value in BUILTIN_VALUES.items():
        assert getattr(TrainConfig(), name) == value


def test_a_given_baseline_overrides_fixed_values_and_is_spelled_like_the_search():
    s = study(baseline={"hidden_size": 16, "epochs": 5, "learning_rate": 0.003})
    values, source = baseline_values(s)
    assert values["hidden_size"] == 16 and isinstance(values["hidden_size"], int)
    assert values["epochs"] == 5 and source == "the study's baseline"
    plan = make_plan(s, *SPAN, "2026-11")
    assert plan.baseline_trial.group == "hidden_size=16"


def test_a_baseline_integer_written_as_a_float_is_refused_with_its_key():
    with pytest.raises(ValueError, match=r"baseline.hidden_size: 16.0 is written as a float; write 16"):
        study(baseline={"hidden_size": 16.0})


@pytest.mark.parametrize(("baseline", "message"), [
    ({"hiden_size": 8}, "baseline.hiden_size: not a hyperparameter"),
    ({"optimizer": "rmsprop"}, "baseline.optimizer: 'rmsprop' is not one of"),
    ({"momentum": 0.5}, "baseline.momentum: exists only when optimizer"),
])
def test_a_bad_baseline_names_the_key(baseline, message):
    with pytest.raises(ValueError, match=message):
        baseline_values(study(baseline=baseline))


def test_the_baseline_is_a_trial_of_the_plan_with_confirmation_blocks():
    s = study(baseline={"hidden_size": 16, "learning_rate": 0.003}, seeds=3, seeds_per_job=3,
              confirm_seeds=5)
    plan = make_plan(s, *SPAN, "2026-11")
    searched = {t.values["hidden_size"]: t.id for t in plan.trials}
    assert plan.baseline == searched[16]  # the search drew the same configuration: shared runs
    assert s.confirm_seeds == [3, 4, 5, 6, 7]
    jobs = plan.confirm_jobs([plan.baseline])
    assert sorted({b for _, _, b in jobs}) == ["s3-5", "s6-7"]
    assert len(jobs) == len(plan.periods) * 2
    assert all(b in ("s0-2",) for _, _, b in plan.jobs())  # the search's own blocks are unchanged
    spec = job_spec(s, plan, plan.periods[0].id, plan.baseline, "s6-7")
    assert spec["seeds"] == [6, 7] and spec["hyperparameters"]["hidden_size"] == 16


def test_a_baseline_outside_the_search_is_resolvable_but_not_trained_by_the_search():
    s = study(baseline={"hidden_size": 32})
    plan = make_plan(s, *SPAN, "2026-11")
    assert plan.baseline not in {t.id for t in plan.trials}
    assert plan.baseline in plan.trial_by_id
    assert all(t != plan.baseline for _, t, _ in plan.jobs())
    assert plan.baseline_trial.position == -1 and plan.baseline_trial.repeats == ()
    assert plan.baseline == trial_id("mlp", plan.baseline_trial.values)


def test_without_confirm_seeds_the_comparison_uses_the_study_blocks():
    plan = make_plan(study(confirm_seeds=0), *SPAN, "2026-11")
    assert plan.confirm_blocks == []
    assert {b for _, _, b in plan.confirm_jobs([plan.baseline])} == {"s0-1"}


def test_study_repeats_draw_the_search_again_with_the_next_sampler_seeds():
    one = make_plan(study(hyperparameters={"learning_rate": LR_RANGE},
                          search={"algorithm": "quasi_random", "budget": 3}), *SPAN, "2026-11")
    three = make_plan(study(hyperparameters={"learning_rate": LR_RANGE}, study_repeats=3,
                            search={"algorithm": "quasi_random", "budget": 3}), *SPAN, "2026-11")
    assert len(three.trials) == 3 * len(one.trials)
    assert [t.id for t in three.trials[:len(one.trials)]] == [t.id for t in one.trials]
    rows = three.plan_rows()
    assert {r["sampler_seed"] for r in rows} == {0, 1, 2}
    assert {r["repeats"] for r in rows} == {"0", "1", "2"}
    grid = make_plan(study(study_repeats=2), *SPAN, "2026-11")  # a grid draws the same every time
    assert {r["repeats"] for r in grid.plan_rows()} == {"0 1"}


@pytest.mark.parametrize("seed", range(5))
def test_honesty_a_search_that_can_only_find_the_baseline_rejects(seed):
    """The space holds one configuration, the baseline's: for every search seed the candidate is
    the baseline's own trial and the verdict is REJECT."""
    s = study(hyperparameters={"hidden_size": 16, "learning_rate": 0.003},
              baseline={"hidden_size": 16, "learning_rate": 0.003}, search={"seed": seed})
    plan = make_plan(s, *SPAN, "2026-11")
    assert [t.id for t in plan.trials] == [plan.baseline]
    context = json.loads(json.dumps(study_context(s, plan)))  # what a rule's params carry
    import pandas as pd

    trials = pd.DataFrame({"trial": [plan.baseline], "group": [""], "period": ["all"],
                           "objective_mean": [0.5], "objective_std": [0.01]})
    chosen = select_candidates(trials, context)
    assert chosen["confirm"] == [plan.baseline]
    runs = pd.DataFrame({"trial": plan.baseline, "period": plan.periods[0].id, "seed": [2, 3],
                         "status": "ok", "valid_mse": [0.5, 0.51]})
    assert decide(runs, chosen, context, {plan.baseline: plan.baseline_trial.values})["verdict"] == "REJECT"
