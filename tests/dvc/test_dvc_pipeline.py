"""`dvc repro` around Snakemake, with real git, DVC and Snakemake on a tiny study (see conftest.py).

What it must show (issue 4): a first repro builds everything and a second runs nothing; a changed
nuisance value retrains only the jobs of the trials it changes; a new month reaches Snakemake as new
periods, and the same month changes nothing; push, fresh clone and pull bring models and results
back with a clean `dvc status`; `dvc metrics`, `dvc params diff`, `dvc plots` and `dvc exp` show
what they should.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from dvc_project import MONTH, STUDY, dvc, read_json, run, run_files, trained
from tunelab.dvc import changed_stages

pytestmark = pytest.mark.e2e

TRIALS, PERIODS = 4, 2  # the tiny study: 2 widths x 2 learning rates, one seed block per job
LR_KEY = "params/tiny.yaml:hyperparameters.learning_rate.feasible_points"


def output(proc) -> str:
    """What a command printed: Snakemake (run by a DVC stage) writes its log to stderr."""
    return proc.stdout + proc.stderr


def status(project: Path) -> dict:
    """`dvc status`, less stage month (always changed: re-evaluated on every repro)."""
    return changed_stages(json.loads(dvc(project, "status", "--json").stdout or "{}"))


def digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.md5(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def results(project: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(project / "results" / STUDY / name)


def test_first_repro_builds_everything(built):
    project, first = built
    out = output(first)
    for stage in ("prepare", "month", "study", "report"):
        assert f"Running stage '{stage}'" in out
    jobs = trained(out)
    assert len(jobs) == TRIALS * PERIODS and set(jobs) == set(run_files(project))
    assert (project / "data" / "prepared" / "synth.parquet").is_file()
    assert set(results(project, "periods.csv")["month"]) == {MONTH}
    summary = read_json(project / "results" / STUDY / "summary.json")
    assert read_json(project / "reports" / STUDY / "summary.json") == summary  # the copy DVC shows
    # the exported checkpoints: best trial per width, the candidate and the baseline, every period
    manifest = read_json(project / "models" / STUDY / "manifest.json")
    trials = results(project, "trials.csv")
    best = trials[trials["period"] == "all"].sort_values("objective_mean").drop_duplicates("group")
    expected = set(best["trial"]) | {summary["candidate_trial"], summary["baseline_trial"]}
    assert {m["trial"] for m in manifest["models"]} == expected
    for model in manifest["models"]:
        assert len(model["files"]) == PERIODS
        for name in model["files"]:
            assert (project / "models" / STUDY / name).stat().st_size > 0
    for name in ("curves.csv", "axis.csv"):
        assert (project / "reports" / STUDY / name).is_file()
    assert status(project) == {}


def test_second_repro_runs_nothing(built):
    project, _ = built
    before = run_files(project)
    again = output(dvc(project, "repro"))
    for stage in ("prepare", "study", "report"):
        assert f"Stage '{stage}' didn't change, skipping" in again
    assert "Building DAG" not in again  # Snakemake was not even started
    assert run_files(project) == before
    assert status(project) == {}


def test_metrics_show_prints_the_headline_numbers(built):
    project, _ = built
    shown = json.loads(dvc(project, "metrics", "show", "--json").stdout)
    (workspace,) = shown.values()  # one revision: the workspace
    metrics = workspace["data"][f"reports/{STUDY}/summary.json"]["data"]
    trials = results(project, "trials.csv")
    best = trials.loc[trials["period"] == "all", "objective_mean"].min()
    assert metrics["best_objective"] == pytest.approx(best)
    assert metrics["month"] == MONTH and metrics["verdict"] in ("ADOPT", "REJECT", "INCONCLUSIVE")
    text = dvc(project, "metrics", "show").stdout
    assert f"reports/{STUDY}/summary.json" in text and "best_objective" in text and "verdict" in text


def test_plots_show_renders_curves_axis_data_and_figures(built, tmp_path):
    project, _ = built
    shown = json.loads(dvc(project, "plots", "show", "--json").stdout)["data"]
    curves = shown[f"reports/{STUDY}/curves.csv"][0]["content"]
    rows = curves["data"]["values"]
    assert {r["split"] for r in rows} == {"train", "valid"}
    manifest = read_json(project / "models" / STUDY / "manifest.json")
    assert {r["trial"] for r in rows} == {m["trial"] for m in manifest["models"]}
    assert curves["encoding"]["color"]["field"] == "series"  # our template, filled in
    axis = shown[f"reports/{STUDY}/axis.csv"][0]["content"]["data"]["values"]
    assert {r["hyperparameter"] for r in axis} == {"hidden_size", "learning_rate"}
    assert any(key.endswith(".png") for key in shown)  # the analysis's figures, as images
    dvc(project, "plots", "show", "-o", str(tmp_path / "html"))
    html = (tmp_path / "html" / "index.html").read_text()
    assert "vega" in html and "Training curves" in html


def test_push_clone_pull_restores_models_and_results(built, pulled):
    project, _ = built
    for part in (f"models/{STUDY}", f"results/{STUDY}", "data/prepared"):
        assert digests(pulled / part) == digests(project / part), part
    assert status(pulled) == {}
    assert "No changes" in dvc(pulled, "data", "status").stdout
    # after `python -m tunelab.dvc touch`, Snakemake too sees every pulled result as up to date
    dry = run(pulled, sys.executable, "-m", "snakemake", "-n", "--config", f"study={STUDY}",
              "--configfile", f"results/{STUDY}.month.yaml")
    assert "Nothing to be done" in output(dry)


def test_touch_refuses_when_the_workspace_does_not_match_the_lock(cloned):
    study = cloned / "params" / f"{STUDY}.yaml"
    study.write_text(study.read_text().replace("seeds: 2", "seeds: 3"))
    proc = run(cloned, sys.executable, "-m", "tunelab.dvc", "touch", check=False)
    assert proc.returncode == 1 and "dvc repro" in proc.stderr


def test_nuisance_change_retrains_only_the_affected_trials(pulled):
    """In a fresh clone: `dvc exp run -S` changes one learning rate, 1e-2 -> 3e-3."""
    before = run_files(pulled)
    exp = output(dvc(pulled, "exp", "run", "-S", f"{LR_KEY}=[0.001,0.003]"))
    plan = results(pulled, "plan.csv")
    changed = set(plan.loc[plan["learning_rate"] == 0.003, "trial"])
    assert len(changed) == 2  # one trial per width holds the changed value
    jobs = trained(exp)
    assert len(jobs) == len(changed) * PERIODS
    assert {job.split("/")[1] for job in jobs} == changed
    after = run_files(pulled)
    assert {key: after[key] for key in before} == before  # the other runs: not rewritten
    assert set(after) - set(before) == set(jobs)
    diff = dvc(pulled, "params", "diff").stdout
    assert "hyperparameters.learning_rate.feasible_points" in diff and "0.003" in diff
    shown = json.loads(dvc(pulled, "exp", "show", "--json").stdout)
    experiments = [e for rev in shown for e in (rev.get("experiments") or [])]
    assert len(experiments) == 1  # dvc exp show lists the variant
    manifest = read_json(pulled / "models" / STUDY / "manifest.json")
    trials = results(pulled, "trials.csv")
    assert {m["trial"] for m in manifest["models"]} <= set(trials["trial"])  # exported anew


def test_a_new_month_reaches_snakemake_and_the_same_month_changes_nothing(pulled):
    """The month stage (always re-evaluated) is what DVC sees change; Snakemake then re-plans.
    Cheap on purpose: it runs the month stage alone and asks Snakemake for a dry run."""
    new = {"TUNELAB_MONTH": "2026-12"}
    dvc(pulled, "repro", "--single-item", "month", env=new)
    changed = status(pulled)
    assert list(changed) == ["study"]  # the study, and only it, would run again
    assert f"results/{STUDY}.month.yaml" in json.dumps(changed["study"])
    dry = output(run(pulled, sys.executable, "-m", "snakemake", "-n", "--config", f"study={STUDY}",
                     "--configfile", f"results/{STUDY}.month.yaml"))
    assert "before: '2026-11' now: '2026-12'" in dry  # rule plan: the month changed
    old = set(results(pulled, "periods.csv")["period"])
    assert "v2020-03" not in old and "v2020-03/" in dry  # the new rotation trains new periods
    dvc(pulled, "repro", "--single-item", "month")  # back in 2026-11: nothing to do
    assert status(pulled) == {}
