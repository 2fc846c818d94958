"""The tiny study on a real single-node SLURM cluster, through `--workflow-profile profiles/slurm`.

What it must show (issues 5 and 13): the SLURM run gives the same runs.csv (train_time aside) and
trials.csv as a local run of the same study, its training jobs go to SLURM as one job-array
submission whose tasks run side by side (their start and end times overlap), and a training job
cancelled mid-study (`scancel`) is resubmitted (retries) so that the study still finishes with
every run present and no output corrupt.

The cluster comes from `.ci/slurm-up` (root and Debian/Ubuntu: it installs slurm-wlm and munge if
needed). Where it cannot start, the module is skipped and says why; set TUNELAB_REQUIRE_SLURM=1
(CI) to make that a failure instead. Snakemake ignores SIGTERM while a SLURM job pends, so runs
are killed by process group on timeout, and every SLURM job submitted from a test's working
directory is cancelled afterwards.

Timing: the plugin notices a finished job 1, 12, 33, 64... s after its last reset (+10 s per
idle poll), so each sequential submission costs ~12-33 s: prepare_dataset, then one `train` array
(plan and collect are local rules). About 50 s per run here; a scancel adds one round.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, SNAKEFILE, adaptive_tiny, snakemake, study_dir, tiny_study

pytestmark = pytest.mark.e2e

PROFILE = REPO / "profiles" / "slurm"
TARGETS = ("results/tiny/runs.csv", "results/tiny/trials.csv")
RUN_TIMEOUT = 240  # seconds for one SLURM run of the tiny study (~50 s expected)
OUTPUTS = ("metrics.json", "curves.csv", "test.json", "models.pt")
SUBMITTED = re.compile(r"submitted with SLURM jobid (\d+) \(log: \S*/slurm_logs/([^/\s]+)/")
ARRAY = re.compile(r"Submitted array job with Snakemake IDs ([0-9,]+) and SLURM job ID (\d+)")
STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$", re.M)


def _slurm_answers() -> bool:
    try:
        out = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and any(s.strip() in ("idle", "mix", "alloc")
                                       for s in out.stdout.split())


def _unavailable(reason: str):
    if os.environ.get("TUNELAB_REQUIRE_SLURM") == "1":
        pytest.fail(f"SLURM is required (TUNELAB_REQUIRE_SLURM=1) but unavailable: {reason}")
    pytest.skip(f"no SLURM cluster: {reason}")


@pytest.fixture(scope="module")
def slurm() -> None:
    """A running single-node cluster: started (and installed if need be) by .ci/slurm-up."""
    if os.geteuid() != 0:
        if not _slurm_answers():
            _unavailable(".ci/slurm-up needs root to install and start SLURM, and no cluster answers "
                         "sinfo")
        return
    try:
        proc = subprocess.run(["bash", str(REPO / ".ci" / "slurm-up")], capture_output=True,
                              text=True, timeout=600)
    except subprocess.TimeoutExpired:
        _unavailable(".ci/slurm-up did not finish in 600 s")
    if proc.returncode != 0:
        _unavailable(f".ci/slurm-up failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    if not _slurm_answers():
        _unavailable("slurm-up succeeded but sinfo shows no usable node")


def make_workdir(path: Path) -> Path:
    return study_dir(path, tiny_study())  # 2 periods x 2 trials x 2 seeds (one block), 3 epochs


@pytest.fixture(scope="module")
def local(tmp_path_factory) -> Path:
    """The tiny study run locally (profiles/default): the reference."""
    workdir = make_workdir(tmp_path_factory.mktemp("local"))
    snakemake(workdir, *TARGETS)
    return workdir


def our_jobs(workdir: Path) -> list[dict]:
    """SLURM jobs (any state squeue still shows) submitted from `workdir`."""
    out = subprocess.run(["squeue", "-h", "--states=all", "-o", "%i|%T|%Z|%k"],
                         capture_output=True, text=True, timeout=30).stdout
    jobs = []
    for line in out.splitlines():
        jobid, state, wd, comment = (line.split("|") + ["", "", "", ""])[:4]
        if Path(wd).resolve() == workdir.resolve():
            jobs.append({"id": jobid, "state": state, "comment": comment})
    return jobs


def cancel_all(workdir: Path) -> None:
    ids = [j["id"] for j in our_jobs(workdir) if j["state"] in ("PENDING", "RUNNING", "CONFIGURING")]
    if ids:
        subprocess.run(["scancel", *ids], timeout=30)


class SlurmRun:
    """`snakemake --workflow-profile profiles/slurm` in its own process group, in the background."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.log = open(workdir / "snakemake.out", "w")
        cmd = [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "-d", str(workdir),
               "--workflow-profile", str(PROFILE), *TARGETS, "--config", "study=tiny"]
        self.proc = subprocess.Popen(cmd, cwd=workdir, stdout=self.log, stderr=subprocess.STDOUT,
                                     env={**os.environ, "PYTHONWARNINGS": "ignore"},
                                     start_new_session=True)

    def wait(self, timeout: float = RUN_TIMEOUT) -> str:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"SLURM run still going after {timeout} s:\n"
                                 f"{self.output()[-4000:]}") from None
        finally:
            self.log.close()
        return self.output()

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:  # it ignores SIGTERM while a job pends
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def output(self) -> str:
        return (self.workdir / "snakemake.out").read_text()


@pytest.fixture
def slurm_workdir(slurm, tmp_path):
    workdir = make_workdir(tmp_path / "slurm")
    yield workdir
    cancel_all(workdir)


def submissions(output: str) -> list[tuple[str, str]]:
    """(SLURM job id, log folder: rule_<rule>/... or group_<group>_<rules>) of every sbatch."""
    return SUBMITTED.findall(output)


def runs_without_time(workdir: Path) -> pd.DataFrame:
    runs = pd.read_csv(workdir / "results/tiny/runs.csv").drop(columns="train_time")
    return runs.sort_values(["period", "trial", "seed"]).reset_index(drop=True)


def assert_same_results(slurm_dir: Path, local_dir: Path) -> None:
    pd.testing.assert_frame_equal(runs_without_time(slurm_dir), runs_without_time(local_dir))
    pd.testing.assert_frame_equal(pd.read_csv(slurm_dir / "results/tiny/trials.csv"),
                                  pd.read_csv(local_dir / "results/tiny/trials.csv"))


def arrays(output: str) -> list[tuple[list[str], str]]:
    """(Snakemake job ids, SLURM job id) of every job-array submission."""
    return [(ids.split(","), jobid) for ids, jobid in ARRAY.findall(output)]


def task_spans(workdir: Path, array_id: str) -> list[tuple[float, float]]:
    """(start, end) of every task of a job array: the first and last timestamps Snakemake wrote
    in the task's SLURM log (the job's start, and its 'Finished' line)."""
    spans = []
    for log in sorted((workdir / ".snakemake" / "slurm_logs").glob(f"rule_*/{array_id}_*.log")):
        stamps = [time.mktime(time.strptime(s, "%a %b %d %H:%M:%S %Y"))
                  for s in STAMP.findall(log.read_text())]
        spans.append((stamps[0], stamps[-1]))
    return spans


def test_slurm_run_matches_local_run(slurm_workdir, local):
    output = SlurmRun(slurm_workdir).wait()
    # All 4 training jobs go in ONE array submission (slurm-array-jobs: train); prepare_dataset is
    # a cluster job of its own; plan and collect (runs.csv, trials.csv, curves) run locally.
    assert [len(ids) for ids, _ in arrays(output)] == [4], output[-4000:]
    assert {s[1] for s in submissions(output)} == {"rule_prepare_dataset"}, submissions(output)
    assert "localrule collect" in output  # runs.csv, trials.csv and curves.parquet, one local job
    assert len(runs_without_time(slurm_workdir)) == 8  # 2 periods x 2 trials x 2 seeds
    assert_same_results(slurm_workdir, local)

    # The array's tasks run side by side on the node's CPUs (one CPU each): at least two
    # overlap in time wherever the node has two CPUs.
    if _node_cpus() < 2:
        pytest.skip("the SLURM node has one CPU: its tasks cannot overlap")
    spans = task_spans(slurm_workdir, arrays(output)[0][1])
    assert len(spans) == 4, spans
    overlapping = [(a, b) for i, a in enumerate(spans) for b in spans[i + 1:]
                   if a[0] < b[1] and b[0] < a[1]]
    assert overlapping, spans


def _node_cpus() -> int:
    out = subprocess.run(["sinfo", "-h", "-o", "%c"], capture_output=True, text=True, timeout=20)
    return max((int(c) for c in out.stdout.split() if c.isdigit()), default=1)


def block_dirs(workdir: Path) -> list[Path]:
    return sorted(p.parent for p in (workdir / "results/tiny/runs").glob("*/*/*/metrics.json"))


def test_cancelled_training_submission_is_retried(slurm_workdir, local):
    import torch

    run = SlurmRun(slurm_workdir)
    try:
        cancelled = cancel_training_midway(slurm_workdir, run)
        output = run.wait()
    finally:
        run.kill()
    assert run.proc.returncode == 0, output[-4000:]
    states = {j["id"]: j["state"] for j in our_jobs(slurm_workdir)}
    assert states[cancelled] == "CANCELLED", states
    assert "Error in rule train" in output and "Trying to restart job" in output, output[-4000:]
    assert cancelled.split("_")[0] in [jobid for _, jobid in arrays(output)], output[-4000:]
    retried = [s for s in submissions(output) if s[1] == "rule_train"]  # the retry, on its own
    assert len(retried) >= 1, submissions(output)

    # Every run is present and every output of every block is whole.
    assert len(block_dirs(slurm_workdir)) == 4
    for block in block_dirs(slurm_workdir):
        assert sorted(p.name for p in block.iterdir() if not p.name.startswith(".")) == \
            sorted(OUTPUTS)
        metrics = json.loads((block / "metrics.json").read_text())
        assert [r["seed"] for r in metrics["runs"]] == [0, 1]
        assert all(r["status"] == "ok" for r in metrics["runs"])
        assert len(pd.read_csv(block / "curves.csv")) == 2 * 3  # 2 seeds x 3 epochs
        assert len(json.loads((block / "test.json").read_text())["runs"]) == 2
        checkpoint = torch.load(block / "models.pt", weights_only=True)
        assert sorted(checkpoint["states"]) == [0, 1]
    assert_same_results(slurm_workdir, local)


def cancel_training_midway(workdir: Path, run: SlurmRun, timeout: float = 150) -> str:
    """Wait until a training task of the array runs and one training job has finished (so the
    study has done part of its work), then scancel that task; return its id (<array>_<task>)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if run.proc.poll() is not None:
            raise AssertionError(f"the run ended before a training job could be cancelled:\n"
                                 f"{run.output()[-4000:]}")
        running = [j for j in our_jobs(workdir)
                   if j["state"] == "RUNNING" and "train" in j["comment"]]
        if running and block_dirs(workdir):
            jobid = running[0]["id"]
            subprocess.run(["scancel", jobid], check=True, timeout=30)
            return jobid
        time.sleep(0.2)
    raise AssertionError(f"no running training submission within {timeout} s:\n"
                         f"{run.output()[-4000:]}\n{our_jobs(workdir)}")



def test_adaptive_rounds_on_slurm_match_a_local_run(slurm, tmp_path):
    """The suggest checkpoints run as cluster jobs and give the same rounds and runs as locally."""
    dirs = {}
    for name in ("local", "slurm"):
        dirs[name] = study_dir(tmp_path / name, adaptive_tiny())
    snakemake(dirs["local"], *TARGETS)
    try:
        output = SlurmRun(dirs["slurm"]).wait(timeout=2 * RUN_TIMEOUT)
    finally:
        cancel_all(dirs["slurm"])
    assert "rule_suggest" in {s[1] for s in submissions(output)}, submissions(output)
    for k in (1, 2):
        round_file = f"results/tiny/rounds/all/round{k}.csv"
        assert (dirs["slurm"] / round_file).read_bytes() == (dirs["local"] / round_file).read_bytes()
    runs = runs_without_time(dirs["slurm"])
    assert set(runs["phase"]) == {"exploration", "adaptive"} and len(runs) == 2 * (3 + 2 + 2)
    assert_same_results(dirs["slurm"], dirs["local"])


def test_a_command_study_on_slurm_matches_a_local_run(slurm, tmp_path):
    """A study trained by a command of the user's (trainer.command) runs its training jobs on the
    cluster and gives the runs a local run gives."""
    import shutil

    trainer = REPO / "tests" / "train" / "numpy_trainer.py"
    study = tiny_study(trainer={"command": "python trainer.py", "resume": False},
                       baseline={"learning_rate": 0.01})
    del study["architecture"]
    study["hyperparameters"] = {"learning_rate": {"role": "scientific", "feasible_points": [0.003, 0.01]},
                                "epochs": 3, "batch_size": 64}
    dirs = {}
    for name in ("local", "slurm"):
        dirs[name] = study_dir(tmp_path / name, study)
        shutil.copy(trainer, dirs[name] / "trainer.py")
    snakemake(dirs["local"], *TARGETS)
    try:
        output = SlurmRun(dirs["slurm"]).wait()
    finally:
        cancel_all(dirs["slurm"])
    assert [len(ids) for ids, _ in arrays(output)] == [4], output[-4000:]
    assert_same_results(dirs["slurm"], dirs["local"])
