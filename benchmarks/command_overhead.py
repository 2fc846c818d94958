"""Benchmark: the per-job overhead of a training command (trainer.command) against a job of
tunelab's own loop, in one run.

    python benchmarks/command_overhead.py [--repeats 5]

Each side is the process a train rule starts, on the default study's data (prepared once) and the
spec of its baseline trial on its latest period, two seeds:
- command: `python -m tunelab.train.command` running a Python script that trains nothing (it reads
  the job with tunelab.train.job and reports fixed metrics): the price of the contract itself;
- bare: that script alone, run by hand with the same environment (Python's start-up, no tunelab);
- loop: `python -m tunelab.train.loop` with the same trial as a linear model and one epoch: the
  smallest job tunelab's loop runs (torch's import is most of it).
Medians of `--repeats` runs each; compare the rows of one run, not runs of different days.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import REPO, cleanup, machine, scratch

NOOP = """
from tunelab.train.job import Job

job = Job.from_env()
for seed in job.seeds:
    job.report_epoch(seed, 1, train_loss=1.0, valid_mse=1.0)
    job.finish(seed, best_epoch=1, valid_mse=1.0, valid_mae=1.0, test_mse=1.0, test_mae=1.0)
"""


def specs(root: Path) -> tuple[dict, dict, str]:
    """The loop's and the command's spec of one job, and the prepared data."""
    import shutil

    shutil.copy(REPO / "params/default.yaml", root / "params/default.yaml")
    os.chdir(root)
    from tunelab.data.dataset import prepare_file
    from tunelab.workflow import load_studies, spec_json

    sp = load_studies({"study": "default", "month": "2026-11"})["default"]
    data = str(root / "data/prepared/beijing_pm25.parquet")
    prepare_file(sp.dataset, data)
    trial = sp.plan.baseline or sp.plan.trials[0].id
    loop = json.loads(spec_json(sp, sp.plan.periods[-1].id, trial, "s0-1"))
    loop = {**loop, "architecture": "linear",
            "hyperparameters": {"learning_rate": 1e-3, "epochs": 1, "batch_size": 256}}
    (root / "noop.py").write_text(NOOP)
    command = {**loop, "architecture": "command", "objective": "valid_mse",
               "trainer": {"command": f"{sys.executable} noop.py", "resume": False}}
    return loop, command, data


def timed(cmd: list[str], cwd: Path, env: dict | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def job(module: str, spec: dict, data: str, out: Path) -> list[str]:
    return [sys.executable, "-m", module, "--spec", json.dumps(spec), "--data", data,
            "--metrics", str(out / "metrics.json"), "--threads", "1"]


def bare_env(root: Path, spec: dict, data: str) -> dict:
    """What tunelab.train.command gives the script, written by hand."""
    folder = root / "bare"
    (folder / "output").mkdir(parents=True, exist_ok=True)
    (folder / "spec.json").write_text(json.dumps({**spec, "data": data}))
    return {**os.environ, "TUNELAB_SPEC": str(folder / "spec.json"), "TUNELAB_OUTPUT": str(folder / "output")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    root = scratch("command")
    try:
        loop, command, data = specs(root)
        env = bare_env(root, command, data)
        rows = {"command": [], "bare": [], "loop": []}
        for i in range(args.repeats):  # interleaved: the machine's load hits every side alike
            rows["command"].append(timed(job("tunelab.train.command", command, data, root / f"c{i}"), root))
            rows["bare"].append(timed([sys.executable, "noop.py"], root, env))
            rows["loop"].append(timed(job("tunelab.train.loop", loop, data, root / f"l{i}"), root))
        med = {k: statistics.median(v) for k, v in rows.items()}
        print(f"machine: {machine()}")
        print(f"per job, median of {args.repeats} (two seeds each):")
        print(f"  command job (a script that trains nothing): {med['command']:6.3f} s")
        print(f"  the script alone, by hand:                  {med['bare']:6.3f} s")
        print(f"  tunelab.train.loop, linear, one epoch:      {med['loop']:6.3f} s")
        print(f"command job / loop job: {med['command'] / med['loop']:.2f}; the contract's own cost "
              f"(command - bare): {med['command'] - med['bare']:.3f} s")
    finally:
        os.chdir(REPO)
        cleanup(root)


if __name__ == "__main__":
    main()
