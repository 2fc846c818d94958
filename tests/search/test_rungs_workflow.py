"""Rungs end to end through the real Snakemake: a tiny two-rung study, a no-op rerun, a changed
eta that trains nothing, and a SIGKILL between rungs that resumes to the same tables."""

import os
import re
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from conftest import SNAKEFILE, snakemake, study_dir, tiny_study, write_study

pytestmark = pytest.mark.e2e

TARGETS = [f"results/tiny/{name}.csv" for name in ("periods", "runs", "trials", "rungs")]


def rung_study(**fidelity):
    """4 trials, 1 period, 2 seeds; rungs of 2 and 4 epochs; the best half goes on."""
    return tiny_study(
        hyperparameters={"hidden_size": {"role": "nuisance", "feasible_points": [4, 16]},
                         "learning_rate": {"role": "nuisance", "feasible_points": [0.001, 0.01]},
                         "epochs": 4},
        search={"algorithm": "grid", "mode": "joint",
                "fidelity": {"min_epochs": 2, "eta": 2, **fidelity}},
        periods={"count": 1})


def new_workdir(factory, name):
    return study_dir(factory.mktemp(name), rung_study())


def ran(proc, rule):
    """Jobs of `rule` that a real run started (the first 'Job stats' table predates the checkpoints)."""
    return len(re.findall(rf"(?:rule|checkpoint) {rule}:", proc.stdout + proc.stderr))


def tables(workdir):
    runs = pd.read_csv(workdir / "results/tiny/runs.csv").drop(columns=["train_time"])
    rungs = pd.read_csv(workdir / "results/tiny/rungs.csv")
    return runs, rungs


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    workdir = new_workdir(tmp_path_factory, "rungs")
    proc = snakemake(workdir, *TARGETS)
    return workdir, proc


def test_rung_0_trains_every_trial_and_the_best_half_continues(finished):
    workdir, proc = finished
    assert ran(proc, "train_rung") == 4 + 2 and ran(proc, "promote") == 2
    runs, rungs = tables(workdir)
    first = rungs[rungs["rung"] == 0].sort_values("rank")
    assert len(first) == 4 and list(first["decision"]) == ["promoted", "promoted", "stopped", "stopped"]
    second = rungs[rungs["rung"] == 1]
    assert set(second["trial"]) == set(first["trial"][:2]) and set(second["decision"]) == {"final"}
    # runs.csv: each trial's runs at the last rung it reached, and how far that was
    reached = runs.groupby("trial")["rung_epochs"].first()
    assert reached.to_dict() == {t: 4 if t in set(second["trial"]) else 2 for t in first["trial"]}
    assert (runs.set_index("trial").loc[list(second["trial"]), "epochs_run"] <= 4).all()
    # the continued run resumed: its curve has every epoch from 1 to 4, once
    trial = second["trial"].iloc[0]
    curve = pd.read_csv(next((workdir / "results/tiny/rungs/e4").glob(f"*/{trial}/*/curves.csv")))
    assert sorted(curve["epoch"].unique()) == [1, 2, 3, 4] and len(curve) == 2 * 4


def test_status_counts_each_run_at_its_furthest_rung(finished):
    workdir, _ = finished
    out = subprocess.run([sys.executable, "-m", "tunelab.cli", "status", "tiny"], cwd=workdir,
                         capture_output=True, text=True, check=True).stdout
    assert "8 of 8 runs finished" in out


def test_rerun_of_a_finished_rung_study_runs_nothing(finished):
    workdir, _ = finished
    out = snakemake(workdir, *TARGETS, "-n")
    assert "Nothing to be done" in out.stdout + out.stderr


def test_sigkill_between_rungs_then_rerun_gives_the_same_tables(finished, tmp_path_factory):
    workdir = new_workdir(tmp_path_factory, "killed")
    cmd = [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "-d", str(workdir), "--cores", "1",
           *TARGETS, "--config", "study=tiny"]
    proc = subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    promoted = workdir / "results/tiny/rungs/b0/r0.json"
    deadline = time.time() + 400
    while time.time() < deadline and not promoted.exists():
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)  # Snakemake and whatever job it had started
    proc.wait()
    assert promoted.exists(), "rung 0 must have been promoted before the kill"
    assert not (workdir / "results/tiny/rungs.csv").exists(), "the kill must land before the end"
    snakemake(workdir, "--unlock", *TARGETS)
    resumed = snakemake(workdir, *TARGETS)
    assert ran(resumed, "train_rung") <= 2  # rung 1 only (rung 0 was promoted before the kill)
    clean_runs, clean_rungs = tables(finished[0])
    runs, rungs = tables(workdir)
    pd.testing.assert_frame_equal(runs, clean_runs)
    pd.testing.assert_frame_equal(rungs, clean_rungs)


# Last: it changes the finished study that the tests above compare with.
def test_changing_eta_reruns_promotions_and_trains_nothing_that_exists(finished):
    """eta 2 -> 4: the same rungs (2, 4 epochs), one trial goes on instead of two, and its
    4-epoch runs exist already."""
    workdir, _ = finished
    write_study(workdir, "tiny", rung_study(eta=4))
    out = snakemake(workdir, *TARGETS)
    assert ran(out, "train_rung") == 0 and ran(out, "promote") >= 1
    _, rungs = tables(workdir)
    assert len(rungs[rungs["rung"] == 1]) == 1
