"""What parse time pays for the dataset: `snakemake -n` on the default study, and the dataset step
alone (profile from a cold cache, from a warm cache; and, for comparison, what every parse paid
before the profile: importing pandas and reading the whole file with it).

    python benchmarks/parse_time.py [--repeats 3]

Run from the repository root. The machine's load makes single figures noisy: compare the rows of
one run, not runs of different days.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def timed(cmd: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "TUNELAB_CACHE": cache}
        profile = [sys.executable, "-c", "import sys, time; from tunelab.study import load_study; "
                   "from tunelab.data.profile import dataset_profile; s = load_study('params/default.yaml'); "
                   "t = time.perf_counter(); dataset_profile(s.section('dataset')); "
                   "print(time.perf_counter() - t, 'pandas' in sys.modules)"]
        cold = subprocess.run(profile, env=env, check=True, capture_output=True, text=True).stdout.split()
        warm = subprocess.run(profile, env=env, check=True, capture_output=True, text=True).stdout.split()
        print(f"dataset profile, cold cache: {float(cold[0]):.3f} s (pandas imported: {cold[1]})")
        print(f"dataset profile, warm cache: {float(warm[0]):.3f} s (pandas imported: {warm[1]})")
        before = [sys.executable, "-c", "import time; t = time.perf_counter(); import pandas; "
                  "i = time.perf_counter(); from tunelab.study import load_study; "
                  "d = load_study('params/default.yaml').section('dataset'); r = time.perf_counter(); "
                  "pandas.read_csv(d['path']); print(i - t, time.perf_counter() - r)"]
        imported, read = map(float, subprocess.run(before, env=env, check=True, capture_output=True,
                                                   text=True).stdout.split())
        print(f"before the profile, every parse: import pandas {imported:.2f} s, read the dataset {read:.2f} s")
        dry = [sys.executable, "-m", "snakemake", "-n", "--quiet", "--config", "month=2026-11"]
        times = [timed(dry, env) for _ in range(args.repeats)]
        print(f"snakemake -n, default study, warm cache: median {statistics.median(times):.2f} s "
              f"of {args.repeats} ({', '.join(f'{t:.2f}' for t in times)})")


if __name__ == "__main__":
    main()
