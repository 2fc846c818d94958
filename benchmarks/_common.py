"""Helpers shared by the benchmarks: a scratch working directory beside the repository's data."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def scratch(name: str, root: Path | None = None) -> Path:
    """A fresh working directory (`root`, or a new temporary one) whose data/raw points at the
    repository's data."""
    root = root or Path(tempfile.mkdtemp(prefix=f"tunelab-bench-{name}-"))
    (root / "data").mkdir(parents=True)
    os.symlink(REPO / "data" / "raw", root / "data" / "raw")
    (root / "params").mkdir()
    return root


def snakemake(workdir: Path, *args: str) -> tuple[float, subprocess.CompletedProcess]:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(workdir), *args]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"snakemake failed:\n{proc.stderr[-4000:]}")
    return wall, proc


def machine() -> str:
    return f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}"


def cleanup(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)


# The embedded Beijing PM2.5 data as the benchmarks' studies name it (adaptive.py, adaptive_problems.py).
PM25_DATASET = {"name": "beijing_pm25", "path": "data/raw/beijing_pm25.csv.gz",
                "time": ["year", "month", "day", "hour"], "target": "pm2.5",
                "features": ["DEWP", "TEMP", "PRES", "Iws"], "categorical": ["cbwd"]}
