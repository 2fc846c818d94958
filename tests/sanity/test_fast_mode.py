"""Fast mode: one period, one month of training data, capped epochs, results apart from the full study."""

import datetime as dt

import pytest
from sanity_data import study_dict, synth_dir_fixture, write_study  # noqa: F401 (a fixture)
from tunelab.sanity.fast_mode import fast_mode, fast_requested, months_back, parse_length, window_start
from tunelab.search.plan import make_plan
from tunelab.study import StudyError, study_from_dict
from tunelab.workflow import load_studies

SPAN = (dt.datetime(2020, 1, 1), dt.datetime(2021, 1, 1))


def full_and_fast(**overrides):
    study = study_from_dict(study_dict(**overrides), name="s")
    plan = make_plan(study, *SPAN, "2026-11")
    return study, plan, *fast_mode(study, plan)


def test_fast_plan_has_one_period_with_one_month_of_training_data():
    _, plan, fast_study, fast = full_and_fast()
    assert len(plan.periods) == 2 and len(fast.periods) == 1
    (period,) = fast.periods
    latest = plan.periods[-1]
    assert period.id == latest.id and period.valid == latest.valid  # the same validation month
    start, end = period.train
    assert end == latest.valid[0] and start == months_back(end, 1)  # one calendar month before it
    assert (start.day, start.hour) == (end.day, end.hour) and (end.month - start.month) % 12 == 1
    assert fast_study.name == "s-fast" and fast.study == "s-fast"
    assert fast_study.fast.on is True and fast_study.json["fast"] is True


def test_fast_mode_caps_epochs_and_keeps_trial_ids():
    _, plan, _, fast = full_and_fast(hyperparameters={"epochs": 30}, fast_epochs=4)
    assert [t.id for t in fast.trials] == [t.id for t in plan.trials]
    assert {t.values["epochs"] for t in fast.trials} == {4}
    assert {t.values["epochs"] for t in plan.trials} == {30}
    assert fast.baseline_trial.values["epochs"] == 4  # the baseline is compared on equal terms
    assert plan.baseline_trial.values["epochs"] == 30
    # a study that already trains fewer epochs keeps them
    _, _, _, short = full_and_fast(hyperparameters={"epochs": 2}, fast_epochs=4)
    assert {t.values["epochs"] for t in short.trials} == {2}


def test_fast_train_length_is_configurable_and_checked():
    _, _, _, fast = full_and_fast(fast_train="1w")
    start, end = fast.periods[0].train
    assert end - start == dt.timedelta(days=7)
    with pytest.raises(StudyError, match="fast_train: '4m' is longer"):
        full_and_fast(fast_train="4m")  # the study trains on 3 months


def test_config_switch_overrides_the_study_either_way():
    study = study_from_dict(study_dict(fast=True), name="s")
    assert fast_requested(study, {}) is True
    assert fast_requested(study, {"fast": "false"}) is False
    plain = study_from_dict(study_dict(), name="s")
    assert fast_requested(plain, {}) is False
    for word in (True, "true", "True", "1", "yes"):
        assert fast_requested(plain, {"fast": word}) is True
    with pytest.raises(StudyError, match="--config fast: 'maybe'"):
        fast_requested(plain, {"fast": "maybe"})


def test_load_studies_with_config_fast(synth_dir, monkeypatch):
    monkeypatch.chdir(synth_dir)
    write_study(synth_dir, "tiny", study_dict())
    full = load_studies({"study": "tiny"})
    fast = load_studies({"study": "tiny", "fast": "true"})
    assert list(full) == ["tiny"] and list(fast) == ["tiny-fast"]
    sp = fast["tiny-fast"]
    assert len(sp.plan.periods) == 1 and len(sp.plan.jobs()) == len(sp.plan.trials)  # 2 seeds, 1 block
    (period,) = sp.plan.periods
    assert period.train[1] - period.train[0] in {dt.timedelta(days=d) for d in (28, 29, 30, 31)}
    assert all(j[0] == period.id for j in sp.plan.jobs())


@pytest.mark.parametrize(("text", "expected"), [("1w", (1, "w")), ("3m", (3, "m")), ("10d", (10, "d"))])
def test_parse_length(text, expected):
    assert parse_length(text) == expected


@pytest.mark.parametrize("text", ["0m", "m", "1y", "1.5m", "full"])
def test_parse_length_rejects(text):
    with pytest.raises(ValueError, match="is not a length"):
        parse_length(text)


def test_month_arithmetic_clamps_to_the_month_end():
    assert months_back(dt.datetime(2021, 3, 31, 5), 1) == dt.datetime(2021, 2, 28, 5)
    assert months_back(dt.datetime(2021, 1, 15), 3) == dt.datetime(2020, 10, 15)
    assert window_start(dt.datetime(2021, 3, 1), "2w") == dt.datetime(2021, 2, 15)


def test_fast_periods_keeps_several_periods_each_with_a_short_training_window():
    """fast_periods: N keeps the plan's N most recent periods (cheap training, but the data
    variance of several periods), each trained on its last fast_train before its validation."""
    _, plan, _, fast = full_and_fast(periods={"count": 2}, fast_periods=2, fast_train="1m")
    assert [p.id for p in fast.periods] == [p.id for p in plan.periods]
    for short, full in zip(fast.periods, plan.periods, strict=True):
        assert short.valid == full.valid and short.train[1] == full.train[1]
        assert short.train[0] == months_back(full.train[1], 1)
    _, plan, _, fast = full_and_fast(fast_periods=5)  # more than the plan has: all of them
    assert len(fast.periods) == len(plan.periods)


def test_a_trial_that_joins_after_the_plan_is_capped_as_the_plans_are():
    """An adaptive round's trial in fast mode trains the plan's capped epochs (the default 5 too)."""
    from tunelab.sanity.fast_mode import fast_values

    for given, cap in (({"fast_epochs": 4}, 4), ({}, 5)):
        study, _, fast_study, fast = full_and_fast(hyperparameters={"epochs": 30}, **given)
        assert fast_values(fast_study, {"epochs": 30, "learning_rate": 0.1}) == {"epochs": cap, "learning_rate": 0.1}
        assert {t.values["epochs"] for t in fast.trials} == {cap}
        assert fast_values(study, {"epochs": 30}) == {"epochs": 30}  # not in fast mode: unchanged
