"""Benchmark (b): orchestration overhead of Snakemake against an in-process loop, as a ratio.

    python benchmarks/overhead.py                  # the default study, 2 cores
    python benchmarks/overhead.py --study params/default.yaml --cores 2

Both sides do the same work from the same raw data: prepare the dataset, train every run of the
study's plan (same specs, same seeds, one torch thread per job) and write runs.csv and trials.csv.
- snakemake: `snakemake --cores N results/<study>/runs.csv results/<study>/trials.csv` in a
  fresh directory (one process per training job: Python + torch start-up each time);
- in-process: one Python program with a pool of N worker processes, each importing torch once
  and calling `tunelab.train.loop.train_job` for its share of the jobs.
The ratio is snakemake wall time / in-process wall time, measured in one run of this script.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import time
from pathlib import Path

from _common import REPO, cleanup, machine, scratch, snakemake


def _train(args):
    spec, data, out = args
    from tunelab.train.loop import train_job

    train_job(spec, data, out, threads=1)


def in_process(workdir: Path, study: str, cores: int) -> float:
    """Prepare, train every job with a pool of `cores` workers, collect and summarise."""
    start = time.perf_counter()
    os.chdir(workdir)
    from tunelab.collect import collect_file, summarise_file
    from tunelab.data.dataset import prepare_file
    from tunelab.workflow import load_studies, metrics_files, spec_json

    sp = load_studies({"study": study})[Path(study).stem]
    data = f"data/prepared/{sp.dataset['name']}.parquet"
    prepare_file(sp.dataset, data)
    jobs = [(json.loads(spec_json(sp, p, t, b)), data, f"inproc/{sp.study.name}/{p}/{t}/{b}")
            for p, t, b in sp.plan.jobs()]
    with mp.get_context("spawn").Pool(cores) as pool:
        list(pool.imap_unordered(_train, jobs, chunksize=1))
    paths = [f"inproc/{sp.study.name}/{p}/{t}/{b}/metrics.json" for p, t, b in sp.plan.jobs()]
    collect_file(paths, "inproc/runs.csv")
    summarise_file("inproc/runs.csv", "inproc/trials.csv", sp.study.objective)
    assert len(paths) == len(metrics_files(sp))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--study", default="params/default.yaml")
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    name = Path(args.study).stem
    root = scratch("overhead")
    try:
        shutil.copy(REPO / args.study, root / "params" / f"{name}.yaml")
        targets = [f"results/{name}/runs.csv", f"results/{name}/trials.csv"]
        smk_wall, _ = snakemake(root, "--cores", str(args.cores), *targets, "--config", f"study={name}")
        loop_wall = in_process(root, f"params/{name}.yaml", args.cores)
        runs = sum(1 for _ in open(root / "inproc/runs.csv")) - 1
        print(f"machine: {machine()}")
        print(f"study {name}: {runs} runs, --cores {args.cores}")
        print(f"snakemake:  {smk_wall:7.1f} s")
        print(f"in-process: {loop_wall:7.1f} s")
        print(f"ratio:      {smk_wall / loop_wall:7.3f}")
    finally:
        os.chdir(REPO)
        cleanup(root)


if __name__ == "__main__":
    main()
