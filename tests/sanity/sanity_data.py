"""Hand-made data for the sanity tests: series whose right answers are known, and tiny studies.

(A helper module, not a conftest.py: a second conftest module would shadow tests/conftest.py for the
tests that import from it.)"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from tunelab.windows import Prepared


def prepared_series(target: np.ndarray, start: str = "2021-01-01", features: dict | None = None) -> Prepared:
    """An hourly Prepared dataset (no gaps) with `target` as its only input besides `features`."""
    n = len(target)
    times = pd.date_range(start, periods=n, freq="h").to_numpy().astype("datetime64[ns]")
    cols = [np.asarray(target, dtype=float)] + [np.asarray(v, dtype=float) for v in (features or {}).values()]
    return Prepared(times=times, segment=np.zeros(n, dtype=np.int64), inputs=np.column_stack(cols),
                    target=np.asarray(target, dtype=float), input_names=["y", *(features or {})])


def windows(train: tuple[str, str], valid: tuple[str, str], test: tuple[str, str] | None = None) -> dict:
    return {"train": train, "valid": valid, "test": test}


def synthetic_frame(months: int = 6, start: str = "2020-01-01", seed: int = 0) -> pd.DataFrame:
    """Hourly data a model can learn: a daily cycle, a leading feature, noise, a categorical column."""
    rng = np.random.default_rng(seed)
    time = pd.date_range(start, periods=24 * 30 * months, freq="h")
    hours = np.arange(len(time))
    lead = np.sin(2 * np.pi * (hours + 6) / 24) + 0.1 * rng.standard_normal(len(time))
    target = 50 + 20 * np.sin(2 * np.pi * hours / 24) + 3 * rng.standard_normal(len(time))
    target[rng.choice(len(time), size=len(time) // 50, replace=False)] = np.nan
    return pd.DataFrame({"timestamp": time, "load": target, "lead": lead,
                         "temp": 10 + rng.standard_normal(len(time)),
                         "wind": rng.choice(["N", "S", "E"], size=len(time))})


def study_dict(**overrides) -> dict:
    """A small study on the synthetic frame: 2 periods x 4 trials, 2 seeds, 3 epochs."""
    study = {
        "dataset": {"name": "synth", "path": "data/synth.csv", "time": "timestamp", "target": "load",
                    "features": ["lead", "temp"], "categorical": ["wind"]},
        "task": {"horizon": 2, "lags": 6},
        "periods": {"train_months": 3, "valid_months": 1, "test_months": 0, "count": 2,
                    "month": "2026-11"},
        "architecture": "mlp",
        "hyperparameters": {
            "hidden_size": {"role": "scientific", "feasible_points": [8, 16]},
            "learning_rate": {"role": "nuisance", "feasible_points": [1.0e-3, 1.0e-2]},
            "epochs": 3,
            "batch_size": 64,
        },
        "search": {"algorithm": "grid"},
        "seeds": 2,
    }
    return merge(study, overrides)


def merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def write_study(workdir: Path, name: str, study: dict) -> Path:
    path = workdir / "params" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(study, sort_keys=False))
    return path


@pytest.fixture(name="synth_dir")
def synth_dir_fixture(tmp_path: Path) -> Path:
    """A working directory with the synthetic dataset at data/synth.csv (6 months, hourly)."""
    (tmp_path / "data").mkdir()
    synthetic_frame().to_csv(tmp_path / "data" / "synth.csv", index=False)
    return tmp_path
