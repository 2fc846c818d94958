"""Real Snakemake runs of a study trained by a command of the user's (trainer.command): a numpy
trainer that reports curves and resumes its rungs from its own state. It trains and reports, reruns
nothing, editing the script retrains nothing, a changed hyperparameter retrains exactly its
trials, and a failing command fails its job with its last lines."""

import shutil
from pathlib import Path

import pytest
from conftest import job_counts, snakemake, tiny_study, write_study

pytestmark = pytest.mark.e2e

TRAINER = Path(__file__).resolve().parent.parent / "train" / "numpy_trainer.py"


def command_study(command="python trainer.py", **changes):
    study = tiny_study(trainer={"command": command, "resume": True}, baseline={"learning_rate": 0.01},
                       confirm_seeds=0)
    del study["architecture"]
    study["hyperparameters"] = {"learning_rate": {"role": "scientific", "feasible_points": [0.003, 0.01]},
                                "epochs": 4, "batch_size": 64, **changes}
    return study


@pytest.fixture
def command_dir(workdir):
    shutil.copy(TRAINER, workdir / "trainer.py")
    return workdir


def out(run):
    return run.stdout + run.stderr


def test_a_command_study_trains_reports_and_reruns_only_what_changed(command_dir):
    write_study(command_dir, "tiny", command_study())
    snakemake(command_dir)
    runs = (command_dir / "results/tiny/runs.csv").read_text().splitlines()
    assert len(runs) == 1 + 2 * 2 * 2 and all(",ok," in line for line in runs[1:])  # periods x trials x seeds
    assert "## Decision" in (command_dir / "results/tiny/report.md").read_text()
    assert "training command" in (command_dir / "results/tiny/sanity.md").read_text()
    assert "reports no gradient" in (command_dir / "results/tiny/dynamics.md").read_text()
    curves = next((command_dir / "results/tiny/runs").rglob("curves.csv")).read_text().splitlines()
    assert len(curves) == 1 + 2 * 4  # seeds x epochs, reported by the command
    assert "Nothing to be done" in out(snakemake(command_dir, "-n"))

    # As for tunelab's own code: editing the command's script does not silently retrain (docs: training-command.md).
    (command_dir / "trainer.py").write_text((command_dir / "trainer.py").read_text() + "\n# refactor\n")
    assert "Nothing to be done" in out(snakemake(command_dir, "-n"))

    write_study(command_dir, "tiny", command_study(epochs=5))  # a fixed value: every trial retrains
    assert job_counts(out(snakemake(command_dir, "-n"))).get("train") == 2 * 2  # periods x trials


def test_rungs_of_a_command_study_resume_from_its_state(command_dir):
    study = command_study(learning_rate={"role": "nuisance", "feasible_points": [0.001, 0.003, 0.01, 0.03]},
                          epochs=4)
    study["hyperparameters"]["hidden"] = {"role": "scientific", "feasible_points": [1, 2]}
    study["baseline"] = {"hidden": 1, "learning_rate": 0.01}
    study["search"] = {"algorithm": "grid", "budget": 8, "mode": "per_scientific",
                       "fidelity": {"min_epochs": 2, "eta": 2}}
    study["periods"]["count"] = 1
    write_study(command_dir, "tiny", study)
    run = snakemake(command_dir)
    assert "state.pt" in out(run)
    states = list((command_dir / "results/tiny").rglob("state.pt"))
    assert states, "the rungs saved no state"
    assert "Rungs" in (command_dir / "results/tiny/report.md").read_text()


def test_a_failing_command_fails_its_job_with_its_last_lines(command_dir):
    write_study(command_dir, "tiny", command_study(command="python trainer.py fail"))
    run = snakemake(command_dir, check=False)
    assert run.returncode != 0
    logs = "".join(p.read_text() for p in (command_dir / "logs/tiny").rglob("*.log"))
    assert "exited with status 3" in logs and "out of cheese" in logs
    assert not list((command_dir / "results/tiny/runs").rglob("metrics.json"))


def test_a_diverged_command_run_is_infeasible_and_the_study_goes_on(command_dir):
    write_study(command_dir, "tiny", command_study(command="python trainer.py diverge"))
    snakemake(command_dir)
    runs = (command_dir / "results/tiny/runs.csv").read_text()
    assert ",infeasible," in runs and ",ok," not in runs
    assert (command_dir / "results/tiny/report.md").is_file()


def test_a_dataset_given_as_a_span_is_read_by_the_command_alone(command_dir):
    """Data tunelab cannot read: the study gives its span, the command reads its own file; no
    prepared data, no simple baselines, and the report says the errors are the command's own."""
    from tunelab.data.dataset import prepare_file

    prepare_file({"name": "synth", "path": str(command_dir / "data/synth.csv"), "time": "timestamp",
                  "target": "load", "features": ["lead", "temp"], "categorical": ["wind"]},
                 command_dir / "own.parquet")
    (command_dir / "data/synth.csv").unlink()  # nothing left for tunelab to read
    study = command_study()
    study["dataset"] = {"name": "own", "span": ["2020-01-01", "2020-08-01"]}
    write_study(command_dir, "tiny", study)
    snakemake(command_dir)
    out = command_dir / "results/tiny"
    runs = (out / "runs.csv").read_text().splitlines()
    assert len(runs) == 1 + 2 * 2 * 2 and all(",ok," in line for line in runs[1:])
    assert not (command_dir / "data/prepared").exists() and not (out / "baselines.csv").exists()
    report = (out / "report.md").read_text()
    assert "in the target's own units (the dataset is a span" in report
    assert "| the same seed gives the same metrics | yes |" in (out / "trainer_check.md").read_text()
    assert (out / "report.html").is_file()
