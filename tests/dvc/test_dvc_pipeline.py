"""`dvc repro` around Snakemake, with real git, DVC and Snakemake on a tiny study (see conftest.py).

What it must show (issue 4): a first repro builds everything and a second runs nothing; a changed
nuisance value retrains only the jobs of the trials it changes; a new month picks new periods;
push, fresh clone and pull bring models and results back with a clean `dvc status`; `dvc metrics`,
`dvc params diff`, `dvc plots` and `dvc exp` show what they should.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from dvc_project import MONTH, STUDY, dvc, job_counts, read_json, run, run_files
from tunelab.dvc import changed_stages

pytestmark = pytest.mark.e2e

TRIALS, PERIODS = 4, 2  # the tiny study: 2 widths x 2 learning rates, one seed block per job
LR_KEY = "params/tiny.yaml:hyperparameters.learning_rate.feasible_points"


def output(proc) -> str:
    """What a command printed: Snakemake (run by a DVC stage) writes its log to stderr."""
    return proc.stdout + proc.stderr


def status(project: Path) -> dict:
    return changed_stages(json.loads(dvc(project, "status", "--json").stdout or "{}"))


def digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.md5(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def overall(project: Path) -> pd.DataFrame:
    trials = pd.read_csv(project / "results" / STUDY / "trials.csv")
    return trials[trials["period"] == "all"]


def test_first_repro_builds_everything(built):
    project, first = built
    out = output(first)
    for stage in ("prepare", "month", "study", "report"):
        assert f"Running stage '{stage}'" in out
    assert job_counts(out)["train"] == TRIALS * PERIODS
    results = project / "results" / STUDY
    for name in ("periods.csv", "plan.csv", "runs.csv", "trials.csv"):
        assert (results / name).is_file()
    assert len(run_files(project)) == TRIALS * PERIODS
    assert (project / "data" / "prepared" / "synth.parquet").is_file()
    periods = pd.read_csv(results / "periods.csv")
    assert set(periods["month"]) == {MONTH}
    # the selected checkpoints: the best trial of each width, every period's block
    manifest = read_json(project / "models" / STUDY / "manifest.json")
    best = overall(project).sort_values("objective_mean").drop_duplicates("group")
    assert {m["trial"] for m in manifest["models"]} == set(best["trial"])
    assert [m["group"] for m in manifest["models"]] == ["hidden_size=8", "hidden_size=16"]
    for model in manifest["models"]:
        assert len(model["files"]) == PERIODS
        for name in model["files"]:
            assert (project / "models" / STUDY / name).stat().st_size > 0
    for name in ("metrics.json", "curves.csv", "axis.csv"):
        assert (project / "reports" / STUDY / name).is_file()
    assert status(project) == {}  # only stage month, which is always re-evaluated


def test_second_repro_runs_nothing(built):
    project, _ = built
    before = run_files(project)
    again = output(dvc(project, "repro"))
    for stage in ("prepare", "study", "report"):
        assert f"Stage '{stage}' didn't change, skipping" in again
    assert "Job stats" not in again  # Snakemake was not even started
    assert run_files(project) == before
    assert status(project) == {}


def test_metrics_show_prints_headline_numbers(built):
    project, _ = built
    shown = json.loads(dvc(project, "metrics", "show", "--json").stdout)
    (workspace,) = shown.values()  # one revision: the workspace
    metrics = workspace["data"][f"reports/{STUDY}/metrics.json"]["data"]
    table = overall(project)
    assert metrics["best"]["objective"] == pytest.approx(table["objective_mean"].min())
    assert metrics["trials"] == TRIALS and metrics["month"] == MONTH
    text = dvc(project, "metrics", "show").stdout
    assert f"reports/{STUDY}/metrics.json" in text and "best.objective" in text


def test_plots_show_renders_curves_and_axis_data(built, tmp_path):
    project, _ = built
    shown = json.loads(dvc(project, "plots", "show", "--json").stdout)["data"]
    curves = shown[f"reports/{STUDY}/curves.csv"][0]["content"]
    axis = shown[f"reports/{STUDY}/axis.csv"][0]["content"]
    rows = curves["data"]["values"]
    assert {r["split"] for r in rows} == {"train", "valid"}
    assert len({r["series"] for r in rows}) == 2  # the best trial of each width
    assert {r["hyperparameter"] for r in axis["data"]["values"]} == {"hidden_size", "learning_rate"}
    assert curves["encoding"]["color"]["field"] == "series"  # our template, filled in
    dvc(project, "plots", "show", "-o", str(tmp_path / "html"))
    html = (tmp_path / "html" / "index.html").read_text()
    assert "vega" in html and "Training curves" in html


def test_push_clone_pull_restores_models_and_results(built, pulled):
    project, _ = built
    for part in (f"models/{STUDY}", f"results/{STUDY}", "data/prepared"):
        assert digests(pulled / part) == digests(project / part), part
    assert status(pulled) == {}
    assert "No changes" in dvc(pulled, "data", "status").stdout
    # after `tunelab.dvc touch`, Snakemake too sees every pulled result as up to date
    dry = run(pulled, sys.executable, "-m", "snakemake", "-n", "--config", f"study={STUDY}",
              "--configfile", f"results/{STUDY}.month.yaml")
    assert "Nothing to be done" in output(dry)


def test_touch_refuses_when_the_workspace_does_not_match_the_lock(pulled):
    (pulled / "params" / f"{STUDY}.yaml").write_text(
        (pulled / "params" / f"{STUDY}.yaml").read_text().replace("seeds: 2", "seeds: 3"))
    proc = run(pulled, sys.executable, "-m", "tunelab.dvc", "touch", check=False)
    assert proc.returncode == 1 and "dvc repro" in proc.stderr


def test_nuisance_change_retrains_only_the_affected_trials(pulled):
    """In a fresh clone: `dvc exp run -S` one learning rate 1e-2 -> 3e-3 (one nuisance value)."""
    before = run_files(pulled)
    exp = output(dvc(pulled, "exp", "run", "-S", f"{LR_KEY}=[0.001,0.003]"))
    plan = pd.read_csv(pulled / "results" / STUDY / "plan.csv")
    changed = set(plan.loc[plan["learning_rate"] == 0.003, "trial"])
    assert len(changed) == 2  # one trial per width holds the changed value
    assert job_counts(exp)["train"] == len(changed) * PERIODS
    after = run_files(pulled)
    assert all(after[key] == value for key, value in before.items())  # untouched, not rewritten
    new = {key.split("/")[1] for key in set(after) - set(before)}
    assert new == changed
    diff = dvc(pulled, "params", "diff").stdout
    assert "hyperparameters.learning_rate.feasible_points" in diff and "0.003" in diff
    shown = json.loads(dvc(pulled, "exp", "show", "--json").stdout)
    exps = [e for rev in shown for e in (rev.get("experiments") or [])]
    assert exps, "dvc exp show lists the experiment"
    # the exported models follow the new results
    manifest = read_json(pulled / "models" / STUDY / "manifest.json")
    assert len(manifest["models"]) == 2


def test_new_month_picks_new_periods_and_same_month_changes_nothing(pulled):
    new_month = {"TUNELAB_MONTH": "2026-12"}
    old = set(pd.read_csv(pulled / "results" / STUDY / "periods.csv")["period"])
    first = output(dvc(pulled, "repro", env=new_month))
    periods = pd.read_csv(pulled / "results" / STUDY / "periods.csv")
    assert set(periods["month"]) == {"2026-12"}
    assert set(periods["period"]).isdisjoint(old)  # this rotation moves both periods
    assert job_counts(first)["train"] == TRIALS * PERIODS
    again = output(dvc(pulled, "repro", env=new_month))
    assert "Stage 'study' didn't change, skipping" in again and "Job stats" not in again
