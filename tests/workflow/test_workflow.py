"""End to end through the real Snakemake: tables, incremental re-runs, bad input, a killed run."""

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from conftest import SNAKEFILE, job_counts, snakemake, study_dir, tiny_study, write_study

pytestmark = pytest.mark.e2e

TABLES = [f"results/tiny/{name}.csv" for name in ("periods", "plan", "runs", "trials")]


def run_tiny(workdir, *args, **kwargs):
    return snakemake(workdir, *TABLES, *args, **kwargs)


def read_runs(workdir):
    return pd.read_csv(workdir / "results/tiny/runs.csv").drop(columns=["train_time"])


def block_files(workdir):
    return {p: p.stat().st_mtime_ns for p in (workdir / "results/tiny/runs").glob("*/*/*/metrics.json")}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """The tiny study run once to the end (shared by the read-only tests)."""
    workdir = study_dir(tmp_path_factory.mktemp("finished"), tiny_study())
    proc = run_tiny(workdir)
    return workdir, proc


def test_tables_describe_every_run(finished):
    workdir, _ = finished
    periods = pd.read_csv(workdir / "results/tiny/periods.csv")
    plan = pd.read_csv(workdir / "results/tiny/plan.csv")
    runs = pd.read_csv(workdir / "results/tiny/runs.csv")
    trials = pd.read_csv(workdir / "results/tiny/trials.csv")
    assert set(periods["month"]) == {"2026-11"} and len(periods) == 2
    searched = plan[plan["group"].notna()]  # a study's baseline, if any, has no group
    assert len(searched) == 2 and set(searched["hidden_size"]) == {8, 16}
    assert len(runs) == len(periods) * len(plan) * 2  # periods x trials x seeds
    assert set(runs["status"]) == {"ok"} and runs["valid_mse"].gt(0).all()
    assert {"learning_rate", "hidden_size", "optimizer", "beta2"} <= set(runs.columns)
    assert len(trials) == len(plan) * (2 + 1)  # per trial and period, plus one 'all' row per trial
    overall = trials[trials["period"] == "all"].set_index("trial")
    per_period = trials[trials["period"] != "all"].groupby("trial")["objective_mean"].mean()
    assert overall["objective_mean"].to_dict() == pytest.approx(per_period.to_dict(), rel=1e-5)  # %.6g
    for row in trials.itertuples():
        assert row.seeds == (4 if row.period == "all" else 2)
    logs = list((workdir / "logs/tiny/runs").glob("*/*/*.log"))
    assert len(logs) == len(plan) * 2 and "valid_mse=" in logs[0].read_text()


def test_second_run_on_a_finished_study_runs_nothing(finished):
    workdir, _ = finished
    proc = run_tiny(workdir)
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_status_command_shows_the_leaderboard(finished):
    workdir, _ = finished
    out = subprocess.run([sys.executable, "-m", "tunelab.cli", "status", "tiny"], cwd=workdir,
                         capture_output=True, text=True, check=True).stdout
    runs = len(pd.read_csv(workdir / "results/tiny/runs.csv"))
    assert f"{runs} of {runs} runs finished, 0 infeasible" in out
    assert "hidden_size=8" in out and "hidden_size=16" in out


def test_changing_one_trial_reruns_only_its_jobs(workdir):
    """With one job per trial (trials_per_job: 1) a changed trial retrains alone."""
    study = tiny_study(hyperparameters={"hidden_size": 8,
                                        "learning_rate": {"role": "nuisance", "feasible_points": [0.001, 0.01]}},
                       trials_per_job=1)
    write_study(workdir, "tiny", study)
    run_tiny(workdir)
    before = block_files(workdir)
    study["hyperparameters"]["learning_rate"]["feasible_points"] = [0.001, 0.02]
    write_study(workdir, "tiny", study)
    assert job_counts(run_tiny(workdir, "-n").stdout)["train"] == 2  # one trial x two periods
    run_tiny(workdir)
    after = block_files(workdir)
    assert all(after[p] == before[p] for p in before)  # nothing finished was retrained
    assert len([p for p in after if p not in before]) == 2  # the changed trial, on both periods
    assert 0.02 in set(read_runs(workdir)["learning_rate"]) and 0.01 not in set(read_runs(workdir)["learning_rate"])


def test_changing_one_trial_of_a_job_group_retrains_only_that_group(workdir):
    """By default (trials_per_job 4 for an mlp) trials of one shape share a job: changing one
    retrains its group on every period, and the unchanged trial of the group gets the same numbers
    again (its own job only links the group's new files)."""
    study = tiny_study(hyperparameters={"hidden_size": 8,
                                        "learning_rate": {"role": "nuisance", "feasible_points": [0.001, 0.01]}})
    write_study(workdir, "tiny", study)
    run_tiny(workdir)
    runs = read_runs(workdir)
    study["hyperparameters"]["learning_rate"]["feasible_points"] = [0.001, 0.02]
    write_study(workdir, "tiny", study)
    counts = job_counts(run_tiny(workdir, "-n").stdout)
    assert counts["train_group"] == 2 and counts["train"] == 4  # the group on 2 periods; its 2 trials
    run_tiny(workdir)
    after = read_runs(workdir)
    key = ["period", "trial", "seed"]
    merged = runs[runs["learning_rate"] == 0.001].merge(after, on=key, suffixes=("_before", "_after"))
    assert len(merged) == 4  # 2 periods x 2 seeds of the unchanged trial
    pd.testing.assert_series_equal(merged["valid_mse_before"], merged["valid_mse_after"], rtol=1e-5,
                                   check_names=False)
    assert 0.02 in set(after["learning_rate"]) and 0.01 not in set(after["learning_rate"])


def test_adding_a_seed_trains_only_the_new_seed(workdir):
    study = tiny_study()
    write_study(workdir, "tiny", study)
    run_tiny(workdir)
    before = block_files(workdir)
    write_study(workdir, "tiny", {**study, "seeds": 3})
    run_tiny(workdir)
    after = block_files(workdir)
    assert all(after[p] == before[p] for p in before)  # seeds 0-1 were not retrained
    new = [p for p in after if p not in before]
    assert new and {p.parent.name for p in new} == {"s2"} and len(new) == len(before)
    assert sorted(read_runs(workdir)["seed"].unique()) == [0, 1, 2]


def test_invalid_study_stops_before_any_job_and_writes_nothing(workdir):
    bad = tiny_study(search={"budget": 0})
    write_study(workdir, "tiny", bad)
    proc = run_tiny(workdir, check=False)
    assert proc.returncode != 0
    assert "search.budget: 0" in proc.stderr
    assert proc.stderr.count("tunelab: invalid study") == 1
    assert not (workdir / "results").exists() and not (workdir / "logs").exists()


def test_diverging_run_is_recorded_and_the_study_completes(workdir):
    study = tiny_study(hyperparameters={
        "hidden_size": 8, "optimizer": "sgd", "clip_norm": 0.0, "warmup_epochs": 0,
        "learning_rate": {"role": "nuisance", "feasible_points": [0.003, 1.0e6]}})
    write_study(workdir, "tiny", study)
    run_tiny(workdir)
    runs = pd.read_csv(workdir / "results/tiny/runs.csv")
    bad = runs[runs["learning_rate"] == 1.0e6]
    assert len(bad) == 2 * 2 and set(bad["status"]) == {"infeasible"} and bad["reason"].str.contains("became").all()
    assert set(runs.loc[runs["learning_rate"] == 0.003, "status"]) == {"ok"}
    trials = pd.read_csv(workdir / "results/tiny/trials.csv")
    overall = trials[trials["period"] == "all"].set_index("learning_rate")
    assert overall.loc[1.0e6, "feasible"] == 0 and pd.isna(overall.loc[1.0e6, "objective_mean"])


def test_sigkill_mid_study_then_rerun_matches_an_uninterrupted_run(workdir, tmp_path_factory):
    study = tiny_study(hyperparameters={"hidden_size": {"role": "scientific", "feasible_points": [8, 16, 32]},
                                        "epochs": 6},
                       periods={"count": 3})
    write_study(workdir, "tiny", study)
    planned = job_counts(run_tiny(workdir, "-n").stdout)["train"]
    cmd = [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "-d", str(workdir), "--cores", "1",
           *TABLES, "--config", "study=tiny"]
    proc = subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and len(block_files(workdir)) < 2:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole process group: Snakemake and its running job
    proc.wait()
    finished_before = len(block_files(workdir))
    assert 2 <= finished_before < planned, "the kill must land mid-study"
    assert not (workdir / "results/tiny/runs.csv").exists()
    snakemake(workdir, "--unlock", *TABLES)
    resumed = run_tiny(workdir)
    # only what had not finished is trained again (plus, at most, a job killed while renaming outputs)
    assert job_counts(resumed.stdout + resumed.stderr)["train"] <= planned - finished_before + 1

    clean = tmp_path_factory.mktemp("clean")
    (clean / "data").mkdir()
    (clean / "data/synth.csv").write_bytes((workdir / "data/synth.csv").read_bytes())
    write_study(clean, "tiny", study)
    run_tiny(clean)
    pd.testing.assert_frame_equal(read_runs(workdir), read_runs(clean))
    leftovers = [p for p in (workdir / "results").rglob("*") if p.name.startswith(".") and ".tmp" in p.name]
    assert all(not p.name.startswith("metrics.json") for p in leftovers)
