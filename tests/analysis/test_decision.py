"""Adopt or reject on hand-made confirmation runs where the right verdict is known."""

import numpy as np
import pandas as pd
import pytest
from analysis_data import LR, PERIODS, WD, WIDTH, context, runs_frame, tid, trial
from scipy import stats
from tunelab.analysis.decision import (
    changed_hyperparameters,
    compare,
    decide,
    decide_file,
    decision_markdown,
    select_candidates,
    welch,
)

BASE, CAND = tid(100), tid(200)
SEEDS = (3, 4, 5, 6, 7)  # confirmation seeds after the study's 0, 1, 2
BASE_VALUES = {"learning_rate": 1.0e-3, "weight_decay": 0.0, "hidden_size": 64}
CAND_VALUES = {"learning_rate": 3.0e-3, "weight_decay": 1.0e-4, "hidden_size": 64}


def ctx(**overrides):
    base = {"trial": BASE, "group": "hidden_size=64", "values": BASE_VALUES,
            "source": "the study's baseline", "given": True}
    return context(baseline=base, **overrides)


def candidates(candidate=CAND, per_group=()):
    return {"baseline": {"trial": BASE, "group": "hidden_size=64", "source": "the study's baseline"},
            "candidate": None if candidate is None else
            {"trial": candidate, "group": "hidden_size=64", "objective_mean": 0.4},
            "per_group": list(per_group)}


def confirm(base_mean, cand_mean, std=0.01, cand_std=None, rng=None, cand_values=CAND_VALUES, **kw):
    """Confirmation runs of baseline and candidate on both periods (exact mean/std unless rng)."""
    runs = runs_frame([trial(100, base_mean, std=std, **BASE_VALUES),
                       trial(200, cand_mean, std=cand_std or std, **kw, **cand_values)],
                      seeds=SEEDS, exact=rng is None, rng=rng or 0)
    return runs, {BASE: BASE_VALUES, CAND: cand_values}


def verdict(runs, values, context_=None, chosen=None, tests=None):
    return decide(runs, chosen or candidates(), context_ or ctx(), values, tests)


def test_welch_matches_scipy_one_sided():
    rng = np.random.default_rng(0)
    a, b = rng.normal(1.0, 0.1, 5), rng.normal(0.9, 0.2, 6)
    result = welch(a, b)
    reference = stats.ttest_ind(a, b, equal_var=False, alternative="greater")
    assert result["t"] == pytest.approx(reference.statistic)
    assert result["p_better"] == pytest.approx(reference.pvalue)
    assert result["gain"] == pytest.approx(a.mean() - b.mean())
    assert welch(a[:1], b)["p_better"] == 1.0  # one seed: no variance, no evidence


def test_welch_p_values_are_scipy_stats_t_to_the_bit():
    """welch takes them from scipy.special (scipy.stats costs a decide job 0.75 s to import): the
    same floats, so a report's p-values do not move."""
    rng = np.random.default_rng(1)
    for n_a, n_b in [(2, 2), (3, 5), (5, 5), (10, 4)] * 25:
        result = welch(rng.normal(1.0, rng.uniform(0.01, 0.3), n_a), rng.normal(rng.uniform(0.8, 1.2), 0.1, n_b))
        assert result["p_better"] == float(stats.t.sf(result["t"], result["df"]))
        assert result["p_worse"] == float(stats.t.cdf(result["t"], result["df"]))


def test_clear_gain_on_every_period_is_adopted_and_test_windows_reported():
    runs, values = confirm(0.50, 0.45)
    tests = runs[["period", "trial", "seed"]].assign(test_mse=np.where(runs["trial"] == CAND, 0.6, 0.7))
    d = verdict(runs, values, tests=tests)
    assert d["verdict"] == "ADOPT"
    assert [p["outcome"] for p in d["periods"]] == ["better", "better"]
    assert d["mean_relative_gain"] == pytest.approx(0.10)
    assert d["changed"] == ["learning_rate", "weight_decay"]
    assert [(r["baseline_test"], r["candidate_test"]) for r in d["test"]] == [(0.7, 0.6)] * 2
    text = decision_markdown(d, ctx())
    assert "**Verdict: ADOPT.**" in text and "test_mse" in text and "of 2 periods" in text


def test_winning_on_one_period_and_losing_on_another_is_rejected_naming_the_period():
    runs, values = confirm({PERIODS[0]: 0.50, PERIODS[1]: 0.50}, {PERIODS[0]: 0.40, PERIODS[1]: 0.55})
    d = verdict(runs, values)
    assert d["verdict"] == "REJECT"
    assert [p["outcome"] for p in d["periods"]] == ["better", "worse"]
    assert f"worse than the baseline on {PERIODS[1]}" in d["headline"]
    assert d["mean_relative_gain"] > 0  # better on average, and still rejected
    assert d["test"] is None


def test_a_difference_within_seed_noise_is_inconclusive():
    runs, values = confirm(0.500, 0.495, std=0.02)
    d = verdict(runs, values)
    assert d["verdict"] == "INCONCLUSIVE"
    assert all(p["outcome"] == "within noise" for p in d["periods"])
    assert "within seed noise" in d["headline"] and PERIODS[0] in d["headline"]


def test_not_better_on_average_is_rejected():
    runs, values = confirm(0.50, 0.505, std=0.02)
    assert verdict(runs, values)["verdict"] == "REJECT"


def test_a_small_gain_with_many_changes_is_not_worth_it():
    # significant on both periods (std tiny) but 0.4% with 2 changes asks for 1%
    runs, values = confirm(0.500, 0.498, std=0.0005)
    d = verdict(runs, values)
    assert d["verdict"] == "INCONCLUSIVE" and d["required_gain"] == pytest.approx(0.01)
    assert "less than its 2 change(s) ask for" in d["headline"]
    d = verdict(runs, values, ctx(decision={"alpha": 0.05, "min_gain": 0.001}))
    assert d["verdict"] == "ADOPT"


def test_without_confirmation_seeds_the_best_is_inconclusive():
    runs, values = confirm(0.50, 0.40)
    d = verdict(runs, values, ctx(confirm_seeds=0))
    assert d["verdict"] == "INCONCLUSIVE" and "search's own seeds" in d["headline"]


def test_a_candidate_that_diverged_in_confirmation_is_rejected():
    runs, values = confirm(0.50, 0.40, infeasible=[(PERIODS[1], 6)])
    d = verdict(runs, values)
    assert d["verdict"] == "REJECT" and "diverged on 1 of its 10" in d["headline"]


def test_no_feasible_candidate_is_rejected():
    d = decide(pd.DataFrame(columns=["trial", "seed", "period", "status"]), candidates(None), ctx(), {})
    assert d["verdict"] == "REJECT" and "nothing to adopt" in d["headline"]


def test_the_baseline_itself_is_never_adopted():
    runs, _ = confirm(0.50, 0.40)
    runs = runs[runs["trial"] == BASE]
    d = verdict(runs, {BASE: BASE_VALUES}, chosen=candidates(BASE))
    assert d["verdict"] == "REJECT" and "baseline's own configuration" in d["headline"]
    # the same values under another id (e.g. 64 written as 64.0) are the same configuration
    same = {**BASE_VALUES, "hidden_size": 64.0}
    runs, values = confirm(0.50, 0.40, cand_values=same)
    assert verdict(runs, values)["verdict"] == "REJECT"


def test_honesty_the_baseline_as_candidate_is_never_adopted_for_any_seed():
    """The search's best is the baseline's own trial: its runs are shared, and for every seed of
    the noise the verdict is REJECT."""
    for rng in range(50):
        runs = runs_frame([trial(100, 0.5, std=0.02, **BASE_VALUES)], seeds=SEEDS, exact=False, rng=rng)
        assert verdict(runs, {BASE: BASE_VALUES}, chosen=candidates(BASE))["verdict"] == "REJECT"


@pytest.mark.parametrize("periods", [PERIODS, PERIODS[:1]])
def test_honesty_an_equivalent_candidate_is_adopted_at_most_at_the_test_level(periods):
    """Another configuration with no real effect (same distribution, other seeds): a false ADOPT
    needs a significant gain on every period, so its rate stays near alpha ** periods (0.25% for
    two periods, 5% for one); most verdicts are REJECT (not better on average)."""
    verdicts = []
    for rng in range(400):
        same = [trial(100, 0.5, std=0.02, **BASE_VALUES), trial(200, 0.5, std=0.02, **CAND_VALUES)]
        runs = runs_frame(same, periods=periods, seeds=SEEDS, exact=False, rng=rng)
        verdicts.append(verdict(runs, {BASE: BASE_VALUES, CAND: CAND_VALUES})["verdict"])
    assert verdicts.count("ADOPT") / len(verdicts) <= (0.01 if len(periods) == 2 else 0.08)
    assert verdicts.count("REJECT") > len(verdicts) / 3


def test_compare_outcomes_and_a_baseline_that_diverged_everywhere():
    rows = compare({"a": np.array([1.0, 1.1, 0.9]), "b": np.array([])},
                   {"a": np.array([1.0, 1.1, 0.9]), "b": np.array([0.5, 0.6])}, alpha=0.05)
    assert [r["outcome"] for r in rows] == ["within noise", "better"]
    identical = compare({"a": np.array([1.0, 1.0])}, {"a": np.array([1.0, 1.0])}, 0.05)
    assert identical[0]["outcome"] == "within noise" and identical[0]["p_better"] == 1.0


def test_changed_hyperparameters_counts_presence_and_value():
    assert changed_hyperparameters({"a": 1, "b": 2.0}, {"a": 1.0, "b": 2.5, "c": 3}) == ["b", "c"]
    assert changed_hyperparameters({"opt": "adam"}, {"opt": "adam"}) == []


def test_select_candidates_takes_the_best_overall_and_per_group(search_tables, ctx):
    context_ = {**ctx, "baseline": {"trial": BASE, "group": "", "values": {}, "source": "built-in"}}
    chosen = select_candidates(search_tables[1], context_)
    assert chosen["candidate"]["trial"] == tid(2)
    assert [(g["group"], g["trial"]) for g in chosen["per_group"]] == [("hidden_size=16", tid(1)),
                                                                        ("hidden_size=64", tid(2))]
    assert chosen["confirm"] == [BASE, tid(2), tid(1)]  # baseline first, no duplicates


def test_the_question_compares_the_best_of_each_value():
    runs = runs_frame([trial(1, 0.40, std=0.01, group="hidden_size=64"),
                       trial(2, {PERIODS[0]: 0.50, PERIODS[1]: 0.405}, std=0.01, group="hidden_size=16"),
                       trial(100, 0.6, **BASE_VALUES)], seeds=SEEDS)
    per_group = [{"group": "hidden_size=16", "trial": tid(2), "objective_mean": 0.45},
                 {"group": "hidden_size=64", "trial": tid(1), "objective_mean": 0.40}]
    chosen = {**candidates(tid(1), per_group)}
    d = decide(runs, chosen, ctx(), {BASE: BASE_VALUES, tid(1): CAND_VALUES, tid(2): CAND_VALUES})
    q = d["question"]
    assert q["winner"] == "hidden_size=64" and not q["clear"]
    assert f"within seed noise on {PERIODS[1]}" in q["answer"]


def test_decide_file_reads_blocks(tmp_path):
    import json

    runs, values = confirm(0.50, 0.45)
    paths = []
    for (period, trial_id), g in runs.groupby(["period", "trial"]):
        path = tmp_path / period / trial_id / "metrics.json"
        path.parent.mkdir(parents=True)
        cols = ["seed", "status", "reason", "valid_mse", "valid_mae"]
        path.write_text(json.dumps({"study": "hand", "period": period, "trial": trial_id, "group": "",
                                    "hyperparameters": values[trial_id],
                                    "runs": g[cols].to_dict("records")}))
        paths.append(str(path))
    (tmp_path / "candidates.json").write_text(json.dumps(candidates()))
    d = decide_file(paths, [], str(tmp_path / "candidates.json"), ctx(), str(tmp_path / "d.md"),
                    str(tmp_path / "d.json"))
    assert d["verdict"] == "ADOPT"
    assert json.loads((tmp_path / "d.json").read_text())["verdict"] == "ADOPT"


def test_one_confirmation_seed_leaves_the_noise_unmeasured_and_decides_nothing():
    """confirm_seeds: 1 gives no retrain variance: "within seed noise" would be a guess."""
    runs, values = confirm(0.50, 0.40)
    runs = runs[runs["seed"] == SEEDS[0]]
    d = verdict(runs, values, ctx(confirm_seeds=1))
    assert d["verdict"] == "INCONCLUSIVE"
    assert "1 confirmation seed" in d["headline"] and "unmeasured" in d["headline"]
    assert d["headline"].startswith("NO DECISION") and "Set confirm_seeds: 2 or more" in d["headline"]  # read-report.md
    assert all(p["outcome"] == "noise unmeasured" for p in d["periods"])
    text = decision_markdown(d, ctx(confirm_seeds=1))
    assert "within seed noise" not in text and "within noise" not in text


def test_compare_with_one_seed_on_a_side_says_the_noise_is_unmeasured():
    rows = compare({"a": np.array([1.0])}, {"a": np.array([0.9, 0.8])}, alpha=0.05)
    assert rows[0]["outcome"] == "noise unmeasured"


def test_the_question_with_one_seed_per_value_does_not_claim_seed_noise():
    runs = runs_frame([trial(1, 0.40, group="hidden_size=64"), trial(2, 0.45, group="hidden_size=16"),
                       trial(100, 0.6, **BASE_VALUES)], seeds=(3,))
    per_group = [{"group": "hidden_size=16", "trial": tid(2), "objective_mean": 0.45},
                 {"group": "hidden_size=64", "trial": tid(1), "objective_mean": 0.40}]
    d = decide(runs, candidates(tid(1), per_group), ctx(confirm_seeds=1),
               {BASE: BASE_VALUES, tid(1): CAND_VALUES, tid(2): CAND_VALUES})
    q = d["question"]
    assert not q["clear"] and "unmeasured" in q["answer"] and "within seed noise" not in q["answer"]


def _widths_tied(lead=0.001):
    """The baseline (width 64, learning rate 1e-3) at 0.55; the best trial of width 64 (learning rate
    3e-3) at 0.45; the best of width 16 only `lead` behind it: a tenth of the retrain std 0.01."""
    w16 = {"learning_rate": 3.0e-3, "weight_decay": 0.0, "hidden_size": 16}
    runs = runs_frame([trial(1, 0.45, group="hidden_size=64", **CAND_VALUES),
                       trial(2, 0.45 + lead, group="hidden_size=16", **w16),
                       trial(100, 0.55, group="hidden_size=64", **BASE_VALUES)], seeds=SEEDS)
    per_group = [{"group": "hidden_size=16", "trial": tid(2), "objective_mean": 0.44},
                 {"group": "hidden_size=64", "trial": tid(1), "objective_mean": 0.45}]
    chosen = candidates(tid(1), per_group)
    chosen["candidate"]["objective_mean"] = 0.45
    return decide(runs, chosen, ctx(), {BASE: BASE_VALUES, tid(1): CAND_VALUES, tid(2): w16})


def test_values_not_separated_beyond_noise_are_said_plainly():
    q = _widths_tied()["question"]
    assert not q["clear"]
    assert q["answer"].startswith("No clear answer")
    assert "not separated beyond retrain noise" in q["answer"]
    assert "is best" not in q["answer"]
    assert "0.1x the confirmation retrain std" in q["answer"]  # the lead, in units of the noise


def test_the_gain_is_credited_to_the_hyperparameters_that_made_it():
    """The candidate changes the learning rate and the weight decay, not the width: tuning the
    nuisance hyperparameters at the baseline's own width made the whole gain."""
    d = _widths_tied()
    source = d["attribution"]
    assert source["nuisance"] == ["learning_rate", "weight_decay"] and source["scientific"] == []
    assert "learning_rate, weight_decay (nuisance)" in source["text"]
    assert "not from the scientific" in source["text"]
    assert source["text"] in decision_markdown(d, ctx())


def test_a_gain_from_a_scientific_value_that_is_separated_is_credited_to_it():
    w16 = {"learning_rate": 1.0e-3, "weight_decay": 0.0, "hidden_size": 16}
    runs = runs_frame([trial(1, 0.45, group="hidden_size=16", **w16),
                       trial(2, 0.55, group="hidden_size=64", **BASE_VALUES)], seeds=SEEDS)
    per_group = [{"group": "hidden_size=16", "trial": tid(1), "objective_mean": 0.45},
                 {"group": "hidden_size=64", "trial": tid(2), "objective_mean": 0.55}]
    chosen = candidates(tid(1), per_group)
    d = decide(runs, chosen, ctx(), {BASE: BASE_VALUES, tid(1): w16, tid(2): BASE_VALUES})
    assert d["question"]["clear"] and "is best" in d["question"]["answer"]
    assert d["attribution"]["scientific"] == ["hidden_size"]
    assert "hidden_size (scientific)" in d["attribution"]["text"]
    assert "agree exactly" not in d["question"]["answer"]


def test_a_scientific_value_that_wins_where_no_seed_varies_says_the_sign_decided():
    w16 = {"learning_rate": 1.0e-3, "weight_decay": 0.0, "hidden_size": 16}
    runs = runs_frame([trial(1, 0.45, std=0.0, group="hidden_size=16", **w16),
                       trial(2, 0.55, std=0.0, group="hidden_size=64", **BASE_VALUES)], seeds=SEEDS)
    per_group = [{"group": "hidden_size=16", "trial": tid(1), "objective_mean": 0.45},
                 {"group": "hidden_size=64", "trial": tid(2), "objective_mean": 0.55}]
    d = decide(runs, candidates(tid(1), per_group), ctx(), {BASE: BASE_VALUES, tid(1): w16,
                                                            tid(2): BASE_VALUES})
    assert d["question"]["clear"]
    assert "both sides' seeds agree exactly, so there is no retrain noise" in d["question"]["answer"]


def simple_forecasts(value, name="linear"):
    """baselines.csv: the best simple forecast scores `value` on every period."""
    return pd.DataFrame([{"study": "s", "baseline": b, "period": p, "valid_mse": v, "valid_mae": 1.0}
                         for p in PERIODS for b, v in ((name, value), ("persistence", value * 2))])


def test_a_candidate_that_loses_to_the_simplest_forecast_everywhere_is_rejected():
    """It beats the baseline beyond noise on every period, but linear regression beats both: the
    verdict says the model loses to the obvious forecast, not that the candidate should be adopted."""
    runs, values = confirm(0.50, 0.45)
    d = decide(runs, candidates(), ctx(), values, None, simple_forecasts(0.40))
    assert d["verdict"] == "REJECT"
    assert d["headline"].startswith("The candidate does not beat the simplest forecast: linear")
    assert "so does the baseline" in d["headline"]
    assert any(r.startswith("Against the baseline alone: Adopt") for r in d["reasons"])
    assert d["simple"]["loses"]["candidate"] == sorted(PERIODS)


def test_a_candidate_that_beats_the_simplest_forecast_keeps_its_verdict():
    runs, values = confirm(0.50, 0.45)
    plain = decide(runs, candidates(), ctx(), values)
    d = decide(runs, candidates(), ctx(), values, None, simple_forecasts(0.47))
    assert d["verdict"] == plain["verdict"] == "ADOPT" and d["headline"] == plain["headline"]
    assert d["simple"]["loses"] == {"baseline": sorted(PERIODS), "candidate": []}


def test_losing_to_the_simplest_forecast_on_some_periods_is_said_beside_the_verdict():
    runs, values = confirm(0.50, 0.45)
    simple = simple_forecasts(0.47)
    simple.loc[(simple["period"] == PERIODS[0]) & (simple["baseline"] == "linear"), "valid_mse"] = 0.40
    d = decide(runs, candidates(), ctx(), values, None, simple)
    assert d["verdict"] == "ADOPT"
    assert f"On {PERIODS[0]} the candidate loses to the simplest forecast (linear)." in d["reasons"]


def test_a_lost_period_names_the_simple_forecast_that_beat_it_there():
    """Where another simple forecast is the best on the periods the candidate wins, the sentence
    about the lost period still names only the one that beat it (a real study named both)."""
    runs, values = confirm(0.50, 0.45)
    simple = simple_forecasts(0.47)
    simple.loc[(simple["period"] == PERIODS[0]) & (simple["baseline"] == "linear"), "valid_mse"] = 0.40
    for period in PERIODS[1:]:
        simple.loc[(simple["period"] == period) & (simple["baseline"] != "linear"), "valid_mse"] = 0.46
    d = decide(runs, candidates(), ctx(), values, None, simple)
    others = {p["simple"] for p in d["simple"]["periods"] if p["period"] != PERIODS[0]}
    assert others and "linear" not in others  # another forecast is best elsewhere
    lost = [r for r in d["reasons"] if "loses to the simplest forecast" in r]
    assert lost == [f"On {PERIODS[0]} the candidate loses to the simplest forecast (linear)."]


def test_a_rejected_candidate_has_no_gain_attributed():
    runs, values = confirm(0.45, 0.50)  # the candidate is worse
    d = verdict(runs, values)
    assert d["verdict"] == "REJECT"
    assert "there is none to attribute" in d["attribution"]["text"]
    assert "comes from" not in d["attribution"]["text"]


def test_a_study_without_a_scientific_hyperparameter_is_not_told_it_kept_one():
    runs, values = confirm(0.50, 0.45)
    no_science = ctx(scientific=[], nuisance=["learning_rate", "weight_decay"])
    d = verdict(runs, values, no_science)
    assert d["verdict"] == "ADOPT"
    assert "scientific value" not in d["attribution"]["text"]
    assert "no scientific hyperparameter: the gain comes from tuning" in d["attribution"]["text"]
    runs, values = confirm(0.50, 0.497)  # better on average, not confirmed
    d = verdict(runs, values, no_science)
    assert d["verdict"] == "INCONCLUSIVE"
    assert "the gain, if it holds, comes from tuning learning_rate, weight_decay" in d["attribution"]["text"]


def test_two_seeds_per_side_is_too_few_to_tell_not_within_noise():
    """A 6% gain on two confirmation seeds per side (Welch df about 1): 'within seed noise' would
    claim what the test cannot see; the verdict says there are too few seeds."""
    two = runs_frame([trial(100, 0.50, std=0.02, **BASE_VALUES), trial(200, 0.47, std=0.02, **CAND_VALUES)],
                     seeds=SEEDS[:2], exact=True)
    d = verdict(two, {BASE: BASE_VALUES, CAND: CAND_VALUES})
    assert d["verdict"] == "INCONCLUSIVE"
    assert "too few seeds to tell" in d["headline"] and "within seed noise" not in d["headline"]
    assert "confirm_seeds: 5" in d["headline"]


def test_a_study_without_a_scientific_hyperparameter_still_gets_its_question_answered():
    runs, values = confirm(0.50, 0.45)
    no_science = ctx(scientific=[], nuisance=["learning_rate", "weight_decay"])
    adopted = verdict(runs, values, no_science)
    assert adopted["question"]["winner"] == f"trial {CAND}" and "it does" in adopted["question"]["answer"]
    runs, values = confirm(0.45, 0.50)
    kept = verdict(runs, values, no_science)
    assert kept["question"]["winner"] == "the baseline" and "keep the baseline" in kept["question"]["answer"]
    assert "## The study's question" in decision_markdown(kept, no_science)


def test_no_rerun_is_advised_that_cannot_change_the_verdict():
    """Within noise, but the point gain is already below what the change asks for: more seeds
    cannot make it an ADOPT, and the verdict says so instead of asking for them."""
    runs, values = confirm(0.500, 0.499, std=0.02)  # +0.2%, 2 changes need 1.0%
    d = verdict(runs, values)
    assert d["verdict"] == "INCONCLUSIVE"
    assert "More seeds would not change the verdict" in d["headline"]
    assert "may settle it" not in d["headline"]


def test_a_period_with_one_seed_shows_no_test_not_p_equals_one():
    runs, values = confirm(0.50, 0.45)
    one = runs[runs["seed"] == SEEDS[0]]
    text = decision_markdown(verdict(one, values), ctx())
    assert "no test (one seed)" in text and "| 1 |" not in text


def test_a_tuned_model_that_loses_to_the_simplest_forecast_answers_the_question_truthfully():
    """Tuning beats the baseline, but linear regression beats both: the answer neither says 'keep
    the baseline' (the baseline is worse still) nor that no gain exists over the baseline."""
    runs, values = confirm(0.50, 0.45)
    no_science = ctx(scientific=[], nuisance=["learning_rate", "weight_decay"])
    d = decide(runs, candidates(), no_science, values, None, simple_forecasts(0.40))
    assert d["verdict"] == "REJECT" and d["baseline_verdict"] == "ADOPT"
    answer = d["question"]["answer"]
    assert "keep the baseline" not in answer and "loses to linear on every period" in answer
    assert d["question"]["winner"] == "the simplest forecast (linear)"
    assert "none to attribute" not in d["attribution"]["text"]


def test_one_confirmation_seed_per_side_is_captioned_as_confirmation_seeds():
    runs, values = confirm(0.50, 0.45)
    one = runs[runs["seed"] == SEEDS[0]]
    text = decision_markdown(verdict(one, values, ctx(confirm_seeds=1)), ctx(confirm_seeds=1))
    assert f"confirmation seed {SEEDS[0]}: 1 per side, too few to confirm" in text
    assert "the search's seeds" not in text.split("## Per period")[1].splitlines()[0]


def test_a_trainer_that_ignores_the_seed_is_adopted_on_the_sign_and_the_decision_says_so():
    runs, values = confirm(0.50, 0.45, std=0.0)  # every seed of each side gives the same value
    d = verdict(runs, values)
    assert d["verdict"] == "ADOPT" and all(p["t"] == np.inf for p in d["periods"])
    assert "both sides' seeds agree exactly, so there is no retrain noise" in d["headline"]
    text = decision_markdown(d, ctx())
    assert f"On {PERIODS[0]}, {PERIODS[1]} every seed of the baseline gave the same value" in text
    assert "± 0 (n=5, seeds agree exactly)" in text


def test_seed_noise_on_one_side_is_a_test_and_no_agreement_is_claimed():
    runs, values = confirm(0.50, 0.45, std=0.01, cand_std=1e-12)
    d = verdict(runs, values)
    assert d["verdict"] == "ADOPT" and all(np.isfinite(p["t"]) for p in d["periods"])
    assert "agree exactly" not in d["headline"] and "agree exactly" not in decision_markdown(d, ctx())


def _unsearched_baseline(lead, points=(16, 256), **context_):
    """The baseline's width 64 is not searched (16 and 256 are); width 256 leads 16 by `lead`."""
    w16 = {"learning_rate": 3.0e-3, "weight_decay": 0.0, "hidden_size": 16}
    w256 = {"learning_rate": 3.0e-3, "weight_decay": 0.0, "hidden_size": 256}
    runs = runs_frame([trial(1, 0.45, group="hidden_size=256", **w256),
                       trial(2, 0.45 + lead, group="hidden_size=16", **w16),
                       trial(100, 0.55, group="hidden_size=64", **BASE_VALUES)], seeds=SEEDS)
    per_group = [{"group": "hidden_size=16", "trial": tid(2), "objective_mean": 0.45 + lead},
                 {"group": "hidden_size=256", "trial": tid(1), "objective_mean": 0.45}]
    space = {"learning_rate": LR, "weight_decay": WD, "hidden_size": {**WIDTH, "points": list(points)}}
    return decide(runs, candidates(tid(1), per_group), ctx(space=space, **context_),
                  {BASE: BASE_VALUES, tid(1): w256, tid(2): w16})["attribution"]["text"]


def test_a_baseline_value_that_was_not_searched_leaves_the_gain_unsplit():
    """No trial was tuned at the baseline's width: whether the gain is the width's or the tuning's
    is not measured, whatever the searched widths say among themselves."""
    tied, separated = _unsearched_baseline(0.001), _unsearched_baseline(0.05)
    for text in (tied, separated):
        assert "hidden_size=64 is not one of the searched values" in text
        assert "is not measured (the baseline's value in hidden_size's feasible_points would split" in text
        assert "read it as coming from" not in text and "part of the gain is" not in text
    assert "not separated beyond retrain noise either" in tied
    assert "separated beyond retrain noise (hidden_size=256 is best)" in separated


def test_a_searched_baseline_value_whose_trials_the_rungs_stopped_is_not_called_unsearched():
    """The LightGBM example: lambda_l2=0.0 was searched, but no trial at it reached the full budget
    (the rungs rank across values), and the report said it was 'not one of the searched values'."""
    text = _unsearched_baseline(0.001, points=(16, 64, 256), full_epochs=27)
    assert "The baseline's hidden_size=64 was searched, but the rungs stopped every trial at it before the " \
        "full budget" in text and "not one of the searched values" not in text
    assert "was searched, but none was feasible" in _unsearched_baseline(0.001, points=(16, 64, 256))


def test_a_question_with_one_qualifying_value_is_said_to_be_unanswered():
    """The rungs rank across values: in the LightGBM example only lambda_l2=10 reached the full
    budget, and the report said nothing of its question."""
    w256 = {"learning_rate": 3.0e-3, "weight_decay": 0.0, "hidden_size": 256}
    runs = runs_frame([trial(1, 0.45, group="hidden_size=256", **w256),
                       trial(100, 0.55, group="hidden_size=64", **BASE_VALUES)], seeds=SEEDS)
    per_group = [{"group": "hidden_size=256", "trial": tid(1), "objective_mean": 0.45}]
    space = {"learning_rate": LR, "weight_decay": WD, "hidden_size": {**WIDTH, "points": [64, 256]}}
    d = decide(runs, candidates(tid(1), per_group), ctx(space=space, full_epochs=27),
               {BASE: BASE_VALUES, tid(1): w256})
    q = d["question"]
    assert not q["clear"] and q["answer"].startswith("Not answered: only hidden_size=256 has a trial")
    assert "the rungs stopped every trial at the other values" in q["answer"]
    assert "not separated beyond retrain noise either" not in d["attribution"]["text"]
    assert q["answer"] in decision_markdown(d, ctx(space=space, full_epochs=27))


def test_two_values_with_two_confirmation_seeds_are_too_few_to_tell_not_within_noise():
    w16 = {"learning_rate": 3.0e-3, "weight_decay": 0.0, "hidden_size": 16}
    runs = runs_frame([trial(1, 0.45, group="hidden_size=64", **CAND_VALUES),
                       trial(2, 0.451, group="hidden_size=16", **w16),
                       trial(100, 0.55, group="hidden_size=64", **BASE_VALUES)], seeds=(3, 4))
    per_group = [{"group": "hidden_size=16", "trial": tid(2), "objective_mean": 0.44},
                 {"group": "hidden_size=64", "trial": tid(1), "objective_mean": 0.45}]
    d = decide(runs, candidates(tid(1), per_group), ctx(confirm_seeds=2),
               {BASE: BASE_VALUES, tid(1): CAND_VALUES, tid(2): w16})
    answer = d["question"]["answer"]
    assert "2 seeds per side are too few for the test to tell" in answer
    assert "within seed noise" not in answer
