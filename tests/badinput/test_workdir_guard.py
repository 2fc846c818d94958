"""Telling a live Snakemake from a stale lock (the live case runs for real in test_recovery.py)."""

import subprocess
import sys
import time

import pytest
from tunelab.workdir_guard import _is_snakemake, check, is_dry_run, snakemake_processes


@pytest.mark.parametrize(("argv", "dry"), [
    (["snakemake", "-n"], True), (["snakemake", "--dry-run"], True), (["snakemake", "-pn"], True),
    (["snakemake", "--cores", "2"], False), (["snakemake", "--unlock"], False),
    (["snakemake", "--config", "study=n"], False),
])
def test_dry_run_flags(argv, dry):
    assert is_dry_run(argv) is dry


@pytest.mark.parametrize(("argv", "ours"), [
    ([b"/usr/bin/python", b"/usr/local/bin/snakemake", b"--cores", b"2"], True),
    ([b"python", b"-m", b"snakemake", b"-n"], True),
    ([b"snakemake"], True),
    ([b"python", b"/w/.snakemake/scripts/tmpab12.plan.py"], False),  # a job of a Snakemake
    ([b"python", b"-m", b"tunelab.train.loop", b"--spec", b"{}"], False),
])
def test_what_counts_as_a_snakemake_process(argv, ours):
    assert _is_snakemake(argv) is ours


def test_another_directory_is_not_ours_and_a_stale_lock_is_named(tmp_path, monkeypatch):
    other = tmp_path / "other"
    other.mkdir()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "snakemake"], cwd=other)
    try:
        time.sleep(0.3)
        assert snakemake_processes(tmp_path) == []  # not a Snakemake, and not in this directory
        monkeypatch.chdir(tmp_path)
        assert check(["snakemake", "--cores", "1"]) == (None, None)
        (tmp_path / ".snakemake" / "locks").mkdir(parents=True)
        (tmp_path / ".snakemake" / "locks" / "0.input.lock").write_text("x\n")
        refusal, note = check(["snakemake", "--cores", "1"])
        assert refusal is None and "`snakemake --unlock` is safe now" in note
        assert check(["snakemake", "--unlock"]) == (None, None)
    finally:
        sleeper.kill()
