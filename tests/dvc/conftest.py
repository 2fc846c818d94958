"""Fixtures of the DVC tests: one tiny project built by `dvc repro` and pushed, shared by the tests
(they work on fresh clones of it when they change anything). Helpers are in dvc_project.py."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dvc_project import clone, dvc, git, make_project, run


@pytest.fixture(scope="session")
def remote(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("dvc-remote")


@pytest.fixture(scope="session")
def built(tmp_path_factory, remote) -> tuple[Path, subprocess.CompletedProcess]:
    """The tiny project after one `dvc repro` (committed and pushed): shared by the tests."""
    if shutil.which("dvc") is None:
        pytest.skip("dvc is not installed (pip install -e .[dvc])")
    project = make_project(tmp_path_factory.mktemp("dvc") / "project", remote)
    first = dvc(project, "repro")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "dvc repro")
    dvc(project, "push", "-q")
    return project, first


@pytest.fixture
def cloned(built, remote, tmp_path) -> Path:
    """A fresh clone of the built project, after `dvc pull`."""
    project, _ = built
    copy = clone(project, tmp_path / "clone", remote)
    dvc(copy, "pull", "-q")
    return copy


@pytest.fixture
def pulled(cloned) -> Path:
    """A fresh clone after `dvc pull` and `python -m tunelab.dvc touch` (Snakemake's mtimes in order)."""
    run(cloned, sys.executable, "-m", "tunelab.dvc", "touch")
    return cloned
