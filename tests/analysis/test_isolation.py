"""Isolation plots: the best trial per scientific value over the nuisance hyperparameters."""

import numpy as np
import pandas as pd
import pytest
from analysis_data import PERIODS, context, runs_frame, summarise, tables, tid, trial
from tunelab.analysis.isolation import buckets, describe_isolation, isolation_file, isolation_info


def test_best_per_value_is_taken_over_the_nuisance_hyperparameters(search_tables, ctx):
    info = isolation_info(search_tables[1], "hidden_size", ctx)
    values = {v["label"]: v for v in info["values"]}
    assert list(values) == ["16", "64"]
    assert values["16"]["best"] == tid(1) and values["16"]["mean"] == pytest.approx(0.52)
    assert values["64"]["best"] == tid(2) and values["64"]["std"] == pytest.approx(0.01)
    # the diverged trial t4 (width 64) is neither a best nor one of the grey dots
    assert values["64"]["trials"] == 3 and values["64"]["feasible"] == 2
    assert info["values"][info["winner"]]["label"] == "64"
    assert set(values["64"]["per_period"]) == set(PERIODS)
    assert values["64"]["per_period"][PERIODS[0]] == pytest.approx((0.45, 0.01))
    assert values["64"]["nuisance"] == {"learning_rate": 3.0e-3, "weight_decay": 1.0e-4}


def test_per_period_winner_can_differ_from_the_overall_winner():
    trials = [trial(1, {PERIODS[0]: 0.30, PERIODS[1]: 0.62}, group="hidden_size=16", hidden_size=16),
              trial(2, {PERIODS[0]: 0.50, PERIODS[1]: 0.60}, group="hidden_size=64", hidden_size=64)]
    info = isolation_info(tables(trials)[1], "hidden_size", context())
    assert info["values"][info["winner"]]["label"] == "16"
    assert info["values"][info["period_winner"][PERIODS[1]]]["label"] == "64"


def test_two_values_within_seed_noise_are_described_as_such():
    trials = [trial(1, 0.500, std=0.02, group="hidden_size=16", hidden_size=16),
              trial(2, 0.505, std=0.02, group="hidden_size=64", hidden_size=64)]
    text = describe_isolation(isolation_info(tables(trials)[1], "hidden_size", context()))
    assert "Best hidden_size = 16" in text and "within the retrain spread" in text
    trials[1] = trial(2, 0.60, std=0.02, group="hidden_size=64", hidden_size=64)
    text = describe_isolation(isolation_info(tables(trials)[1], "hidden_size", context()))
    assert "larger than the retrain spread" in text


def test_continuous_scientific_values_are_bucketed_and_the_best_per_bucket_taken():
    info = {"role": "scientific", "kind": "continuous", "low": 1e-4, "high": 1.0, "scaling": "log",
            "points": []}
    values = pd.Series(10.0 ** np.linspace(-4, 0, 20))
    labels, order = buckets(values, info, count=4)
    assert len(order) == 4 and labels.nunique() == 4
    assert (labels.value_counts() == 5).all()  # quantile buckets: equal counts
    trials = [trial(i, 1.0 - 0.01 * i, dropout=float(v)) for i, v in enumerate(values)]
    space = {"dropout": info}
    result = isolation_info(tables(trials)[1], "dropout", context(space))
    assert result["bucketed"] and len(result["values"]) == 5  # BUCKETS
    assert [v["best"] for v in result["values"]] == [tid(3), tid(7), tid(11), tid(15), tid(19)]


def test_drawing_writes_a_png(tmp_path, search_tables, ctx):
    path = tmp_path / "trials.csv"
    search_tables[1].to_csv(path, index=False)
    isolation_file(str(path), ctx, "hidden_size", str(tmp_path / "iso.png"))
    assert (tmp_path / "iso.png").read_bytes()[:4] == b"\x89PNG"


def test_with_one_seed_the_isolation_sentence_gives_no_noise_verdict():
    trials = [trial(1, 0.50, group="hidden_size=16", hidden_size=16),
              trial(2, 0.40, group="hidden_size=64", hidden_size=64)]
    text = describe_isolation(isolation_info(tables(trials, seeds=(0,))[1], "hidden_size",
                                                  context()))
    assert "unmeasured" in text and "larger than the retrain spread" not in text
    assert "± -" in text and "± 0" not in text  # no spread measured: not a std of 0


def test_seeds_that_agree_exactly_are_said_to_agree_not_shown_as_a_bare_zero():
    """A trainer whose result ignores the seed (LightGBM without sampling): a real std of 0."""
    trials = [trial(1, 0.50, std=0.0, group="hidden_size=16", hidden_size=16),
              trial(2, 0.40, std=0.0, group="hidden_size=64", hidden_size=64)]
    text = describe_isolation(isolation_info(tables(trials)[1], "hidden_size", context()))
    assert "0.4 ± 0 (seeds agree exactly)" in text
    assert "with no retrain spread on either" in text and "larger than the retrain spread" not in text


def test_a_value_whose_best_trial_a_rung_stopped_is_marked_and_not_weighed_against_the_other():
    """Rungs rank across values: the LightGBM example's lambda_l2=0 was best at 30 of 90 rounds,
    and its isolation sentence weighed that against a trial trained fully."""
    runs = runs_frame([trial(1, 0.45, group="hidden_size=16", hidden_size=16),
                       trial(2, 0.50, group="hidden_size=64", hidden_size=64)])
    runs.insert(runs.columns.get_loc("valid_examples") + 1, "rung_epochs",
                np.where(runs["trial"] == tid(1), 3, 9))
    info = isolation_info(summarise(runs, "valid_mse"), "hidden_size", context(full_epochs=9))
    text = describe_isolation(info)
    assert "16: 0.45 ± 0.01 (stopped at a rung: 3 of 9 epochs)" in text
    assert "not comparable: one was measured at a rung, after fewer epochs" in text
    assert "retrain spread" not in text
