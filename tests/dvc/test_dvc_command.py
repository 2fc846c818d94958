"""`dvc repro` of a study trained by a command of the user's (trainer.command): the same stages
build it, a second repro runs nothing, and the report stage exports the command's model files."""

import shutil
from pathlib import Path

import pytest
from dvc_project import STUDY, dvc, make_project, read_json, tiny_study

pytestmark = pytest.mark.e2e

TRAINER = Path(__file__).resolve().parents[1] / "train" / "numpy_trainer.py"


def command_study() -> dict:
    study = tiny_study()
    del study["architecture"]
    study["trainer"] = {"command": "python trainer.py", "resume": False}
    study["hyperparameters"] = {"learning_rate": {"role": "scientific", "feasible_points": [3.0e-3, 1.0e-2]},
                                "epochs": 2, "batch_size": 64}
    study["baseline"] = {"learning_rate": 1.0e-2}
    return study


def test_dvc_repro_builds_a_command_study_and_a_second_repro_runs_nothing(tmp_path):
    if shutil.which("dvc") is None:
        pytest.skip("dvc is not installed (pip install -e .[dvc])")
    project = make_project(tmp_path / "project", tmp_path / "remote", command_study(),
                           {"trainer.py": TRAINER})
    first = dvc(project, "repro")
    assert "Running stage 'study'" in first.stdout + first.stderr
    summary = read_json(project / "results" / STUDY / "summary.json")
    assert read_json(project / "reports" / STUDY / "summary.json") == summary
    manifest = read_json(project / "models" / STUDY / "manifest.json")
    assert manifest["models"] and all((project / "models" / STUDY / f).stat().st_size > 0
                                      for m in manifest["models"] for f in m["files"])
    assert (project / "results" / STUDY / "trainer_check.md").is_file()
    again = dvc(project, "repro")
    assert "Stage 'study' didn't change, skipping" in again.stdout + again.stderr
