"""Plans are deterministic; trial ids depend on resolved values alone; seed blocks grow at the end."""

import datetime as dt

import pytest
from conftest import tiny_study
from tunelab.search.plan import block_name, block_seeds, make_plan, make_trials, resolve_month, seed_blocks, trial_id
from tunelab.study import study_from_dict

SPAN = (dt.datetime(2020, 1, 1), dt.datetime(2020, 9, 1))


def study(hyperparameters=None, **overrides):
    """The tiny study with `overrides` merged and hyperparameter entries replaced whole."""
    raw = tiny_study(**overrides)
    raw["hyperparameters"].update(hyperparameters or {})
    return study_from_dict(raw, name="tiny")


def test_same_inputs_same_plan_byte_for_byte():
    a = make_plan(study(), *SPAN, "2026-11")
    b = make_plan(study(), *SPAN, "2026-11")
    assert a.plan_rows() == b.plan_rows() and a.period_rows() == b.period_rows()
    assert a.jobs() == b.jobs()


def test_per_scientific_search_draws_the_same_nuisance_points_for_each_value():
    s = study(hyperparameters={"learning_rate": {"role": "nuisance", "min": 1.0e-4, "max": 1.0e-1,
                                                 "scaling": "log"}},
              search={"algorithm": "quasi_random", "budget": 5})
    trials = make_trials(s)
    assert len(trials) == 10
    by_group = {}
    for t in trials:
        by_group.setdefault(t.group, []).append(t.values["learning_rate"])
    assert list(by_group) == ["hidden_size=8", "hidden_size=16"]
    assert by_group["hidden_size=8"] == by_group["hidden_size=16"]


def test_joint_search_samples_scientific_values_too():
    s = study(hyperparameters={"learning_rate": {"role": "nuisance", "min": 1.0e-4, "max": 1.0e-1,
                                                 "scaling": "log"}},
              search={"algorithm": "random", "budget": 20, "mode": "joint"})
    trials = make_trials(s)
    assert {t.group for t in trials} == {""}
    assert {t.values["hidden_size"] for t in trials} == {8, 16}


def test_trial_id_is_a_function_of_values_alone():
    values = {"learning_rate": 0.01, "hidden_size": 8}
    assert trial_id("mlp", values) == trial_id("mlp", dict(reversed(list(values.items()))))
    assert trial_id("mlp", values) != trial_id("mlp", {**values, "hidden_size": 16})
    assert trial_id("mlp", values) != trial_id("lstm", values)


def test_changing_one_value_changes_only_that_trials_id():
    before = {t.values["learning_rate"]: t.id for t in make_trials(study(
        hyperparameters={"hidden_size": 8, "learning_rate": {"role": "nuisance",
                                                             "feasible_points": [0.001, 0.01]}}))}
    after = {t.values["learning_rate"]: t.id for t in make_trials(study(
        hyperparameters={"hidden_size": 8, "learning_rate": {"role": "nuisance",
                                                             "feasible_points": [0.001, 0.02]}}))}
    assert before[0.001] == after[0.001]
    assert before[0.01] != after[0.02]


def test_inactive_conditional_values_do_not_enter_the_id():
    sgd = make_trials(study(hyperparameters={"optimizer": "sgd", "beta2": 0.5}))
    sgd_other_beta = make_trials(study(hyperparameters={"optimizer": "sgd", "beta2": 0.9}))
    assert [t.id for t in sgd] == [t.id for t in sgd_other_beta]
    assert "beta2" not in sgd[0].values and "momentum" in sgd[0].values


def test_seed_blocks_grow_at_the_end():
    assert seed_blocks([0, 1, 2], 3) == [(0, 1, 2)]
    assert seed_blocks([0, 1, 2, 3], 3) == [(0, 1, 2), (3,)]
    assert [block_name(b) for b in seed_blocks(list(range(5)), 2)] == ["s0-1", "s2-3", "s4"]
    assert block_seeds("s2-3") == [2, 3] and block_seeds("s4") == [4]


def test_month_resolution_order():
    s = study()
    assert resolve_month(s) == "2026-11"  # the study pins it
    assert resolve_month(s, "2024-05") == "2024-05"  # --config wins
    raw = tiny_study()
    del raw["periods"]["month"]
    unpinned = study_from_dict(raw, name="tiny")
    assert resolve_month(unpinned, today=dt.date(2030, 2, 3)) == "2030-02"
    with pytest.raises(ValueError, match="month: '2024-5'"):
        resolve_month(s, "2024-5")


def test_the_costliest_job_groups_get_the_highest_priority():
    """Longest first: a width-64 group of four starts before a width-8 group of four; every
    priority below the sanity checks' 50, which run before any training."""
    s = study(hyperparameters={"hidden_size": {"role": "scientific", "feasible_points": [8, 64]},
                               "learning_rate": {"role": "nuisance", "min": 1.0e-4, "max": 1.0e-1,
                                                 "scaling": "log"}},
              search={"algorithm": "quasi_random", "budget": 4}, trials_per_job=4)
    plan = make_plan(s, *SPAN, "2026-11")
    width = {g: plan.trial_by_id[ids[0]].values["hidden_size"] for g, ids in plan.job_groups.items()}
    priority = plan.job_group_priority
    assert sorted(width.values()) == [8, 64]
    assert max(priority, key=priority.get) == max(width, key=width.get)
    assert all(1 <= p <= 40 for p in priority.values())
