"""The report tells the truth on a study built to mislead it: a model that cannot learn in one
epoch at a tiny learning rate loses to linear regression on every period. A real Snakemake run;
the verdict, the leaderboard, the checklist and the plots' data must all say so."""

import json

import pytest
from conftest import snakemake, study_dir, tiny_study

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
