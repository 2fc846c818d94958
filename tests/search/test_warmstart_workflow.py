"""Warm start across months, with real Snakemake (issue 24): a study run in month M, then in M+1,
carries M's best trials and winner over, retrains the carried trials only on the new periods, lets
the adaptive round learn from M's trials, and says all of it in the report."""

import csv
import json

import pytest
from conftest import job_counts, snakemake, study_dir, tiny_study, write_study
from tunelab.report.truth import findings

pytestmark = pytest.mark.e2e

# With 3 periods of 4 months over the synthetic 8 months, 2027-01 and 2027-02 share two periods.
MONTHS = ("2027-01", "2027-02")


def month_study(month: str, seed: int) -> dict:
    study = tiny_study(search={"algorithm": "quasi_random", "budget": 2, "seed": seed, "mode": "joint",
                               "then": {"algorithm": "bayesian", "rounds": 1, "batch": 1}},
                       periods={"month": month, "count": 3}, confirm_seeds=0,
                       warm_start={"carry": 1, "baseline": "best"})
    study["hyperparameters"] = {"learning_rate": {"role": "nuisance", "min": 1.0e-3, "max": 0.1,
                                                  "scaling": "log"},
                                "hidden_size": 8, "epochs": 2, "batch_size": 64}
    return study


def rows(path):
    with open(path) as fh:
        return list(csv.DictReader(fh))


def run_files(workdir):
    return {p: p.stat().st_mtime_ns for p in (workdir / "results/tiny/runs").rglob("metrics.json")}


@pytest.fixture(scope="module")
def two_months(tmp_path_factory):
    workdir = study_dir(tmp_path_factory.mktemp("warm"), month_study(MONTHS[0], seed=0))
    cold = snakemake(workdir)
    first = {"runs": run_files(workdir), "periods": [r["period"] for r in rows(workdir / "results/tiny/periods.csv")],
             "record": json.loads((workdir / f"results/tiny/months/{MONTHS[0]}.json").read_text())}
    write_study(workdir, "tiny", month_study(MONTHS[1], seed=0))  # the next month, same search
    dry = snakemake(workdir, "-n")
    warm = snakemake(workdir)
    return workdir, first, cold, dry, warm


def test_a_first_month_starts_cold_and_says_so(two_months):
    _, first, cold, _, _ = two_months
    assert "cold start" in cold.stderr
    assert first["record"]["month"] == MONTHS[0] and first["record"]["trials"]


def test_the_next_month_carries_the_winner_as_baseline_and_its_best_trial(two_months):
    workdir, first, _, dry, _ = two_months
    assert f"warm_start: from {MONTHS[0]}" in dry.stderr
    winner = first["record"]["trials"][0]["trial"]
    decision = json.loads((workdir / "results/tiny/decision.json").read_text())
    assert decision["baseline"]["trial"] == winner
    plan = rows(workdir / "results/tiny/plan.csv")
    assert any(r["sampler"] == f"carried from {MONTHS[0]}" for r in plan) or winner in {r["trial"] for r in plan}


def test_carried_trials_retrain_only_on_the_new_periods(two_months):
    workdir, first, _, _, _ = two_months
    periods = [r["period"] for r in rows(workdir / "results/tiny/periods.csv")]
    shared = set(periods) & set(first["periods"])
    assert shared and set(periods) - shared  # the months share some periods, not all
    now = run_files(workdir)
    for path, mtime in first["runs"].items():
        assert now[path] == mtime  # nothing of last month was retrained
    carried = [t["trial"] for t in first["record"]["trials"][:1]]
    for trial in carried:
        new = {p.parts[-4] for p in now if p.parts[-3] == trial and p not in first["runs"]}
        assert new == set(periods) - shared


def test_the_round_learns_from_last_months_trials(two_months):
    workdir, first, _, _, _ = two_months
    log = next((workdir / "logs/tiny/rounds").rglob("round1.log")).read_text()
    n_now = len([r for r in rows(workdir / "results/tiny/plan.csv")])
    carried = [t for t in first['record']['trials'] if t['feasible']]
    assert f"from {n_now + len(carried)} finished trials" in log


def test_the_report_says_what_was_carried_and_whether_the_winner_still_wins(two_months):
    workdir, _, _, _, warm = two_months
    report = (workdir / "results/tiny/report.md").read_text()
    assert f"## Carried over from {MONTHS[0]}" in report
    assert "winner" in report and ("still wins" in report or "no longer wins" in report)
    assert (workdir / f"results/tiny/months/{MONTHS[1]}.json").exists()
    assert findings(workdir / "results/tiny") == []  # with an adaptive round: named up front
    assert "train" not in job_counts(snakemake(workdir, "-n").stdout)  # a rerun trains nothing
