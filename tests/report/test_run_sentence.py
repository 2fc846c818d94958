"""The report's first line says what was run as it was: the rotation month as the key it is, the
runs as the product of trials, seeds and periods, and the adaptive phase's trials."""

import pandas as pd
from tunelab.analysis.study_context import make_context
from tunelab.report.markdown import run_sentence


def runs(trials: int, seeds: int, periods: int, adaptive: int = 0) -> pd.DataFrame:
    rows = [{"trial": f"t{t}", "seed": s, "period": f"p{p}", "status": "ok",
             "phase": "adaptive" if t >= trials - adaptive else "exploration"}
            for t in range(trials) for s in range(seeds) for p in range(periods)]
    return pd.DataFrame(rows)


def test_the_runs_are_the_product_of_trials_seeds_and_periods():
    text = run_sentence(runs(6, 2, 3), ["p0", "p1", "p2"], 6, 0, make_context(seeds=2, month="2026-12"))
    assert "6 trials x 2 seeds x 3 periods = 36 runs" in text
    assert "**2026-12** (the key that draws the periods, not a date of the data)" in text


def test_the_adaptive_phase_is_named_in_the_first_line():
    text = run_sentence(runs(8, 2, 1, adaptive=2), ["p0"], 8, 0,
                        make_context(seeds=2, search={"algorithm": "quasi_random", "budget": 6, "seed": 0}))
    assert "exploration, budget 6, sampler seed 0, then 2 more trials from the adaptive (Bayesian) " \
        "rounds; 8 trials x" in text  # not 'budget 6; 2 of them from...', which read as 2 of the 6


def test_a_count_that_is_not_the_product_is_not_written_as_one():
    partial = runs(4, 2, 2).iloc[:-3]
    text = run_sentence(partial, ["p0", "p1"], 4, 0, make_context(seeds=2))
    assert " = " not in text and "13 runs" in text


def test_trials_a_rung_stopped_are_not_counted_with_those_trained_fully():
    from tunelab.report.markdown import rung_losers

    text = rung_losers(["t1", "t2", "t3"], {"t2", "t3", "t4"}, 6, "linear")
    assert text.startswith("**1 of the 3 trials trained to the full budget are worse than linear**")
    assert "2 of the 3 trials stopped at a rung are worse too, measured after fewer epochs" in text
    none = rung_losers(["t2"], {"t2"}, 3, "linear")
    assert none.startswith("Every trial trained to the full budget beats linear")
    assert "; the one trial stopped at a rung is worse, measured" in none  # not 'worse too'
    assert "the one trial stopped at a rung is not worse" in rung_losers(["t1"], {"t2"}, 3, "linear")


def test_agreement_is_named_by_the_weaker_of_its_two_measures():
    from tunelab.report.markdown import agreement_word

    assert agreement_word(0.42, 0.13) == "weak"
    assert agreement_word(0.75, 0.72) == "strong"
    assert agreement_word(0.8, 0.5) == "moderate"
    assert agreement_word(0.5, float("nan")) == "moderate"


def test_an_optional_rule_input_is_a_path_or_none():
    from tunelab.io import optional_input

    assert optional_input([]) is None and optional_input(None) is None and optional_input("") is None
    assert optional_input("a.csv") == "a.csv" and optional_input(["a.csv"]) == "a.csv"


def test_periods_whose_orders_are_unrelated_are_not_said_to_agree_weakly():
    """The default study: W 0.23 over 3 periods, mean Spearman -0.16, read as 'agree weakly'."""
    from tunelab.report.markdown import variance_lines

    v = {"retrain_std": {"overall": 0.02, "by_period": {}, "trials": 10}, "study": {},
         "rank_agreement": {"periods": 3, "trials": 12, "kendall_w": 0.23, "spearman_mean": -0.16}}
    text = "\n".join(variance_lines(v))
    assert "the periods do not agree on the order of the trials, no more than chance would" in text
    assert "agree weakly" not in text
    v["rank_agreement"].update(kendall_w=0.6, spearman_mean=0.3)
    assert "the periods agree weakly on the order" in "\n".join(variance_lines(v))
