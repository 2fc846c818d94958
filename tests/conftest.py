"""Shared fixtures: a small synthetic hourly dataset, tiny study files, and a Snakemake runner."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from tunelab.study.load import deep_merge

# The analysis and report folders share these fixtures (one session-wide tiny study run).
pytest_plugins = ["analysis_fixtures"]

REPO = Path(__file__).resolve().parent.parent
SNAKEFILE = REPO / "Snakefile"


def synthetic_frame(months: int = 8, start: str = "2020-01-01", seed: int = 0) -> pd.DataFrame:
    """Hourly data with a daily cycle the lags can learn, a feature that leads the target,
    a categorical column, and a few missing target values."""
    rng = np.random.default_rng(seed)
    time = pd.date_range(start, periods=24 * 30 * months, freq="h")
    hours = np.arange(len(time))
    lead = np.sin(2 * np.pi * (hours + 6) / 24) + 0.1 * rng.standard_normal(len(time))
    target = 50 + 20 * np.sin(2 * np.pi * hours / 24) + 3 * rng.standard_normal(len(time))
    target[rng.choice(len(time), size=len(time) // 50, replace=False)] = np.nan
    return pd.DataFrame({
        "timestamp": time,
        "load": target,
        "lead": lead,
        "temp": 10 + rng.standard_normal(len(time)),
        "wind": rng.choice(["N", "S", "E"], size=len(time)),
    })


def tiny_study(**overrides) -> dict:
    """A study that trains in seconds: 2 periods x 2 trials x 2 seeds, 3 epochs."""
    study = {
        "question": "Does a wider MLP help on the synthetic series?",
        "dataset": {"name": "synth", "path": "data/synth.csv", "time": "timestamp", "target": "load",
                    "features": ["lead", "temp"], "categorical": ["wind"]},
        "task": {"horizon": 2, "lags": 6},
        "periods": {"train_months": 2, "valid_months": 1, "test_months": 1, "count": 2,
                    "month": "2026-11"},
        "architecture": "mlp",
        "hyperparameters": {
            "hidden_size": {"role": "scientific", "feasible_points": [8, 16]},
            "learning_rate": {"role": "nuisance", "feasible_points": [0.003]},
            "epochs": 3,
            "batch_size": 64,
        },
        "search": {"algorithm": "grid", "budget": 4},
        "seeds": 2,
        "seeds_per_job": 2,
    }
    return merge(study, overrides)


def adaptive_tiny() -> dict:
    """The tiny study with an adaptive phase: 3 exploration trials, then 2 rounds of 2 (issue 9)."""
    study = tiny_study(search={"algorithm": "quasi_random", "budget": 3, "mode": "joint",
                               "then": {"algorithm": "bayesian", "rounds": 2, "batch": 2, "acquisition": "ei"}},
                       periods={"count": 1}, confirm_seeds=0)
    study["hyperparameters"] = {"learning_rate": {"role": "nuisance", "min": 1.0e-3, "max": 0.3, "scaling": "log"},
                                "hidden_size": 8, "epochs": 2, "batch_size": 64}
    return study


def merge(base: dict, extra: dict) -> dict:
    """`extra` merged into a deep copy of `base` (as --config overrides merge into a study)."""
    return deep_merge(copy.deepcopy(base), extra)


def write_study(workdir: Path, name: str, study: dict) -> Path:
    path = workdir / "params" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(study, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> str:
    """The synthetic frame (5 months) prepared as training jobs read it: the training tests' data."""
    from tunelab.data.dataset import prepare_file

    tmp = tmp_path_factory.mktemp("prep")
    synthetic_frame(months=5).to_csv(tmp / "synth.csv", index=False)
    ds = {"name": "synth", "path": str(tmp / "synth.csv"), "time": "timestamp", "target": "load",
          "features": ["lead", "temp"], "categorical": ["wind"]}
    prepare_file(ds, tmp / "synth.parquet")
    return str(tmp / "synth.parquet")


def study_dir(path: Path, study: dict | None = None, name: str = "tiny") -> Path:
    """`path` as a working directory: the synthetic dataset at data/synth.csv and, if given, `study`
    as params/<name>.yaml."""
    (path / "data").mkdir(parents=True)
    synthetic_frame().to_csv(path / "data" / "synth.csv", index=False)
    if study is not None:
        write_study(path, name, study)
    return path


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A working directory with the synthetic dataset at data/synth.csv."""
    return study_dir(tmp_path)


def snakemake(workdir: Path, *args: str, study: str = "tiny", check: bool = True,
              cores: int = 2, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run the real Snakemake on the repository's Snakefile in `workdir`."""
    cmd = [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "-d", str(workdir),
           "--cores", str(cores), *args, "--config", f"study={study}"]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=workdir)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n"
                             f"{proc.stderr[-5000:]}")
    return proc


def job_counts(output: str) -> dict[str, int]:
    """Snakemake's 'Job stats' table (printed by a dry run or a real run) as {rule: count}."""
    counts, in_table = {}, False
    for line in output.splitlines():
        if line.startswith("Job stats:"):
            in_table, counts = True, {}
            continue
        if in_table:
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                counts[parts[0]] = int(parts[1])
            elif parts and parts[0] == "total":
                in_table = False
    return counts
