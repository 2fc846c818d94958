"""The report's "Carried over" section (tunelab.report.warmstart): whether last month's winner still
wins, in each of the cases the leaderboard and the decision can show."""

import pandas as pd
from tunelab.report.warmstart import warm_start_lines, winner_sentence


def board(*rows):
    return pd.DataFrame([{"trial": t, "period": "all", "objective_mean": v, "feasible": 2, "seeds": 2}
                         for t, v in rows])


def ctx(winner="tw", baseline="tb", **warm):
    return {"baseline": {"trial": baseline},
            "warm_start": {"month": "2026-11", "winner_now": winner, "carried_trials": [winner],
                           "history": 0, "baseline_source": "", **warm}}


def test_a_winner_still_first_still_wins():
    assert "is still the best of 2 trials" in winner_sentence(board(("tw", 0.4), ("tx", 0.5)), {}, ctx())


def test_a_winner_ranked_lower_no_longer_wins_and_the_best_is_named():
    text = winner_sentence(board(("tw", 0.5), ("tx", 0.4), ("ty", 0.6)), {}, ctx())
    assert "ranks 2 of 3" in text and "`tx`" in text and "no longer wins" in text


def test_a_winner_as_baseline_is_judged_by_the_decision():
    adopted = winner_sentence(board(), {"verdict": "ADOPT", "candidate": {"trial": "tx"}}, ctx(baseline="tw"))
    kept = winner_sentence(board(), {"verdict": "REJECT"}, ctx(baseline="tw"))
    assert "`tx` beats it: it no longer wins" in adopted and "it still wins" in kept


def test_a_winner_that_did_not_run_everywhere_gets_no_answer():
    assert "no answer" in winner_sentence(board(("tx", 0.4)), {}, ctx())


def test_a_cold_start_says_so_and_a_study_without_warm_start_has_no_section():
    cold = {"baseline": {"trial": "tb"}, "warm_start": {"month": None, "cold": "this month started cold."}}
    assert warm_start_lines(board(), {}, cold)[2] == "this month started cold."
    assert warm_start_lines(board(), {}, {"baseline": {"trial": "tb"}}) == []
