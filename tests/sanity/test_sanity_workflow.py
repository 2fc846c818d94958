"""Through the real Snakemake: the sanity rules and a tiny fidelity study; fast mode's DAG."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from sanity_data import study_dict, synthetic_frame, write_study

pytestmark = pytest.mark.e2e

SNAKEFILE = Path(__file__).resolve().parents[2] / "Snakefile"
TINY = study_dict(
    periods={"train_months": 3, "count": 1},
    hyperparameters={"epochs": 2},
    seeds=1,
    fidelity={"train": ["1w"], "epochs": [1], "threshold": 0.5},
)
SANITY = ["results/tiny/data_report.md", "results/tiny/baselines.csv", "results/tiny/sanity.md",
          "results/tiny/dynamics.md"]


def snakemake(workdir, *args):
    cmd = [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "-d", str(workdir), "--cores", "2",
           *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=workdir,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return proc


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("sanity")
    (workdir / "data").mkdir()
    synthetic_frame(months=5).to_csv(workdir / "data/synth.csv", index=False)
    write_study(workdir, "tiny", TINY)
    snakemake(workdir, "fidelity", *SANITY, "--config", "study=tiny")
    return workdir


def test_fidelity_study_reuses_the_train_rule_and_recommends(finished):
    table = pd.read_csv(finished / "results/tiny/fidelity/fidelity.csv")
    assert list(table["setting"]) == ["full", "1w-e1"]  # one period: the full study is its own period
    assert table["spearman"].between(-1, 1).all() and table["train_time"].gt(0).all()
    cheap = list((finished / "results/tiny/fidelity/1w-e1/runs").glob("*/*/*/metrics.json"))
    runs = pd.read_csv(finished / "results/tiny/runs.csv")
    assert len(cheap) == runs["trial"].nunique()  # every trial, once, on one period
    block = json.loads(cheap[0].read_text())
    start, end = (pd.Timestamp(x) for x in block["windows"]["train"])
    assert end - start == pd.Timedelta(days=7) and block["hyperparameters"]["epochs"] == 1
    assert block["windows"]["valid"][0] == block["windows"]["train"][1]
    md = (finished / "results/tiny/fidelity/fidelity.md").read_text()
    assert "## Recommendation" in md and "1w-e1" in md
    assert (finished / "results/tiny/fidelity/fidelity.png").stat().st_size > 1000


def test_sanity_outputs(finished):
    base = pd.read_csv(finished / "results/tiny/baselines.csv")
    assert set(base["baseline"]) == {"persistence", "training_mean", "linear"} and len(base) == 3 * 2
    assert "**OK**" in (finished / "results/tiny/sanity.md").read_text()
    assert "# Training dynamics: tiny" in (finished / "results/tiny/dynamics.md").read_text()
    assert "## Notes" in (finished / "results/tiny/data_report.md").read_text()


def test_fast_mode_dag_has_one_period(finished):
    """`--config fast=true`: the tiny-fast study, one period, 2 epochs capped at fast_epochs 1."""
    periods = {**TINY["periods"], "train_months": 2, "count": 2}
    write_study(finished, "tiny", {**TINY, "periods": periods, "fast_epochs": 1})
    proc = snakemake(finished, "-n", "-p", "results/tiny-fast/runs.csv", "--config", "study=tiny",
                     "fast=true")
    trials = pd.read_csv(finished / "results/tiny/runs.csv")["trial"].nunique()
    counts = {line.split()[0]: int(line.split()[1]) for line in proc.stdout.splitlines()
              if len(line.split()) == 2 and line.split()[1].isdigit()}
    assert counts["train"] == trials  # one period x the trials x one seed block
    assert "results/tiny-fast/runs/" in proc.stdout and '"epochs":1' in proc.stdout.replace(" ", "")
