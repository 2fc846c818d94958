"""The trials against the simple baselines: who loses to them, and skill (a scale-free score)."""

import pandas as pd
import pytest
from analysis_data import PERIODS, tables, tid, trial
from tunelab.analysis.skill import baseline_rows, best_simple, losers, skill_scores


def baselines_frame(values: dict[str, dict[str, float]]) -> pd.DataFrame:
    """baselines.csv rows: baseline -> {period: valid_mse}; valid_mae is 10x, as in runs_frame."""
    rows = [{"study": "hand", "baseline": name, "period": p, "valid_mse": v, "valid_mae": 10 * v}
            for name, per in values.items() for p, v in per.items()]
    return pd.DataFrame(rows)


BASELINES = {"persistence": {PERIODS[0]: 0.55, PERIODS[1]: 0.55},
             "training_mean": {PERIODS[0]: 0.90, PERIODS[1]: 0.90},
             "linear": {PERIODS[0]: 0.58, PERIODS[1]: 0.50}}


def test_trials_worse_than_the_best_simple_baseline_are_named(search_tables):
    _, trials = search_tables  # 0.60, 0.52, 0.45, 0.55, diverged, 0.58
    frame = baselines_frame(BASELINES)
    assert best_simple(frame, "valid_mse") == ("linear", pytest.approx(0.54))
    assert losers(trials, frame, "valid_mse") == [tid(3), tid(5), tid(0)]  # worst last


def test_skill_is_relative_to_each_periods_best_baseline(search_tables):
    _, trials = search_tables
    skill = skill_scores(trials, baselines_frame(BASELINES), "valid_mse")
    # t2 (0.45 on both): 1 - 0.45 / 0.55 on the first period, 1 - 0.45 / 0.50 on the second
    assert skill.at[tid(2), "skill"] == pytest.approx((1 - 0.45 / 0.55 + 1 - 0.45 / 0.50) / 2)
    assert skill.at[tid(2), "skill_worst"] == pytest.approx(1 - 0.45 / 0.50)
    assert pd.isna(skill.at[tid(4), "skill"])  # diverged: no score, as its objective_mean


def test_skill_is_scale_free_where_the_raw_mean_follows_the_hardest_period():
    """Trial A is better on the hard period (errors 7x), B on the easy one by more, relatively."""
    means = {tid(1): {PERIODS[0]: 0.50, PERIODS[1]: 3.20},
             tid(2): {PERIODS[0]: 0.40, PERIODS[1]: 3.40}}
    _, trials = tables([trial(1, means[tid(1)]), trial(2, means[tid(2)])])
    frame = baselines_frame({"persistence": {PERIODS[0]: 0.60, PERIODS[1]: 4.0}})
    raw = trials[trials["period"] == "all"].set_index("trial")["objective_mean"]
    assert raw[tid(1)] < raw[tid(2)]  # the raw mean follows the hard period
    skill = skill_scores(trials, frame, "valid_mse")["skill"]
    assert skill[tid(2)] > skill[tid(1)]  # 1/3 and 0.15 beat 1/6 and 0.2 on average
    scaled = trials.copy()
    hard = scaled["period"] == PERIODS[1]
    scaled.loc[hard, "objective_mean"] /= 7  # the same relative errors on a month 7x easier
    frame.loc[frame["period"] == PERIODS[1], "valid_mse"] /= 7
    assert skill_scores(scaled, frame, "valid_mse")["skill"].to_dict() == pytest.approx(skill.to_dict())


def test_baseline_rows_read_like_the_leaderboard():
    rows = baseline_rows(baselines_frame(BASELINES), "valid_mae").set_index("baseline")
    assert rows.at["linear", "objective_mean"] == pytest.approx(5.4)
    assert rows.at["training_mean", "skill"] < 0 < 1 + rows.at["persistence", "skill"]
    assert list(rows.index) == ["linear", "persistence", "training_mean"]  # best first


def test_the_behaviour_measure_sees_one_period_dominate_the_raw_mean():
    """Five trials on three periods; the last period's errors are 7x the others' and its order
    differs: the raw mean's spread comes mostly from it, skill's from every period alike."""
    from tunelab.analysis.skill import aggregate_behaviour

    periods = ("v1", "v2", "v3")
    order = {"v1": [0, 1, 2, 3, 4], "v2": [0, 2, 1, 3, 4], "v3": [1, 0, 2, 3, 4]}
    search = [trial(i, {p: (7.0 if p == "v3" else 1.0) * (1 + 0.02 * order[p][i]) for p in periods})
              for i in range(5)]
    _, trials = tables(search, periods=periods)
    frame = baselines_frame({"persistence": {"v1": 1.2, "v2": 1.2, "v3": 8.4}})
    result = aggregate_behaviour(trials, frame, "valid_mse")
    assert result["raw"]["influence"]["v3"] > 0.75  # 7x the scale: it decides the raw mean
    assert result["skill"]["max_influence"] < 0.5
    assert result["skill"]["min_leave_one_out"] > result["raw"]["min_leave_one_out"]


def test_a_trial_with_positive_skill_is_not_called_worse_than_the_simple_forecasts():
    """Its mean over periods is above linear's (the hard period dominates the raw mean), but it
    beats the best simple forecast period by period on average: the skill column and 'worse than'
    must say the same thing."""
    means = {tid(1): {PERIODS[0]: 0.40, PERIODS[1]: 3.60}}
    _, trials = tables([trial(1, means[tid(1)])])
    frame = baselines_frame({"linear": {PERIODS[0]: 0.60, PERIODS[1]: 3.30}})
    assert trials[trials["period"] == "all"]["objective_mean"].iloc[0] > 1.95  # linear's mean
    assert skill_scores(trials, frame, "valid_mse").at[tid(1), "skill"] > 0
    assert losers(trials, frame, "valid_mse") == []


def test_a_trial_that_beats_the_simple_forecasts_on_average_but_not_on_a_period_is_named():
    """The hard period's loss hides in the mean: the leaderboard's 'every trial beats' and the
    checklist's ok would contradict the decision, which names the lost period."""
    from tunelab.analysis.skill import period_loss_count, period_loss_words, period_losses

    _, trials = tables([trial(1, {PERIODS[0]: 0.40, PERIODS[1]: 3.60}),
                        trial(2, {PERIODS[0]: 0.50, PERIODS[1]: 3.20})])
    frame = baselines_frame({"linear": {PERIODS[0]: 0.60, PERIODS[1]: 3.30}})
    assert losers(trials, frame, "valid_mse") == []
    assert period_losses(trials, frame, "valid_mse") == {tid(1): [PERIODS[1]]}
    assert period_loss_words({"a": ["p1"], "b": ["p1", "p2"], "c": ["p1"]}, limit=1) == \
        "on p1: a and 1 more; on p1, p2: b"
    assert period_losses(trials, None, "valid_mse") == {}
    assert period_loss_count({tid(1): [PERIODS[1]]}, 2) == \
        "1 of the 2 trials that beat it in skill loses to the best simple forecast on a period"
    assert period_loss_count({"a": ["p1"], "b": ["p1"]}, 2).startswith("All 2 trials that beat it "
                                                                       "in skill lose to")
    easy = baselines_frame({"linear": {PERIODS[0]: 0.10, PERIODS[1]: 0.10}})  # every trial loses
    assert losers(trials, easy, "valid_mse") and period_losses(trials, easy, "valid_mse") == {}


def test_a_trial_ahead_in_skill_but_behind_on_the_mean_is_named():
    """A real leaderboard said every trial trained fully beats linear, beside a best trial whose mean
    valid_mse (0.4718) was above linear's (0.4696): skill counts each period the same, the mean
    follows the period with the larger errors. Both are true; the report must say the second."""
    from tunelab.analysis.skill import mean_disagreement_lines, mean_disagreements

    _, trials = tables([trial(1, {PERIODS[0]: 0.40, PERIODS[1]: 3.60}),   # skill +0.12, mean 2.00
                        trial(2, {PERIODS[0]: 0.50, PERIODS[1]: 3.20})])  # skill +0.10, mean 1.85
    frame = baselines_frame({"linear": {PERIODS[0]: 0.60, PERIODS[1]: 3.30}})  # mean 1.95
    assert losers(trials, frame, "valid_mse") == []
    assert skill_scores(trials, frame, "valid_mse").at[tid(1), "skill"] > 0
    assert mean_disagreements(trials, frame, "valid_mse") == ([tid(1)], [])
    assert tid(2) not in mean_disagreements(trials, frame, "valid_mse")[0]  # its mean is below linear's
    assert mean_disagreement_lines(trials, frame, "valid_mse") == [
        "By the mean valid_mse over periods, which weighs the periods with larger errors more, "
        f"linear's 1.95 is still no worse than one of the trials that beat it in skill ({tid(1)})."]
    assert mean_disagreements(trials, None, "valid_mse") == ([], [])


def test_a_trial_worse_in_skill_but_ahead_on_the_mean_is_named():
    """The mirror case, found on three real studies: a trial marked 'worse than persistence' beside
    a mean valid_mse below persistence's, because it wins the period with the large errors."""
    from tunelab.analysis.skill import mean_disagreement_lines, mean_disagreements

    _, trials = tables([trial(1, {PERIODS[0]: 0.80, PERIODS[1]: 3.00})])  # skill -0.12, mean 1.90
    frame = baselines_frame({"linear": {PERIODS[0]: 0.60, PERIODS[1]: 3.30}})  # mean 1.95
    assert losers(trials, frame, "valid_mse") == [tid(1)]
    assert mean_disagreements(trials, frame, "valid_mse") == ([], [tid(1)])
    assert mean_disagreement_lines(trials, frame, "valid_mse") == [
        "By the mean valid_mse over periods, which weighs the periods with larger errors more, one of "
        f"the trials worse than linear in skill is ahead of its 1.95 ({tid(1)})."]
