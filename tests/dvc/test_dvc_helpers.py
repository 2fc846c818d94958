"""tunelab.dvc without DVC: the month file, the selection of models, the tables for dvc metrics/plots."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pandas as pd
import pytest
import yaml
from dvc_project import tiny_study
from tunelab import dvc as tdvc

HP = ["hidden_size", "learning_rate", "optimizer", "dropout"]


def trials_table(rows: list[tuple]) -> pd.DataFrame:
    """trials.csv `all` rows (plus one per-period row each) from (trial, group, objective, hidden, lr)."""
    out = []
    for trial, group, objective, hidden, lr in rows:
        hps = {"hidden_size": hidden, "learning_rate": lr, "optimizer": "adamw", "dropout": 0.1}
        common = {"trial": trial, "group": group, "seeds": 2, "objective_std": 0.01, **hps}
        out.append({**common, "period": "v2020-04", "feasible": 2, "objective_mean": objective})
        out.append({**common, "period": "all", "feasible": 2 if math.isfinite(objective) else 1,
                    "objective_mean": objective, "period_std": 0.02, "periods": 1})
    return pd.DataFrame(out)


@pytest.fixture
def study_file(tmp_path: Path) -> Path:
    path = tmp_path / "params" / "tiny.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(tiny_study(), sort_keys=False))
    return path


# --- month ---

def test_month_is_the_current_month_unless_set(study_file):
    assert tdvc.dvc_month(study_file, env={}, today=dt.date(2031, 2, 17)) == "2031-02"
    assert tdvc.dvc_month(study_file, env={"TUNELAB_MONTH": "2024-05"}) == "2024-05"


def test_a_month_pinned_in_the_study_wins(tmp_path):
    study = tiny_study()
    study["periods"]["month"] = "2023-07"
    path = tmp_path / "pinned.yaml"
    path.write_text(yaml.safe_dump(study))
    assert tdvc.dvc_month(path, env={"TUNELAB_MONTH": "2024-05"}) == "2023-07"


def test_a_fast_study_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "quick.yaml"
    path.write_text(yaml.safe_dump({**tiny_study(), "fast": True}))
    with pytest.raises(ValueError, match="results/quick-fast/"):
        tdvc.dvc_month(path, env={})


def test_a_bad_month_in_the_environment_is_refused(study_file):
    with pytest.raises(ValueError, match="TUNELAB_MONTH: '2024-5'"):
        tdvc.dvc_month(study_file, env={"TUNELAB_MONTH": "2024-5"})


def test_the_month_file_is_a_snakemake_config_that_changes_only_with_the_month(study_file, tmp_path):
    out = tmp_path / "results" / "tiny.month.yaml"
    tdvc.write_month(study_file, out, env={"TUNELAB_MONTH": "2024-05"})
    first = out.read_bytes()
    assert yaml.safe_load(first) == {"month": "2024-05"}  # a string for --configfile, not a date
    tdvc.write_month(study_file, out, env={"TUNELAB_MONTH": "2024-05"})
    assert out.read_bytes() == first
    tdvc.write_month(study_file, out, env={"TUNELAB_MONTH": "2024-06"})
    assert out.read_bytes() != first


# --- selection ---

def test_best_feasible_trial_per_scientific_value_in_numeric_order():
    trials = trials_table([
        ("t00000001", "hidden_size=16", 0.30, 16, 1.0e-3),
        ("t00000002", "hidden_size=16", 0.20, 16, 1.0e-2),
        ("t00000003", "hidden_size=8", 0.50, 8, 1.0e-3),
        ("t00000004", "hidden_size=8", float("nan"), 8, 1.0e-1),  # infeasible: never selected
        ("t00000005", "hidden_size=128", 0.25, 128, 1.0e-3),
    ])
    selected = tdvc.select_models(trials)
    assert [(s["trial"], s["group"]) for s in selected] == [
        ("t00000003", "hidden_size=8"), ("t00000002", "hidden_size=16"), ("t00000005", "hidden_size=128")]
    assert all(s["roles"] == ["best"] for s in selected)
    assert selected[1]["objective_mean"] == pytest.approx(0.20)
    assert selected[1]["name"] == "hidden_size=16 t00000002"


def test_without_scientific_hyperparameters_the_single_best_is_selected():
    trials = trials_table([("t0000000a", "", 0.4, 8, 1.0e-3), ("t0000000b", "", 0.3, 8, 1.0e-2)])
    trials["group"] = float("nan")  # pandas reads an empty group as NaN
    (only,) = tdvc.select_models(trials)
    assert only["trial"] == "t0000000b" and only["name"] == "best t0000000b"


def test_candidate_and_baseline_named_as_in_summary_json():
    trials = trials_table([("t00000001", "", 0.3, 8, 1.0e-3), ("t00000002", "", 0.4, 8, 1.0e-2)])
    summary = {"candidate_trial": "t00000001", "baseline_trial": "t00000002", "verdict": "ADOPT"}
    roles = {s["trial"]: s["roles"] for s in tdvc.select_models(trials, summary)}
    assert roles == {"t00000001": ["best", "candidate"], "t00000002": ["baseline"]}


def test_candidate_and_baseline_of_the_analysis_are_added_once():
    trials = trials_table([
        ("t00000001", "hidden_size=8", 0.30, 8, 1.0e-3),
        ("t00000002", "hidden_size=16", 0.20, 16, 1.0e-3),
        ("t00000003", "hidden_size=16", 0.40, 16, 1.0e-2),
    ])
    summary = {"candidate": {"trial": "t00000002"}, "baseline": "t00000003"}
    selected = tdvc.select_models(trials, summary)
    roles = {s["trial"]: s["roles"] for s in selected}
    assert roles == {"t00000001": ["best"], "t00000002": ["best", "candidate"], "t00000003": ["baseline"]}
    names = [s["name"] for s in selected]
    assert names == ["hidden_size=8 t00000001", "hidden_size=16 (candidate) t00000002", "baseline t00000003"]


def test_summary_entries_that_name_no_trial_are_ignored():
    trials = trials_table([("t00000001", "", 0.3, 8, 1.0e-3)])
    selected = tdvc.select_models(trials, {"candidate": None, "baseline": {"verdict": "REJECT"}})
    assert [s["trial"] for s in selected] == ["t00000001"]


# --- tables for dvc plots / metrics ---

def test_axis_rows_use_log10_for_log_scaled_hyperparameters_and_mark_infeasible_trials():
    trials = trials_table([
        ("t00000001", "hidden_size=8", 0.30, 8, 1.0e-3),
        ("t00000002", "hidden_size=16", 0.20, 16, 1.0e-2),
        ("t00000003", "hidden_size=16", float("nan"), 16, 1.0e-1),
    ])
    rows = tdvc.axis_rows(trials, {"learning_rate": "log"})
    assert {r["hyperparameter"] for r in rows} == {"hidden_size", "learning_rate"}  # not the constants
    lr = {r["trial"]: r for r in rows if r["hyperparameter"] == "learning_rate"}
    assert lr["t00000002"]["x"] == pytest.approx(-2.0) and lr["t00000002"]["axis"] == "learning_rate (log10)"
    assert lr["t00000003"]["status"] == "infeasible"
    assert lr["t00000003"]["objective"] == pytest.approx(0.30)  # drawn at the worst feasible objective
    hidden = [r for r in rows if r["hyperparameter"] == "hidden_size"]
    assert [r["value"] for r in hidden] == [8, 16, 16] and hidden[0]["axis"] == "hidden_size"


def test_headline_numbers_without_a_summary_use_the_names_of_summary_json():
    trials = trials_table([
        ("t00000001", "hidden_size=8", 0.30, 8, 1.0e-3),
        ("t00000002", "hidden_size=16", 0.20, 16, 1.0e-3),
        ("t00000003", "hidden_size=16", float("nan"), 16, 1.0e-1),
    ])
    selected = tdvc.select_models(trials)
    metrics = tdvc.headline(trials, selected, {"month": "2026-11", "objective": "valid_mse"})
    assert metrics["trials"] == 3 and metrics["feasible_trials"] == 2
    assert metrics["best_trial"] == "t00000002" and metrics["best_objective"] == pytest.approx(0.2)
    assert metrics["best_group"] == "hidden_size=16" and metrics["month"] == "2026-11"


def write_block(results: Path, period: str, trial: str, losses: list[tuple[float, float]]) -> None:
    block = results / "runs" / period / trial / "s0-1"
    block.mkdir(parents=True)
    (block / "models.pt").write_bytes(f"{period}/{trial}".encode())
    rows = [{"seed": seed, "epoch": e + 1, "train_loss": t + seed, "valid_loss": v + seed}
            for seed in (0, 1) for e, (t, v) in enumerate(losses)]
    pd.DataFrame(rows).to_csv(block / "curves.csv", index=False)


def test_report_exports_the_selected_checkpoints_and_the_dvc_tables(study_file, tmp_path):
    results, models, reports = tmp_path / "results", tmp_path / "models", tmp_path / "reports"
    trials = trials_table([
        ("t00000001", "hidden_size=8", 0.30, 8, 1.0e-3),
        ("t00000002", "hidden_size=8", 0.40, 8, 1.0e-2),
        ("t00000003", "hidden_size=16", 0.20, 16, 1.0e-3),
    ])
    results.mkdir()
    trials.to_csv(results / "trials.csv", index=False)
    (results / "periods.csv").write_text("period,month\nv2020-04,2026-11\nv2020-06,2026-11\n")
    for period in ("v2020-04", "v2020-06"):
        for trial in ("t00000001", "t00000002", "t00000003"):
            write_block(results, period, trial, [(1.0, 0.8), (0.5, 0.6)])
    (models / "t0stale00").mkdir(parents=True)  # an earlier export: removed
    manifest = tdvc.report(study_file, results, models, reports)

    assert manifest["month"] == "2026-11" and manifest["objective"] == "valid_mse"
    assert [m["trial"] for m in manifest["models"]] == ["t00000001", "t00000003"]
    assert manifest["models"][0]["files"] == ["t00000001/v2020-04.s0-1.pt", "t00000001/v2020-06.s0-1.pt"]
    assert (models / "t00000003" / "v2020-06.s0-1.pt").read_bytes() == b"v2020-06/t00000003"
    assert sorted(p.name for p in models.iterdir()) == ["manifest.json", "t00000001", "t00000003"]
    assert json.loads((models / "manifest.json").read_text()) == manifest

    curves = pd.read_csv(reports / "curves.csv")
    assert set(curves["series"]) == {"hidden_size=8 t00000001", "hidden_size=16 t00000003"}
    valid = curves[(curves["trial"] == "t00000001") & (curves["split"] == "valid")]
    assert list(valid["epoch"]) == [1, 2]
    assert list(valid["loss"]) == pytest.approx([1.3, 1.1])  # mean over seeds 0, 1 and both periods
    assert set(valid["runs"]) == {4}
    axis = pd.read_csv(reports / "axis.csv")
    assert set(axis["hyperparameter"]) == {"hidden_size", "learning_rate"}
    metrics = json.loads((reports / "summary.json").read_text())  # no summary.json: from trials.csv
    assert metrics["best_trial"] == "t00000003" and metrics["month"] == "2026-11"

    summary = {"verdict": "ADOPT", "candidate_trial": "t00000002", "baseline_trial": "t00000001"}
    (results / "summary.json").write_text(json.dumps(summary))
    manifest = tdvc.report(study_file, results, models, reports)
    assert json.loads((reports / "summary.json").read_text()) == summary  # the analysis's, copied
    roles = {m["trial"]: m["roles"] for m in manifest["models"]}
    assert roles == {"t00000001": ["best", "baseline"], "t00000003": ["best"], "t00000002": ["candidate"]}


def test_changed_stages_ignores_the_always_changed_month_stage():
    status = {"month": ["always changed"],
              "study": [{"changed deps": {"params/tiny.yaml": "modified"}}, "always changed"]}
    assert tdvc.changed_stages(status) == {"study": [{"changed deps": {"params/tiny.yaml": "modified"}}]}
    assert tdvc.changed_stages({"month": ["always changed"]}) == {}
