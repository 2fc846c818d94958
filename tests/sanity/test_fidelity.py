"""The fidelity study: cheap job specs, rank agreement and the recommendation, on hand-made runs."""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from sanity_data import study_dict
from tunelab.sanity.fidelity import (
    Setting,
    _get_fidelity_info,
    fidelity_markdown,
    fidelity_plan,
    fidelity_table,
    parse_settings,
    plot_fidelity,
    rank_agreement,
    recommend,
    seed_ceiling,
    setting_spec,
)
from tunelab.search.plan import make_plan
from tunelab.study import StudyError, study_from_dict
from tunelab.study.resolved import FidelityStudy
from tunelab.workflow import StudyPlan

TRIALS = [f"t{i}" for i in range(6)]
FULL = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], index=TRIALS)


def test_identical_ranking_agrees_perfectly():
    out = rank_agreement(FULL, FULL * 10 + 3)  # any increasing transform
    assert out["spearman"] == pytest.approx(1.0) and out["kendall"] == pytest.approx(1.0)
    assert out["best_trial"] == "t0" and out["best_trial_full_rank"] == 1 and out["regret"] == 0


def test_reversed_ranking_and_its_best_trial():
    out = rank_agreement(FULL, -FULL)
    assert out["spearman"] == pytest.approx(-1.0) and out["kendall"] == pytest.approx(-1.0)
    assert out["best_trial"] == "t5" and out["best_trial_full_rank"] == 6
    assert out["regret"] == pytest.approx(5.0)  # (6 - 1) / 1


def test_one_swap_matches_scipy_by_hand():
    cheap = pd.Series([2.0, 1.0, 3.0, 4.0, 5.0, 6.0], index=TRIALS)  # the two best swapped
    out = rank_agreement(FULL, cheap)
    assert out["spearman"] == pytest.approx(1 - 6 * 2 / (6 * 35))  # 1 - 6 sum d^2 / n(n^2-1)
    assert out["kendall"] == pytest.approx((14 - 1) / 15)  # 14 concordant, 1 discordant pair
    assert out["best_trial"] == "t1" and out["best_trial_full_rank"] == 2


def test_infeasible_trials_rank_last_and_only_common_trials_count():
    cheap = pd.Series([1.0, 2.0, np.nan, 4.0, 5.0, 6.0, 0.1], index=[*TRIALS, "extra"])
    full = FULL.copy()
    full["t2"] = np.nan  # infeasible in both: last in both
    out = rank_agreement(full, cheap)
    assert out["trials"] == 6 and out["spearman"] == pytest.approx(1.0)


def test_too_few_trials_give_no_correlation():
    out = rank_agreement(FULL[:2], FULL[:2])
    assert math.isnan(out["spearman"]) and out["best_trial"] == "t0"


def table(rows):
    frame = pd.DataFrame(rows)
    frame["cost_fraction"] = frame["train_time"] / frame.loc[frame["kind"] == "full", "train_time"].iloc[0]
    for col, default in (("kendall", 0.5), ("trials", 6), ("best_trial_full_rank", 1), ("regret", 0.0)):
        if col not in frame:
            frame[col] = default
    return frame


ROWS = [
    {"setting": "full", "kind": "full", "train_time": 100.0, "spearman": 1.0},
    {"setting": "full-1period", "kind": "period", "train_time": 50.0, "spearman": 0.95},
    {"setting": "1w-e2", "kind": "cheap", "train_time": 2.0, "spearman": 0.40},
    {"setting": "1m-e2", "kind": "cheap", "train_time": 5.0, "spearman": 0.85},
    {"setting": "3m-e2", "kind": "cheap", "train_time": 12.0, "spearman": 0.95},
    {"setting": "1m-full", "kind": "cheap", "train_time": 20.0, "spearman": 0.90},
]


def test_recommends_the_cheapest_setting_above_the_threshold():
    choice, why = recommend(table(ROWS), 0.8)
    assert choice == "1m-e2"
    assert "Spearman 0.85" in why and "5.0% of the full training time" in why
    assert "1w-e2 (0.40)" in why  # the cheaper one that fell short, with its number
    assert recommend(table(ROWS), 0.9)[0] == "3m-e2"


def test_never_recommends_a_reference_row_and_says_when_nothing_agrees():
    choice, why = recommend(table(ROWS), 0.99)  # full-1period reaches 0.95 but is not a cheap setting
    assert choice is None
    assert "No cheap setting reaches Spearman 0.99" in why and "3m-e2" in why


def test_equal_cost_prefers_the_better_agreement():
    rows = ROWS[:2] + [{"setting": "a", "kind": "cheap", "train_time": 5.0, "spearman": 0.82},
                       {"setting": "b", "kind": "cheap", "train_time": 5.0, "spearman": 0.91}]
    assert recommend(table(rows), 0.8)[0] == "b"


def runs(objectives: dict, period="v1", seeds=(0, 1), train_time=1.0, noise=0.0):
    rows = []
    for trial, value in objectives.items():
        for seed in seeds:
            rows.append({"trial": trial, "period": period, "seed": seed, "status": "ok",
                         "valid_mse": value + noise * seed, "train_time": train_time,
                         "train_examples": 100, "epochs_run": 5})
    return pd.DataFrame(rows)


def test_fidelity_table_end_to_end_on_hand_made_runs(tmp_path):
    truth = dict(zip(TRIALS, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], strict=True))
    full = pd.concat([runs(truth, "v1", train_time=10.0), runs(truth, "v2", train_time=10.0)])
    shuffled = dict(zip(TRIALS, [6.0, 5.0, 4.0, 3.0, 2.0, 1.0], strict=True))
    cheap = pd.concat([runs(truth, "v2", train_time=1.0).assign(setting="1m-e2"),
                       runs(shuffled, "v2", train_time=0.5).assign(setting="1w-e2")])
    settings = [Setting("1w", 2), Setting("1m", 2)]
    out = fidelity_table(full, cheap, "valid_mse", ["v2"], settings, 0.8).set_index("setting")
    assert list(out.index) == ["full", "full-1period", "1w-e2", "1m-e2"]
    assert out.loc["1m-e2", "spearman"] == pytest.approx(1.0)
    assert out.loc["1w-e2", "spearman"] == pytest.approx(-1.0)
    assert out.loc["1m-e2", "cost_fraction"] == pytest.approx(12 / 240)
    assert out.loc["1m-e2", "recommended"] and out["recommended"].sum() == 1
    assert out.loc["1m-e2", "example_epochs"] == 12 * 100 * 5
    # on v2 alone the full training ranks as the full study: so do the cheap settings, per period
    assert out.loc["1m-e2", "spearman_same_periods"] == pytest.approx(1.0)
    assert out.loc["1m-e2", "spearman_low"] <= 1.0 <= out.loc["1m-e2", "spearman_high"] + 1e-9
    ceiling = seed_ceiling(full, "valid_mse")
    assert ceiling["spearman"] == pytest.approx(1.0)
    md = fidelity_markdown("s", out.reset_index(), 0.8, "valid_mse", ["v2"], ceiling)
    assert "**1m-e2**" in md and "fast_train: 1m" in md and "fast_epochs: 2" in md
    info = _get_fidelity_info(out.reset_index(), 0.8, ceiling["spearman"])
    assert [p["setting"] for p in info["points"]] == ["full-1period", "1w-e2", "1m-e2"]
    assert info["trains"] == ["1w", "1m"]
    plot_fidelity(info, tmp_path / "fidelity.png")
    assert (tmp_path / "fidelity.png").stat().st_size > 1000


def test_settings_product_leaves_out_the_full_study():
    settings = parse_settings(FidelityStudy(train=("1w", "full"), epochs=(2, "full"), periods="fast",
                                            threshold=0.8, given=True))
    assert [s.name for s in settings] == ["1w-e2", "1w-full", "full-e2"]


SPAN = (dt.datetime(2020, 1, 1), dt.datetime(2021, 1, 1))


def study_plan(**overrides):
    study = study_from_dict(study_dict(**overrides), name="s")
    return StudyPlan(study, make_plan(study, *SPAN, "2026-11"))


def test_cheap_job_spec_is_the_full_spec_with_a_short_window_and_an_epoch_cap():
    sp = study_plan(fidelity={"train": ["1w"], "epochs": [2]}, hyperparameters={"epochs": 9})
    fp = fidelity_plan(sp)
    assert fp.periods == sp.plan.periods[-1:] and [s.name for s in fp.settings] == ["1w-e2"]
    setting, period, trial, block = fp.jobs()[0]
    spec = setting_spec(sp, fp, setting, period, trial, block)
    start, end = (dt.datetime.fromisoformat(x) for x in spec["windows"]["train"])
    assert end == fp.periods[0].valid[0] and end - start == dt.timedelta(days=7)
    assert spec["windows"]["valid"] == fp.periods[0].windows()["valid"]
    assert spec["windows"]["test"] is None and spec["hyperparameters"]["epochs"] == 2
    assert len(fp.jobs()) == len(sp.plan.trials) and fp.metrics_files()[0].startswith(
        "results/s/fidelity/1w-e2/runs/")


def test_all_periods_option_trains_every_cheap_setting_on_every_period():
    sp = study_plan(fidelity={"train": ["1w", "1m"], "epochs": [2], "periods": "all"})
    fp = fidelity_plan(sp)
    assert fp.periods == sp.plan.periods and len(sp.plan.periods) == 2
    assert len(fp.jobs()) == 2 * 2 * len(sp.plan.trials)  # settings x periods x trials (one block)


def test_disagreeing_periods_are_named_as_the_cause():
    truth = dict(zip(TRIALS, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], strict=True))
    flipped = dict(zip(TRIALS, [6.5, 5.5, 4.5, 3.5, 2.5, 1.5], strict=True))
    full = pd.concat([runs(truth, "v1"), runs({k: 3 * v for k, v in truth.items()}, "v1b"),
                      runs(flipped, "v2")]).replace({"v1b": "v1c"})
    cheap = runs(flipped, "v2").assign(setting="1m-e2")
    table = fidelity_table(full, cheap, "valid_mse", ["v2"], [Setting("1m", 2)], 0.8)
    row = table.set_index("setting").loc["1m-e2"]
    assert row["spearman"] < 0 and row["spearman_same_periods"] == pytest.approx(1.0)
    md = fidelity_markdown("s", table, 0.8, "valid_mse", ["v2"], None)
    assert "the choice of periods, not the cheap training, loses most of the ranking" in md
    assert "**full mode**" in md


def test_lengths_that_do_not_fit_are_an_error_when_asked_for_and_skipped_by_default():
    with pytest.raises(StudyError, match="fidelity.train: '6m' is longer"):
        fidelity_plan(study_plan(fidelity={"train": ["6m"], "epochs": [2]}))
    fp = fidelity_plan(study_plan(periods={"train_months": 2}))  # no fidelity key: defaults
    assert {s.train for s in fp.settings} == {"1w", "1m"} and "3m-e2" in fp.skipped
    assert fidelity_plan(study_plan(fast=True)) is None  # fast mode is cheap already


def test_the_noise_ceiling_is_read_against_each_setting_in_the_recommendation():
    """A full study whose seed halves barely agree: a cheap setting's low Spearman says the
    full ranking is noise, not that the setting is poor; the Recommendation says so first."""
    rng = np.random.default_rng(0)
    truth = dict(zip(TRIALS, [1.0, 1.01, 1.02, 1.03, 1.04, 1.05], strict=True))
    full = pd.concat([runs(truth, p, seeds=(0, 1, 2, 3)) for p in ("v1", "v2")])
    full["valid_mse"] += 0.2 * rng.standard_normal(len(full))  # seed noise >> the trials' gaps
    ceiling = seed_ceiling(full, "valid_mse")
    # seed halves (0, 1) vs (2, 3) rank the 6 trials with Spearman 13/35; Spearman-Brown to 4 seeds
    assert ceiling["spearman"] == pytest.approx(13 / 35) and ceiling["rerun"] == pytest.approx(13 / 24)
    cheap = runs(dict(zip(TRIALS, [3.0, 1.0, 2.0, 6.0, 4.0, 5.0], strict=True)), "v2").assign(
        setting="1m-e2")
    out = fidelity_table(full, cheap, "valid_mse", ["v1", "v2"], [Setting("1m", 2)], 0.8)
    md = fidelity_markdown("s", out, 0.8, "valid_mse", ["v1", "v2"], ceiling)
    recommendation = md.split("## Recommendation")[1].split("##")[0]
    assert "noise ceiling" in recommendation.lower() and f"{ceiling['rerun']:.2f}" in recommendation
    assert "mostly seed noise" in recommendation


def test_a_several_period_recommendation_names_fast_periods():
    truth = dict(zip(TRIALS, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], strict=True))
    full = pd.concat([runs(truth, p, train_time=10.0) for p in ("v1", "v2")])
    cheap = pd.concat([runs(truth, p, train_time=1.0) for p in ("v1", "v2")]).assign(setting="1m-e2")
    out = fidelity_table(full, cheap, "valid_mse", ["v1", "v2"], [Setting("1m", 2)], 0.8)
    md = fidelity_markdown("s", out, 0.8, "valid_mse", ["v1", "v2"], seed_ceiling(full, "valid_mse"))
    assert "`fast_periods: 2`, `fast_train: 1m`, `fast_epochs: 2`" in md
