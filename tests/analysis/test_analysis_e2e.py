"""A tiny study through the real Snakemake: runs, the checkpoint and its confirmation runs, every
plot, the checklist, the decision, report.md, summary.json and the `snakemake --report` HTML."""

import json

import pandas as pd
import pytest
from analysis_study import OUT, PLOTS, TARGETS
from conftest import snakemake
from tunelab.report.truth import findings

pytestmark = pytest.mark.e2e

# study_run: the shared tiny study (analysis_study.py), a session fixture of tests/analysis/analysis_fixtures.py


def test_report_summary_and_plots_exist_and_agree(study_run):
    workdir, _ = study_run
    out = workdir / OUT
    summary = json.loads((out / "summary.json").read_text())
    trials = pd.read_csv(out / "trials.csv")
    assert summary["periods"] == 2 and summary["trials"] == 4 and summary["runs"] == 16
    assert summary["verdict"] in ("ADOPT", "REJECT", "INCONCLUSIVE")
    best = trials[trials["period"] == "all"].sort_values("objective_mean").iloc[0]
    assert summary["best_trial"] == best["trial"] and summary["candidate_trial"] == best["trial"]
    assert summary["best_objective"] == pytest.approx(best["objective_mean"], rel=1e-5)
    assert summary["pooled_retrain_std"] > 0
    report = (out / "report.md").read_text()
    decision = (out / "decision.md").read_text()
    verdict = f"**Verdict: {summary['verdict']}.**"
    assert verdict in report and verdict in decision
    assert findings(out) == []  # the report says nothing its own files contradict
    for plot in PLOTS:
        png = out / "plots" / f"{plot}.png"
        assert png.read_bytes()[:4] == b"\x89PNG" and png.stat().st_size > 5000, plot
        assert f"(plots/{plot}.png)" in report, plot
    assert "| Problematic overfitting |" in (out / "checklist.md").read_text()
    assert "| Worse than a simple baseline |" in (out / "checklist.md").read_text()
    board = report.split("## Leaderboard")[1].split("## Variance")[0]
    assert "| simple | persistence |" in board and "| skill |" in board


def test_confirmation_runs_are_extra_jobs_on_every_period(study_run):
    workdir, _ = study_run
    out = workdir / OUT
    chosen = json.loads((out / "candidates.json").read_text())
    baseline = chosen["baseline"]["trial"]
    plan = pd.read_csv(out / "plan.csv")
    assert baseline in set(plan["trial"])  # the grid drew the baseline: its study runs are shared
    periods = pd.read_csv(out / "periods.csv")["period"]
    for trial in chosen["confirm"]:
        for period in periods:
            block = out / "runs" / period / trial / "s2-3"
            runs = json.loads((block / "metrics.json").read_text())["runs"]
            assert [r["seed"] for r in runs] == [2, 3]
    decision = json.loads((out / "decision.json").read_text())
    assert decision["seeds"] == [2, 3] and decision["confirmed"]
    assert len(decision["periods"]) == 2 or decision["verdict"] == "REJECT"
    assert (decision["test"] is not None) == (decision["verdict"] == "ADOPT")


def test_a_second_run_has_nothing_to_do_and_the_html_report_builds(study_run):
    workdir, _ = study_run
    dry = snakemake(workdir, "-n", *TARGETS)
    assert "Nothing to be done" in dry.stdout + dry.stderr
    snakemake(workdir, "--report", str(workdir / "report.html"), *TARGETS)
    html = (workdir / "report.html").read_text()
    assert "Axis plot of" in html and "Isolation plot of the scientific hyperparameter" in html
