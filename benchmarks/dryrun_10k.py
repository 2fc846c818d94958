"""Benchmark (a): how long `snakemake -n` takes to plan a 10,000-run study.

    python benchmarks/dryrun_10k.py      # 5 periods x 667 trials x 3 seeds = 10,005 runs in 3,335 jobs
    python benchmarks/dryrun_10k.py --trials 2000 --seeds 1 --seeds-per-job 1   # 10,000 one-run jobs

By default a job trains the 3 seeds of a trial on a period (the design's job unit); the second
form makes every run its own job, the worst case for the DAG. The target is under 10 s on a
2-core machine. Reports the wall time of the dry run and the job count.
"""

from __future__ import annotations

import argparse

import yaml
from _common import REPO, cleanup, machine, scratch, snakemake


def study(trials: int, periods: int, seeds: int, per_job: int) -> dict:
    base = yaml.safe_load((REPO / "params" / "default.yaml").read_text())
    base["periods"].update(count=periods, month="2026-11", train_months=6)
    base["hyperparameters"] = {
        "learning_rate": {"role": "nuisance", "min": 1.0e-4, "max": 1.0e-1, "scaling": "log"},
        "weight_decay": {"role": "nuisance", "min": 1.0e-6, "max": 1.0e-2, "scaling": "log"},
        "dropout": {"role": "nuisance", "min": 0.0, "max": 0.5},
    }
    base["search"] = {"algorithm": "quasi_random", "budget": trials, "seed": 0}
    base["seeds"] = seeds
    base["seeds_per_job"] = per_job
    base["max_runs"] = 1_000_000  # opt in to a study this size (the default refuses 20,000+ runs)
    return base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=667)
    parser.add_argument("--periods", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--seeds-per-job", type=int, default=3)
    parser.add_argument("--target", default="runs.csv", help="file under results/<study>/ to plan for, or 'all'")
    args = parser.parse_args()
    root = scratch("dryrun")
    try:
        big = study(args.trials, args.periods, args.seeds, args.seeds_per_job)
        (root / "params" / "big.yaml").write_text(yaml.safe_dump(big))
        target = [] if args.target == "all" else [f"results/big/{args.target}"]
        snakemake(root, "-n", "--cores", "2", *target, "--config", "study=big")  # warm the file cache
        wall, proc = snakemake(root, "-n", "--cores", "2", *target, "--quiet", "rules", "--config", "study=big")
        runs = args.trials * args.periods * args.seeds
        jobs = args.trials * args.periods * -(-args.seeds // args.seeds_per_job)
        print(f"machine: {machine()}")
        print(f"dry run of a {runs:,}-run study ({args.periods} periods x {args.trials:,} trials x "
              f"{args.seeds} seeds = {jobs:,} training jobs), target {args.target}: {wall:.2f} s")
        print(proc.stdout.strip()[-1500:])
    finally:
        cleanup(root)


if __name__ == "__main__":
    main()
