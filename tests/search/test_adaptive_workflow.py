"""A tiny two-round adaptive study through the real Snakemake: rounds as checkpoints, a no-op
rerun, and a run killed mid-round that resumes to the same runs as an uninterrupted one."""

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from conftest import SNAKEFILE, adaptive_tiny, job_counts, snakemake, study_dir

pytestmark = pytest.mark.e2e

TARGETS = ["results/tiny/plan.csv", "results/tiny/runs.csv", "results/tiny/trials.csv"]
VIEWS = ["results/tiny/optuna.journal", "results/tiny/plots/convergence.png",
         "results/tiny/plots/axis.learning_rate.png"]


def make_workdir(tmp_path_factory, name):
    return study_dir(tmp_path_factory.mktemp(name), adaptive_tiny())


def round1_trained(workdir, round1) -> int:
    """How many of round 1's trials have finished training (0 while round 1 is not suggested)."""
    if not round1.exists():
        return 0
    trials = pd.read_csv(round1)["trial"]
    return sum(any((workdir / "results/tiny/runs").glob(f"*/{t}/*/metrics.json")) for t in trials)


def read_runs(workdir):
    return pd.read_csv(workdir / "results/tiny/runs.csv").drop(columns=["train_time"])


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    workdir = make_workdir(tmp_path_factory, "adaptive")
    return workdir, snakemake(workdir, *TARGETS, *VIEWS)


def test_rounds_are_suggested_trained_and_collected(finished):
    workdir, proc = finished
    counts = job_counts(proc.stdout + proc.stderr)
    # both rounds' suggest jobs are planned from the start (each reads the collected parts of the
    # rounds before it, static paths); a round's trials' jobs join after its checkpoint
    assert counts["suggest"] == 2 and counts["collect_round"] == 2 and counts["collect_exploration"] == 1
    rounds = [pd.read_csv(workdir / f"results/tiny/rounds/all/round{k}.csv") for k in (1, 2)]
    assert [len(r) for r in rounds] == [2, 2] and set(rounds[1]["round"]) == {2}
    runs = read_runs(workdir)
    plan = pd.read_csv(workdir / "results/tiny/plan.csv")
    assert set(plan["phase"]) == {"exploration"} and set(plan["round"]) == {0}
    assert len(runs) == (3 + 2 + 2) * 2  # (exploration + two rounds) x two seeds, one period
    by_trial = runs.drop_duplicates("trial").set_index("trial")
    for k, r in enumerate(rounds, start=1):
        assert (by_trial.loc[r["trial"], "phase"] == "adaptive").all()
        assert (by_trial.loc[r["trial"], "round"] == k).all()
    trials = pd.read_csv(workdir / "results/tiny/trials.csv")
    assert {"phase", "round"} <= set(trials.columns)
    assert (trials[trials["phase"] == "exploration"]["trial"].isin(plan["trial"])).all()


def test_a_second_run_on_a_finished_adaptive_study_runs_nothing(finished):
    workdir, _ = finished
    proc = snakemake(workdir, *TARGETS)
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_sigkill_mid_round_then_rerun_resumes_without_re_suggesting(finished, tmp_path_factory):
    clean, _ = finished
    workdir = make_workdir(tmp_path_factory, "killed")
    cmd = [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "-d", str(workdir), "--cores", "1",
           *TARGETS, "--config", "study=tiny"]
    proc = subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    round1 = workdir / "results/tiny/rounds/all/round1.csv"
    deadline = time.time() + 400
    while time.time() < deadline and not round1_trained(workdir, round1):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # Snakemake and the job it runs: round 1 is half trained
    proc.wait()
    assert round1_trained(workdir, round1) == 1, "the kill must land mid-round"
    assert not (workdir / "results/tiny/rounds/all/round2.csv").exists()
    suggested = round1.stat().st_mtime_ns
    snakemake(workdir, "--unlock", *TARGETS)
    resumed = snakemake(workdir, *TARGETS)
    assert round1.stat().st_mtime_ns == suggested  # round 1 is not suggested again
    assert job_counts(resumed.stdout + resumed.stderr).get("suggest", 0) <= 1  # only round 2
    for k in (1, 2):
        path = f"results/tiny/rounds/all/round{k}.csv"
        assert (workdir / path).read_bytes() == (clean / path).read_bytes()
    pd.testing.assert_frame_equal(read_runs(workdir), read_runs(clean))


def test_the_journal_opens_in_optuna_with_every_trial(finished):
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    workdir, _ = finished
    trials = pd.read_csv(workdir / "results/tiny/trials.csv").query("period == 'all'").set_index("trial")
    storage = JournalStorage(JournalFileBackend(str(workdir / "results/tiny/optuna.journal")))
    study = optuna.load_study(study_name="tiny", storage=storage)
    assert len(study.trials) == len(trials) == 3 + 2 + 2
    for t in study.trials:
        row = trials.loc[t.user_attrs["trial"]]
        assert t.value == pytest.approx(row["objective_mean"], rel=1e-5)
        assert t.params["learning_rate"] == row["learning_rate"]
        assert (t.user_attrs["phase"], t.user_attrs["round"]) == (row["phase"], row["round"])
        assert t.user_attrs["retrain_std"] == pytest.approx(row["objective_std"], rel=1e-5)
        assert "period_std" in t.user_attrs and t.system_attrs["constraints"] == [0.0]
    assert [t.user_attrs["round"] for t in study.trials] == [0, 0, 0, 1, 1, 2, 2]


def test_a_deleted_run_of_a_round_is_a_target_again_and_retrains_alone(finished):
    import json
    import shutil

    workdir, _ = finished
    rounds = {k: (workdir / f"results/tiny/rounds/all/round{k}.csv").read_bytes() for k in (1, 2)}
    trial = pd.read_csv(workdir / "results/tiny/rounds/all/round1.csv")["trial"][0]
    (block,) = (workdir / "results/tiny/runs").glob(f"*/{trial}/*")
    before = json.loads((block / "metrics.json").read_text())
    snakemake(workdir, "results/tiny/candidates.json")  # `all` lists the runs once candidates are chosen
    shutil.rmtree(block)
    target = str((block / "metrics.json").relative_to(workdir))
    dry = snakemake(workdir, "-n").stdout  # `all`: every run a target, the rounds' too
    assert target in dry and "rule suggest" not in dry
    snakemake(workdir, target)
    after = json.loads((block / "metrics.json").read_text())
    assert [r["valid_mse"] for r in after["runs"]] == [r["valid_mse"] for r in before["runs"]]
    rerun = snakemake(workdir, *TARGETS)  # round 2 learns from the new file: the same trials again
    assert "train" not in job_counts(rerun.stdout + rerun.stderr)
    for k in (1, 2):
        assert (workdir / f"results/tiny/rounds/all/round{k}.csv").read_bytes() == rounds[k]


def test_status_counts_the_adaptive_rounds_and_ranks_their_trials(finished):
    """`tunelab status` counts every run the study will train, rounds included, and its board names
    the adaptive trials as such (before, it showed the exploration's runs alone)."""
    workdir, _ = finished
    out = subprocess.run([sys.executable, "-m", "tunelab.cli", "status", "tiny"], cwd=workdir,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    runs = read_runs(workdir)
    assert f"study tiny: {len(runs)} of {len(runs)} runs finished" in out.stdout  # 3 + 2 x 2 trials, 2 seeds
    assert "adaptive" in out.stdout and "exploration" in out.stdout
    best = runs.groupby("trial")["valid_mse"].mean().idxmin()
    board = [line for line in out.stdout.splitlines() if line.lstrip().startswith("1 ")]
    assert board and best in board[0]
