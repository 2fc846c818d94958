"""Which hyperparameters matter, with error bars: on a synthetic study where only the learning
rate matters, its importance is high with a narrow interval and the others' reach 0; noisy seeds
widen the intervals; each period gets its own figure."""

import numpy as np
import pandas as pd
from tunelab.analysis.importance import importance_sentence, importance_table
from tunelab.analysis.study_context import make_context

SPACE = {"learning_rate": {"role": "nuisance", "kind": "continuous", "low": 1e-4, "high": 1e-1,
                           "scaling": "log", "points": []},
         "weight_decay": {"role": "nuisance", "kind": "continuous", "low": 1e-6, "high": 1e-2,
                          "scaling": "log", "points": []},
         "hidden_size": {"role": "nuisance", "kind": "categorical", "low": None, "high": None,
                         "scaling": "linear", "points": [16, 64, 256]}}


def study(trials=30, noise=0.01, seed=0):
    """runs.csv and trials.csv of a study whose objective depends on the learning rate alone."""
    rng = np.random.default_rng(seed)
    runs = []
    for i in range(trials):
        values = {"learning_rate": float(10 ** rng.uniform(-4, -1)),
                  "weight_decay": float(10 ** rng.uniform(-6, -2)),
                  "hidden_size": int(rng.choice([16, 64, 256]))}
        truth = 0.4 + 0.1 * (np.log10(values["learning_rate"]) + 2.5) ** 2
        for period in ("v1", "v2"):
            for s in range(3):
                runs.append({"trial": f"t{i:03d}", "period": period, "seed": s, "status": "ok",
                             "valid_mse": truth + noise * rng.normal(), **values})
    runs = pd.DataFrame(runs)
    trials_csv = runs.groupby("trial", as_index=False).agg(objective_mean=("valid_mse", "mean"))
    trials_csv["period"] = "all"
    return runs, trials_csv


def ctx():
    return make_context(space=SPACE, nuisance=list(SPACE), objective="valid_mse")


def pooled(table):
    return table[table["scope"] == "all"].set_index("hyperparameter")


def test_the_one_that_matters_is_high_and_narrow_and_the_others_reach_zero():
    runs, trials = study()
    table = importance_table(runs, trials, ctx(), resamples=15)
    p = pooled(table)
    assert p.at["learning_rate", "importance"] > 0.7 and p.at["learning_rate", "low"] > 0.4
    assert p.at["weight_decay", "low"] <= 0.05 and p.at["hidden_size", "low"] <= 0.05
    assert set(table["scope"]) == {"all", "v1", "v2"}  # each period on its own too
    per_period = table[table["scope"] != "all"]  # its point figure (the report's columns), no interval
    assert per_period["importance"].notna().all() and per_period[["low", "high"]].isna().all().all()
    assert per_period.set_index(["scope", "hyperparameter"]).at[("v1", "learning_rate"), "importance"] > 0.7
    text = importance_sentence(table)
    assert text.startswith("learning_rate explains") and "the data cannot tell" in text
    assert "hidden_size" in text and "weight_decay" in text


def test_noisy_seeds_widen_the_intervals():
    quiet = pooled(importance_table(*study(noise=0.001), ctx(), resamples=15))
    noisy = pooled(importance_table(*study(noise=0.3), ctx(), resamples=15))
    width = lambda p: float((p["high"] - p["low"]).sum())  # noqa: E731
    assert width(noisy) > width(quiet)
    assert noisy.at["learning_rate", "importance"] < quiet.at["learning_rate", "importance"]


def test_too_few_trials_are_flagged():
    runs, trials = study(trials=8)
    assert "Only 8 trials" in importance_sentence(importance_table(runs, trials, ctx(), resamples=5))


def test_trials_that_all_score_the_same_explain_nothing_and_do_not_fail():
    runs, trials = study(trials=6)
    runs["valid_mse"] = 0.5  # a resample (or a study) with no variance at all
    table = importance_table(runs, trials, ctx(), resamples=3)
    assert (table["importance"] == 0).all()


def sentence_of(rows):
    table = pd.DataFrame([{"scope": "all", "hyperparameter": h, "importance": i, "low": lo, "high": hi,
                           "trials": 30} for h, i, lo, hi in rows])
    return importance_sentence(table)


def test_a_top_share_whose_interval_reaches_zero_is_not_said_to_matter():
    text = sentence_of([("hidden_size", 0.44, 0.04, 0.67), ("learning_rate", 0.35, 0.04, 0.88)])
    assert text.startswith("No hyperparameter is shown to matter") and "explains" not in text
    assert "overlaps learning_rate's [0.04, 0.88], so which matters more is not settled" in text


def test_a_smaller_share_whose_interval_clears_zero_is_the_one_shown_to_matter():
    """A report said 'No hyperparameter is shown to matter' beside learning_rate's [0.14, 0.99]."""
    text = sentence_of([("bidirectional", 0.59, 0.01, 0.86), ("learning_rate", 0.41, 0.14, 0.99)])
    assert not text.startswith("No hyperparameter") and "explains" not in text
    assert text.startswith("The largest share, bidirectional's 0.59 [0.01, 0.86]")
    assert "while learning_rate's [0.14, 0.99] stays above it: learning_rate is shown to matter, " \
        "bidirectional is not" in text


def test_a_clear_first_is_not_called_unsettled():
    text = sentence_of([("learning_rate", 0.8, 0.6, 0.9), ("weight_decay", 0.1, 0.0, 0.3)])
    assert text.startswith("learning_rate explains 0.80 [0.60, 0.90]") and "not settled" not in text
    assert "weight_decay's interval, [0.00, 0.30], reaches 0.05 or below" in text


def test_the_file_reads_back_with_the_per_period_intervals_empty(tmp_path):
    from tunelab.analysis.importance import importance_file
    from tunelab.analysis.tables import read_table

    runs, trials = study(trials=12)
    runs.to_csv(tmp_path / "runs.csv", index=False)
    trials.to_csv(tmp_path / "trials.csv", index=False)
    written = importance_file(str(tmp_path / "runs.csv"), str(tmp_path / "trials.csv"), ctx(),
                              str(tmp_path / "importance.csv"), str(tmp_path / "importance.png"))
    back = read_table(tmp_path / "importance.csv")
    rows = (tmp_path / "importance.csv").read_text().splitlines()
    assert all(line.split(",")[3:5] == ["", ""] for line in rows[1:] if not line.startswith("all,"))
    assert back[back["scope"] == "all"][["low", "high"]].notna().all().all()
    assert importance_sentence(back) == importance_sentence(written)  # what the report says, from the file
