"""Fixtures of the analysis and report tests (loaded by tests/conftest.py for both folders, so the tiny
end-to-end study runs once per session); the hand-made tables themselves are built in analysis_data.py."""

from __future__ import annotations

import pytest
from analysis_data import context, tables, trial
from analysis_study import run_study


@pytest.fixture(scope="session")
def study_run(tmp_path_factory):
    """(workdir, the Snakemake run) of the tiny end-to-end study (analysis_study.py)."""
    return run_study(tmp_path_factory.mktemp("analysis"))


@pytest.fixture
def ctx() -> dict:
    return context()


@pytest.fixture
def search() -> list[dict]:
    """Two widths x five trials over learning_rate and weight_decay. Known answers: the best trial
    is t00000002 (width 64, learning rate 3e-3, weight decay in the middle); t00000004 (learning
    rate 0.09, at the top of its range) diverged on every run."""
    return [
        trial(0, 0.60, group="hidden_size=16", learning_rate=3.0e-4, weight_decay=1.0e-5, hidden_size=16),
        trial(1, 0.52, group="hidden_size=16", learning_rate=3.0e-3, weight_decay=1.0e-4, hidden_size=16),
        trial(2, 0.45, group="hidden_size=64", learning_rate=3.0e-3, weight_decay=1.0e-4, hidden_size=64),
        trial(3, 0.55, group="hidden_size=64", learning_rate=3.0e-4, weight_decay=1.0e-5, hidden_size=64),
        trial(4, 0.50, group="hidden_size=64", infeasible=True, learning_rate=9.0e-2,
              weight_decay=1.0e-3, hidden_size=64),
        trial(5, 0.58, group="hidden_size=16", learning_rate=1.0e-2, weight_decay=1.0e-3, hidden_size=16),
    ]


@pytest.fixture
def search_tables(search):
    """(runs, trials) of `search`: 2 periods x 3 seeds, retrain std 0.01 everywhere."""
    return tables(search)
