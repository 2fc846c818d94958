"""The two examples of tuning your own model, as a new user runs them: each study under params/
with its code under examples/, on the embedded dataset, by the real Snakemake (shrunk to a
period and a few trials), and `tunelab check-trainer` on the LightGBM one."""

import json
import shutil
import subprocess

import pytest
import yaml
from conftest import REPO, merge, snakemake, write_study

pytestmark = pytest.mark.e2e

SMALL = {"periods": {"train_months": 2, "count": 1, "month": "2026-12"}, "confirm_seeds": 0}


def example_dir(tmp_path, study: str, changes: dict):
    """A working directory as a fresh clone has it: the embedded data, examples/, the study."""
    (tmp_path / "data/raw").mkdir(parents=True)
    shutil.copy(REPO / "data/raw/beijing_pm25.csv.gz", tmp_path / "data/raw")
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    config = yaml.safe_load((REPO / "params" / f"{study}.yaml").read_text())
    write_study(tmp_path, study, merge(config, {**SMALL, **changes}))
    return tmp_path


def test_the_lightgbm_example_tunes_boosting_rounds_through_rungs(tmp_path):
    pytest.importorskip("lightgbm")
    work = example_dir(tmp_path, "command_lgbm", {
        "search": {"budget": 3, "fidelity": {"min_epochs": 4, "eta": 3}},
        "hyperparameters": {"epochs": 12}})
    snakemake(work, study="command_lgbm")
    out = work / "results/command_lgbm"
    runs = (out / "runs.csv").read_text().splitlines()
    assert len(runs) > 1 and all(",ok," in line for line in runs[1:])
    assert list(out.rglob("state.pt")), "no rung saved a booster to continue from"
    report = (out / "report.md").read_text()
    assert "models trained by `python examples/lightgbm/train_lgbm.py`" in report
    assert "## Rungs" in report and "## Decision" in report
    # per_scientific: each lambda_l2 value's trials are promoted among themselves, so both reach 12
    rungs = json.loads((out / "rungs.json").read_text())
    assert {r["group"] for r in rungs["per_rung"] if r["epochs"] == 12 and r["trials"]} == \
        {"lambda_l2=0.0", "lambda_l2=10.0"}
    # the script continues a booster only where that is exact, and retrains the rest from round 1
    assert "resume is not exact" not in report
    check = subprocess.run(["tunelab", "check-trainer", "command_lgbm"], cwd=work, capture_output=True,
                           text=True, timeout=300)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "| a resumed run equals the uninterrupted one | yes |" in check.stdout
    assert "| the same seed gives the same metrics | yes |" in check.stdout


def test_the_lightgbm_example_resumes_exactly_with_and_without_feature_sampling(tmp_path):
    pytest.importorskip("lightgbm")
    for fraction in (0.8, 1.0):
        work = example_dir(tmp_path / str(fraction), "command_lgbm",
                           {"baseline": {"feature_fraction": fraction}})
        check = subprocess.run(["tunelab", "check-trainer", "command_lgbm"], cwd=work,
                               capture_output=True, text=True, timeout=300)
        assert "| a resumed run equals the uninterrupted one | yes |" in check.stdout, check.stdout


def test_the_gru_example_trains_the_users_module_in_tunelabs_loop(tmp_path):
    work = example_dir(tmp_path, "custom_gru", {"search": {"budget": 1},
                                                "hyperparameters": {"epochs": 2, "hidden_size": 8}})
    snakemake(work, study="custom_gru")
    out = work / "results/custom_gru"
    runs = (out / "runs.csv").read_text().splitlines()
    assert len(runs) > 1 and all(",ok," in line for line in runs[1:])
    assert "models of `examples.gru.model:build`" in (out / "report.md").read_text()
    assert "| the same seed gives the same metrics | yes |" in (out / "trainer_check.md").read_text()
