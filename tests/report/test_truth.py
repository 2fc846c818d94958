"""tunelab.report.truth: each check finds the wrong statement it is for, and nothing in a report
that agrees with its files (the end-to-end studies assert no finding on their real reports)."""

import json

import pandas as pd
import pytest
from tunelab.report.truth import findings, main

GOOD = """# Study report: s

Rotation month **2026-11** (the key that draws the periods, not a date of the data); 2 periods;
mlp models; quasi_random search, budget 3; 3 trials x 2 seeds x 2 periods = 12 runs, 0 infeasible.

**Verdict: REJECT.** The candidate does not beat the simplest forecast: linear scores better on every period.

![periods](plots/periods.png)

| trial | valid_mse |
|---|---|
| t1 | 0.5 ± 0.01 |
"""


def study(tmp_path, report=GOOD, verdict="REJECT", loses=("v1", "v2"), phases=("exploration",), **decision):
    (tmp_path / "plots").mkdir(exist_ok=True)
    (tmp_path / "plots" / "periods.png").write_bytes(b"png")
    simple = {"periods": [{"period": p, "simple": "linear"} for p in ("v1", "v2")],
              "loses": {"baseline": [], "candidate": list(loses)}}
    (tmp_path / "decision.json").write_text(json.dumps({"verdict": verdict, "simple": simple, **decision}))
    (tmp_path / "summary.json").write_text(json.dumps({"verdict": verdict}))
    pd.DataFrame({"trial": ["t1"] * len(phases), "phase": list(phases)}).to_csv(tmp_path / "runs.csv", index=False)
    (tmp_path / "report.md").write_text(report)
    return tmp_path


def test_a_report_that_agrees_with_its_files_has_no_finding(tmp_path, capsys):
    assert findings(study(tmp_path)) == []
    assert main([str(tmp_path)]) == 0 and "agrees" in capsys.readouterr().out


@pytest.mark.parametrize(("edit", "check"), [
    (lambda r: r.replace("Verdict: REJECT", "Verdict: ADOPT"), "verdict_agrees"),
    (lambda r: r.replace("does not beat the simplest forecast", "is not separated"), "simple_forecast_told"),
    (lambda r: r.replace("= 12 runs", "= 36 runs"), "products_add_up"),
    (lambda r: r.replace("0.5 ± 0.01", "0.6217 ± 0"), "no_zero_std"),
    (lambda r: r.replace(", not a date of the data", ""), "month_explained"),
    (lambda r: r.replace("plots/periods.png", "plots/missing.png"), "images_exist"),
    (lambda r: r.replace("0.5 ± 0.01", "nan ± 0.01"), "no_bare_missing"),
])
def test_each_wrong_statement_is_found(tmp_path, edit, check):
    found = findings(study(tmp_path, edit(GOOD)))
    assert [f for f in found if f.startswith(check)], found


def test_a_lost_period_must_name_the_forecast_that_beat_it_there(tmp_path):
    """A real study said 'On v2 ... (linear / training_mean)' where only linear beat it on v2."""
    said = GOOD + "\nOn v2 the candidate loses to the simplest forecast ({}).\n"
    assert findings(study(tmp_path, said.format("linear"), loses=("v2",))) == []
    found = findings(study(tmp_path, said.format("linear / training_mean"), loses=("v2",)))
    assert [f for f in found if f.startswith("lost_periods_named") and "training_mean on v2" in f], found
    found = findings(study(tmp_path, said.format("linear"), loses=("v1",)))
    assert [f for f in found if f.startswith("lost_periods_named") and "lost no" in f], found


def test_a_std_of_a_tenth_is_not_a_zero(tmp_path):
    assert findings(study(tmp_path, GOOD.replace("0.5 ± 0.01", "0.5 ± 0.05"))) == []


def test_keep_the_baseline_is_found_when_the_baseline_lost(tmp_path):
    answer = {"answer": "it does not: the configuration in use suits (keep the baseline)"}
    found = findings(study(tmp_path, question=answer, baseline_verdict="ADOPT"))
    assert [f for f in found if f.startswith("question_agrees")]
    assert findings(study(tmp_path, question=answer, baseline_verdict="REJECT")) == []


def test_adaptive_rounds_must_be_named_in_the_first_paragraph(tmp_path):
    found = findings(study(tmp_path, phases=("exploration", "adaptive")))
    assert [f for f in found if f.startswith("adaptive_told")]
    told = GOOD.replace("budget 3;", "budget 3; 2 of them from the adaptive (Bayesian) rounds;")
    assert findings(study(tmp_path, told, phases=("exploration", "adaptive"))) == []


def test_trials_stopped_at_a_rung_must_be_marked(tmp_path):
    folder = study(tmp_path)
    pd.DataFrame({"trial": ["t1", "t2"], "period": ["all", "all"], "rung_epochs": [2, 8]}).to_csv(
        folder / "trials.csv", index=False)
    assert [f for f in findings(folder) if f.startswith("rungs_marked")]
    (folder / "report.md").write_text(GOOD + "| t2 | 0.6 | 2 (stopped at a rung) |\n")
    assert findings(folder) == []


def test_every_trial_beats_must_say_it_is_the_mean_when_the_candidate_lost_a_period(tmp_path):
    """A real leaderboard said 'Every feasible trial beats the best simple baseline' beside a
    decision whose candidate lost a period to linear."""
    said = GOOD + "\nEvery feasible trial beats the best simple baseline (linear){}.\n"
    found = findings(study(tmp_path, said.format(""), loses=("v2",)))
    assert [f for f in found if f.startswith("every_trial_beats_qualified")], found
    assert findings(study(tmp_path, said.format(" on average over periods"), loses=("v2",))) == []
    assert findings(study(tmp_path, said.format(""), loses=())) == []


def test_a_std_of_zero_said_to_be_seeds_that_agree_is_not_a_finding(tmp_path):
    for said in ("0.5 ± 0 (seeds agree exactly)", "0.5 ± 0 (n=2, seeds agree exactly)"):
        assert findings(study(tmp_path, GOOD.replace("0.5 ± 0.01", said))) == []
    assert findings(study(tmp_path, GOOD.replace("0.5 ± 0.01", "0.5 ± 0 (n=2)")))


def test_a_period_decided_where_no_seed_varies_must_say_the_sign_decided(tmp_path):
    exact = {"period": "v1", "n_baseline": 3, "n_candidate": 3, "se": 0.0, "outcome": "better"}
    noisy = {**exact, "period": "v2", "se": 0.01}
    found = findings(study(tmp_path, periods=[exact, noisy]))
    assert found == ["noiseless_test_told: on v1 both sides' seeds agree exactly (t = inf), and the "
                     "report does not say that the sign of the gain decided"]
    told = GOOD + "\nOn v1 both sides' seeds agree exactly, so there is no retrain noise and ...\n"
    assert findings(study(tmp_path, told, periods=[exact, noisy])) == []
    assert findings(study(tmp_path, periods=[noisy, {**exact, "n_baseline": 1}])) == []


def test_no_hyperparameter_shown_to_matter_is_found_beside_an_interval_that_clears_it(tmp_path):
    folder = study(tmp_path, GOOD + "\nNo hyperparameter is shown to matter: the largest share ...\n")
    rows = [("all", "bidirectional", 0.59, 0.01, 0.86), ("all", "learning_rate", 0.41, 0.14, 0.99)]
    table = pd.DataFrame(rows, columns=["scope", "hyperparameter", "importance", "low", "high"])
    table.to_csv(folder / "importance.csv", index=False)
    assert findings(folder) == ["importance_shown_agrees: the report says no hyperparameter is shown "
                                "to matter, and importance.csv's interval of learning_rate stays above 0.05"]
    table.assign(low=0.01).to_csv(folder / "importance.csv", index=False)
    assert findings(folder) == []


def test_every_trial_beats_must_say_where_the_mean_disagrees(tmp_path):
    """'Every trial beats linear' (in skill) beside a trial whose mean valid_mse is above linear's,
    unsaid: a reader sees the lower error lose."""
    from analysis_data import PERIODS, tables, tid, trial

    _, trials = tables([trial(1, {PERIODS[0]: 0.40, PERIODS[1]: 3.60})])  # skill > 0, mean 2.00
    said = GOOD + "\nEvery feasible trial beats the best simple baseline (linear) in skill on average over periods.\n"
    folder = study(tmp_path, said, loses=())
    trials.to_csv(folder / "trials.csv", index=False)
    pd.DataFrame([{"study": "s", "baseline": "linear", "period": p, "valid_mse": v}
                  for p, v in ((PERIODS[0], 0.60), (PERIODS[1], 3.30))]).to_csv(folder / "baselines.csv", index=False)
    (folder / "summary.json").write_text(json.dumps({"verdict": "REJECT", "objective": "valid_mse"}))
    found = findings(folder)
    assert [f for f in found if f.startswith("skill_claim_told")], found
    (folder / "report.md").write_text(said + "By the mean valid_mse over periods, which weighs the periods "
                                      "with larger errors more, linear's 1.95 is still no worse than one of "
                                      f"the trials that beat it in skill ({tid(1)}).\n")
    assert findings(folder) == []
    _, worse = tables([trial(1, {PERIODS[0]: 0.80, PERIODS[1]: 3.00})])  # worse in skill, mean 1.90
    worse.to_csv(folder / "trials.csv", index=False)
    found = findings(folder)
    assert [f for f in found if f.startswith("skill_claim_told") and "worse than linear in skill" in f], found
