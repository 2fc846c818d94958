"""Hand-made data for the sanity tests: series whose right answers are known, and tiny studies.

The synthetic frame, `merge` and `write_study` are tests/conftest.py's own."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import merge, synthetic_frame, tiny_study, write_study  # noqa: F401 (re-exported)
from tunelab.data.windows import Prepared


def prepared_series(target: np.ndarray, start: str = "2021-01-01", features: dict | None = None) -> Prepared:
    """An hourly Prepared dataset (no gaps) with `target` as its only input besides `features`."""
    n = len(target)
    times = pd.date_range(start, periods=n, freq="h").to_numpy().astype("datetime64[ns]")
    cols = [np.asarray(target, dtype=float)] + [np.asarray(v, dtype=float) for v in (features or {}).values()]
    return Prepared(times=times, segment=np.zeros(n, dtype=np.int64), inputs=np.column_stack(cols),
                    target=np.asarray(target, dtype=float), input_names=["y", *(features or {})])


def windows(train: tuple[str, str], valid: tuple[str, str], test: tuple[str, str] | None = None) -> dict:
    return {"train": train, "valid": valid, "test": test}


def study_dict(**overrides) -> dict:
    """tests/conftest.py's tiny study with 4 trials (two learning rates), 3 training months, no test
    window: 2 periods x 4 trials, 2 seeds, 3 epochs."""
    study = tiny_study(periods={"train_months": 3, "test_months": 0}, search={"algorithm": "grid"})
    study["hyperparameters"]["learning_rate"] = {"role": "nuisance", "feasible_points": [1.0e-3, 1.0e-2]}
    return merge(study, overrides)


@pytest.fixture(name="synth_dir")
def synth_dir_fixture(tmp_path: Path) -> Path:
    """A working directory with the synthetic dataset at data/synth.csv (6 months, hourly)."""
    (tmp_path / "data").mkdir()
    synthetic_frame(months=6).to_csv(tmp_path / "data" / "synth.csv", index=False)
    return tmp_path
