"""The report tells the truth on a study built to mislead it: a model that cannot learn in one
epoch at a tiny learning rate loses to linear regression on every period. A real Snakemake run;
the verdict, the leaderboard, the checklist and the plots' data must all say so."""

import json
import re

import pytest
from conftest import snakemake, study_dir, tiny_study
from tunelab.report.truth import findings

pytestmark = pytest.mark.e2e


def test_a_model_that_loses_to_the_simplest_forecast_is_told_so_everywhere(tmp_path):
    study = tiny_study(confirm_seeds=2, baseline={"hidden_size": 8, "learning_rate": 1.0e-6})
    study["hyperparameters"].update({"learning_rate": {"role": "nuisance", "feasible_points": [1.0e-6, 2.0e-6]},
                                     "epochs": 1})
    work = study_dir(tmp_path, study)
    snakemake(work)
    out = work / "results/tiny"
    report = (out / "report.md").read_text()
    decision = json.loads((out / "decision.json").read_text())
    assert decision["verdict"] == "REJECT"
    assert decision["simple"]["loses"]["candidate"] == sorted(decision["simple"]["loses"]["candidate"])
    assert len(decision["simple"]["loses"]["candidate"]) == 2  # both periods
    assert "**Verdict: REJECT.** The candidate does not beat the simplest forecast" in report
    assert "feasible trials are worse than" in report and "(worse than" in report
    checklist = json.loads((out / "checklist.json").read_text())
    simple = next(i for i in checklist if i["key"] == "simple_baselines")
    assert simple["verdict"] == "warning"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["verdict"] == "REJECT"
    assert findings(out) == []


def test_one_seed_and_no_scientific_hyperparameter_are_told_as_they_are(tmp_path):
    """One seed per trial and per confirmation side, a joint search over the learning rate only:
    no noise figure may pose as zero, the confirmation seed is named as such, and the question
    (tuning against the configuration in use) gets an answer that agrees with the decision."""
    study = tiny_study(seeds=1, seeds_per_job=1, confirm_seeds=1,
                       search={"algorithm": "quasi_random", "budget": 3, "mode": "joint"})
    study["hyperparameters"] = {"learning_rate": {"role": "nuisance", "min": 1.0e-3, "max": 0.1, "scaling": "log"},
                                "hidden_size": 8, "epochs": 2, "batch_size": 64}
    work = study_dir(tmp_path, study)
    snakemake(work)
    out = work / "results/tiny"
    report = (out / "report.md").read_text()
    decision = json.loads((out / "decision.json").read_text())
    assert not re.search(r"± 0(\.0*)?(?![.\d])", report)  # a missing std is never shown as 0
    assert "Retrain noise unmeasured" in report and "no test (one seed)" in report
    assert "confirmation seed 1: 1 per side, too few to confirm" in report
    answer = decision["question"]["answer"]
    if decision["baseline_verdict"] != "REJECT":
        assert "keep the baseline" not in answer
    if decision["simple"]["loses"]["candidate"] == sorted(p["period"] for p in decision["periods"]):
        assert "loses to" in answer
    assert json.loads((out / "summary.json").read_text())["question_winner"]
    assert findings(out) == []
