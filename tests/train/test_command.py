"""A training command (trainer.command) run for one job: the files it writes, the curves it
reports, its rungs resumed from its own state, and each way it can fail, named."""

import json
import shutil
import sys
from pathlib import Path

import pytest
from test_train import WINDOWS
from tunelab.train.command import TrainerFailed, command_job

TRAINER = Path(__file__).with_name("numpy_trainer.py")


def spec(seeds=(0, 1), broken="", resume=False, stop_epoch=None, **hps):
    job = {"study": "t", "period": "v2020-03", "trial": "t0000abcd", "group": "", "architecture": "command",
           "hyperparameters": {"learning_rate": 0.01, "epochs": 6, "batch_size": 64, **hps},
           "seeds": list(seeds), "task": {"lags": 6, "horizon": 2}, "windows": WINDOWS, "device": "cpu",
           "trainer": {"command": f"{sys.executable} {TRAINER} {broken}".strip(), "resume": resume},
           "objective": "valid_mse"}
    return {**job, **({"stop_epoch": stop_epoch} if stop_epoch else {})}


def run(prepared, out, **kw):
    resume = kw.pop("resume_from", None)
    command_job(spec(**kw), prepared, out, resume=resume and str(resume))
    return json.loads((out / "metrics.json").read_text())


def numbers(out):
    runs = [{k: v for k, v in r.items() if k != "train_time"}
            for r in json.loads((out / "metrics.json").read_text())["runs"]]
    curve = [line.rsplit(",", 1)[0] for line in (out / "curves.csv").read_text().splitlines()]
    return runs, curve, json.loads((out / "test.json").read_text())["runs"]


def test_a_command_job_writes_every_file_a_training_job_writes(prepared, tmp_path):
    metrics = run(prepared, tmp_path / "b")
    assert [r["seed"] for r in metrics["runs"]] == [0, 1]
    assert all(r["status"] == "ok" and r["best_epoch"] >= 1 for r in metrics["runs"])
    assert metrics["runs"][0]["valid_mse"] != metrics["runs"][1]["valid_mse"]  # seeds differ
    assert metrics["runs"][0]["valid_mse"] < 1.0  # scaled by the train window's variance: beats the mean
    assert metrics["runs"][0]["train_examples"] > 0  # from read.json
    curve = (tmp_path / "b" / "curves.csv").read_text().splitlines()
    assert curve[0].startswith("seed,epoch,train_loss") and len(curve) == 1 + 2 * 6
    assert {"trainer", "windows", "hyperparameters"} <= set(json.loads((tmp_path / "b" / "test.json").read_text()))
    assert (tmp_path / "b" / "models.pt").stat().st_size > 0
    assert not (tmp_path / "b" / ".command").exists()  # the scratch folder is gone once it succeeded


def test_the_same_job_twice_gives_the_same_numbers(prepared, tmp_path):
    run(prepared, tmp_path / "a")
    run(prepared, tmp_path / "b")
    assert numbers(tmp_path / "a") == numbers(tmp_path / "b")


def test_rungs_resume_from_the_commands_state_and_equal_straight_training(prepared, tmp_path):
    run(prepared, tmp_path / "straight", resume=True, stop_epoch=6)
    previous = None
    for epochs in (2, 4, 6):
        run(prepared, tmp_path / f"e{epochs}", resume=True, stop_epoch=epochs,
            resume_from=previous and previous / "state.pt")
        previous = tmp_path / f"e{epochs}"
    assert numbers(previous) == numbers(tmp_path / "straight")  # the curve across rungs, too
    assert len((previous / "curves.csv").read_text().splitlines()) == 1 + 2 * 6


def test_a_resume_that_is_not_exact_shows_in_the_numbers(prepared, tmp_path):
    run(prepared, tmp_path / "straight", resume=True, stop_epoch=6, broken="inexact-resume")
    run(prepared, tmp_path / "e3", resume=True, stop_epoch=3, broken="inexact-resume")
    run(prepared, tmp_path / "e6", resume=True, stop_epoch=6, broken="inexact-resume",
        resume_from=tmp_path / "e3" / "state.pt")
    assert numbers(tmp_path / "e6") != numbers(tmp_path / "straight")


def test_a_diverged_run_is_infeasible_and_the_job_succeeds(prepared, tmp_path):
    metrics = run(prepared, tmp_path / "b", broken="diverge")
    assert {r["status"] for r in metrics["runs"]} == {"infeasible"}
    assert metrics["runs"][0]["reason"] == "the loss diverged"


def test_a_command_that_fails_shows_its_last_lines_and_writes_nothing_complete(prepared, tmp_path):
    with pytest.raises(TrainerFailed, match=r"exited with status 3(.|\n)*out of cheese"):
        run(prepared, tmp_path / "b", broken="fail")
    assert not (tmp_path / "b" / "metrics.json").exists()


def test_malformed_results_name_the_file_and_the_field(prepared, tmp_path):
    with pytest.raises(TrainerFailed, match=r"seed-0\.json: field valid_mse: 'n/a' is not a number"):
        run(prepared, tmp_path / "b", broken="malformed")
    assert not (tmp_path / "b" / "metrics.json").exists()


def test_missing_results_name_the_file(prepared, tmp_path):
    job = spec()
    job["trainer"]["command"] = f"{sys.executable} -c pass"
    with pytest.raises(TrainerFailed, match=r"seed-0\.json: missing"):
        command_job(job, prepared, tmp_path / "b")


def test_resume_true_with_no_state_saved_fails_the_rung(prepared, tmp_path):
    with pytest.raises(TrainerFailed, match=r"trainer.resume is true, but the command wrote nothing under"):
        run(prepared, tmp_path / "b", resume=True, stop_epoch=2, broken="no-state")


def test_a_program_that_does_not_exist_fails_with_the_shells_message(prepared, tmp_path):
    job = spec()
    job["trainer"]["command"] = "no-such-trainer --fast"
    with pytest.raises(TrainerFailed, match=r"exited with status 127(.|\n)*not found"):
        command_job(job, prepared, tmp_path / "b")
    shutil.rmtree(tmp_path / "b")
