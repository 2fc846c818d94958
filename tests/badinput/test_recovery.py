"""The recovery steps of docs/how-to/recovery.md, on a real Snakemake run of a tiny study: deleted runs are retrained
and say so (status, Snakemake), `tunelab retrain` retrains exactly what it names, and a live
Snakemake is never unlocked under (a stale lock is named as safe to remove)."""

import os
import subprocess
import sys
import time

import pytest
from conftest import SNAKEFILE, job_counts, snakemake, study_dir, tiny_study, write_study

pytestmark = pytest.mark.e2e


def tunelab(workdir, *args):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "tunelab.cli", *args], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=900)


def nothing_to_do(workdir):
    proc = snakemake(workdir, "-n")
    return "Nothing to be done" in proc.stdout + proc.stderr


def metrics(workdir):
    return {p: p.stat().st_mtime_ns for p in sorted((workdir / "results/tiny/runs").rglob("metrics.json"))}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    workdir = study_dir(tmp_path_factory.mktemp("recovery"), tiny_study(confirm_seeds=0))
    snakemake(workdir)
    return workdir


def test_deleted_runs_are_named_by_status_and_snakemake_and_retrained(study):
    before = metrics(study)
    report = study / "results/tiny/report.md"
    report_time = report.stat().st_mtime_ns
    subprocess.run(["rm", "-rf", str(study / "results/tiny/runs")], check=True)

    status = tunelab(study, "status", "tiny")
    assert status.returncode == 0, status.stderr
    assert "0 of 8 runs finished" in status.stdout
    assert "WARNING: 4 of 4 planned training jobs have no files, but results/tiny/runs.csv exists" in status.stdout

    dry = snakemake(study, "-n")
    assert "tunelab: note: study 'tiny': 4 of 4 planned training jobs have no files" in dry.stderr
    assert job_counts(dry.stdout)["train"] == len(before)  # search and baseline: not "Nothing to be done"

    snakemake(study)
    assert set(metrics(study)) == set(before)
    assert report.stat().st_mtime_ns > report_time  # the report is rebuilt from the new runs
    status = tunelab(study, "status", "tiny")
    assert "8 of 8 runs finished" in status.stdout and "WARNING" not in status.stdout
    assert nothing_to_do(study)


def test_one_deleted_run_folder_retrains_its_job_only(study):
    before = metrics(study)
    victim = next(iter(before)).parent
    subprocess.run(["rm", "-rf", str(victim)], check=True)
    counts = job_counts(snakemake(study, "-n").stdout)
    assert counts["train"] == 1
    snakemake(study)
    after = metrics(study)
    assert set(after) == set(before)
    assert [p for p in before if after[p] != before[p]] == [victim / "metrics.json"]


def test_retrain_retrains_only_the_named_trial_and_period(study):
    before = metrics(study)
    period, trial = next(iter(before)).relative_to(study / "results/tiny/runs").parts[:2]
    dry = tunelab(study, "retrain", "tiny", "--trial", trial, "--period", period, "-n")
    assert dry.returncode == 0 and f"1 run folder(s) of study tiny: {period}/{trial}" in dry.stdout
    assert metrics(study) == before  # a dry run deletes nothing
    runs_csv = study / "results/tiny/runs.csv"
    collected = runs_csv.stat().st_mtime_ns
    proc = tunelab(study, "retrain", "tiny", "--trial", trial, "--period", period, "--",
                   "-s", str(SNAKEFILE), "--cores", "2")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    after = metrics(study)
    changed = [p for p in before if after[p] != before[p]]
    assert changed and all(p.parts[-4:-2] == (period, trial) for p in changed)
    assert runs_csv.stat().st_mtime_ns > collected


def test_retrain_names_what_it_does_not_know(study):
    proc = tunelab(study, "retrain", "tiny", "--trial", "tdeadbeef")
    assert proc.returncode == 1 and "--trial tdeadbeef: no runs of this trial" in proc.stderr
    proc = tunelab(study, "retrain", "tiny", "--period", "v1999-01")
    assert proc.returncode == 1 and "--period v1999-01: no such period" in proc.stderr


def test_a_live_snakemake_is_never_unlocked_under(study):
    """A long study runs in the directory; a second run and --unlock are refused while it lives
    (whatever study they name), a dry run is only told; once it is stopped, unlocking is allowed."""
    write_study(study, "slow", tiny_study(seeds=1, seeds_per_job=1, confirm_seeds=0,
                                          hyperparameters={"epochs": 2000, "patience": 0}))
    cmd = [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "--cores", "1", "--config", "study=slow"]
    first = subprocess.Popen(cmd, cwd=study, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        from tunelab.workdir_guard import snakemake_processes

        deadline = time.time() + 300
        while not (study / "results/slow/periods.csv").exists() and time.time() < deadline:
            time.sleep(0.5)  # the first run is past its parse and holds the lock
        assert [pid for pid, _ in snakemake_processes(study)] == [first.pid]
        unlock = snakemake(study, "--unlock", check=False)
        assert unlock.returncode == 1
        assert f"another Snakemake (pid {first.pid}" in unlock.stderr
        assert "Do not run `snakemake --unlock` while it lives" in unlock.stderr
        second = snakemake(study, check=False)
        assert second.returncode == 1 and "Wait for it to finish, or stop it" in second.stderr
        dry = snakemake(study, "-n", check=False)
        assert "this dry run shows a state that is changing" in dry.stderr
        assert first.poll() is None  # it was alive through every check above
    finally:
        first.terminate()
        first.wait(timeout=120)
    assert snakemake(study, "--unlock", check=False).returncode == 0  # nothing lives: allowed now
    assert nothing_to_do(study)  # the tiny study was never touched


def test_a_stale_lock_is_named_as_safe_to_unlock(study):
    locks = study / ".snakemake" / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    (locks / "0.output.lock").write_text(str(study / "results/tiny/runs.csv") + "\n")
    proc = snakemake(study, check=False)
    assert "`snakemake --unlock` is safe now" in proc.stderr
    snakemake(study, "--unlock")
    assert nothing_to_do(study)
