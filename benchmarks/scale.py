"""Benchmark (c): scale, each figure as a ratio to a bare Snakefile with the same jobs, in one run.

    python benchmarks/scale.py                    # (a), (b) and (c); --repeats 3 by default
    python benchmarks/scale.py --only a --finished /path/to/finished/workdir
    python benchmarks/scale.py --only c --periods-100k 20 --trials-100k 1667

(a) a no-op `snakemake -n` of the finished default study (target ratio <= 1.3). The study is first
    run to the end in a scratch directory, with `--epochs` (default 1) instead of 30 so that the
    setup takes minutes: the DAG is the same (same jobs, files, checkpoint), only training is
    shorter. `--finished DIR` reuses a directory where the default study has already finished.
(b) `snakemake -n` of the 10,000-run study of benchmarks/dryrun_10k.py (5 periods x 667 trials
    x 3 seeds = 3,335 training jobs), target runs.csv (target ratio <= 1.5).
(c) `snakemake -n` of a 100,000-run study (20 periods x 1,667 trials x 3 seeds = 33,340 training
    jobs): wall time, CPU time and peak memory (and the bare ratio unless --no-bare-100k).

The bare workflow (benchmarks/_bare.py) has tunelab's jobs (same rules, files, inputs and logs),
one params function per rule and `touch` as command. Both sides run with the same workflow profile
(profiles/default), `--quiet rules`, after one warm-up call, alternating, `--repeats` times; the
median is reported. CPU time (user + sys of the snakemake process) is steadier than wall time on
a shared machine, and is what the ratios use; wall time is shown beside it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

import yaml
from _bare import dag_jobs, write_bare
from _common import REPO, cleanup, machine, scratch
from dryrun_10k import study as grid_study

# Runs a command and prints its wall time, CPU time and peak RSS (of the command's process tree).
_MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": proc.returncode, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                  "rss_mb": usage.ru_maxrss / 1024, "out": proc.stdout[-3000:],
                  "err": proc.stderr[-3000:]}))
"""


def measure(snakefile: Path, workdir: Path, *args: str) -> dict:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(snakefile), "-d", str(workdir), *args]
    out = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], cwd=workdir, capture_output=True,
                         text=True, check=True).stdout
    result = json.loads(out)
    if result["rc"] != 0:
        sys.exit(f"snakemake failed in {workdir}:\n{result['err']}")
    return result


def run(snakefile: Path, workdir: Path, *args: str) -> None:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(snakefile), "-d", str(workdir), *args]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"snakemake failed in {workdir}:\n{proc.stderr[-4000:]}")


def compare(name: str, real_dir: Path, targets: list[str], config: dict, repeats: int,
            bare: bool = True, warm: bool = True) -> dict:
    """Dry-run tunelab's workflow and (if `bare`) its bare twin, alternating; medians."""
    config_args = ["--config", *[f"{k}={v}" for k, v in config.items()]]
    args = [*targets, *config_args, "-n", "--quiet", "rules"]
    sides = {"tunelab": (REPO / "Snakefile", real_dir, args)}
    if bare:
        bare_dir = real_dir.parent / f"{real_dir.name}-bare"
        if not (bare_dir / "Snakefile").exists():
            write_bare(dag_jobs(real_dir, targets, config), bare_dir, real_dir)
        dag_size = sum(len(keys) for keys in json.loads((bare_dir / "inputs.json").read_text()).values())
        sides["bare"] = (bare_dir / "Snakefile", bare_dir, [*targets, "-n", "--quiet", "rules"])
        if name == "a":  # the bare twin of a finished study must be finished too
            run(bare_dir / "Snakefile", bare_dir, *targets, "--cores", "2")
    results: dict[str, list[dict]] = {side: [] for side in sides}
    for snakefile, workdir, side_args in sides.values():
        if warm:
            measure(snakefile, workdir, *side_args)  # warm the file cache
    for _ in range(repeats):
        for side, (snakefile, workdir, side_args) in sides.items():
            results[side].append(measure(snakefile, workdir, *side_args))
    summary = {side: {key: statistics.median(r[key] for r in runs) for key in ("wall", "cpu", "rss_mb")}
               for side, runs in results.items()}
    summary["jobs"] = job_total(results["tunelab"][0]["out"]) or (dag_size if bare else None)
    summary["nothing_to_do"] = "Nothing to be done" in results["tunelab"][0]["out"] + \
        results["tunelab"][0]["err"]
    return summary


def job_total(output: str) -> int | None:
    for line in output.splitlines():
        if line.startswith("total"):
            return int(line.split()[1])
    return None


def finished_default(root: Path, epochs: int) -> Path:
    """The default study run to the end (training shortened to `epochs`) in `root`."""
    study = yaml.safe_load((REPO / "params" / "default.yaml").read_text())
    study["hyperparameters"]["epochs"] = epochs
    (root / "params" / "default.yaml").write_text(yaml.safe_dump(study, sort_keys=False))
    print(f"(a) running the default study ({epochs} epoch(s) per run) to the end in {root} ...",
          flush=True)
    run(REPO / "Snakefile", root, "--cores", "2", "--config", "month=2026-11")
    return root


def big_study(root: Path, trials: int, periods: int, train_months: int = 6) -> Path:
    study = grid_study(trials, periods, 3, 3)  # benchmarks/dryrun_10k.py's study
    study["periods"]["train_months"] = train_months
    (root / "params" / "big.yaml").write_text(yaml.safe_dump(study))
    return root


def report(label: str, summary: dict, target: float | None = None) -> None:
    real = summary["tunelab"]
    line = (f"{label}: {summary['jobs']} jobs; tunelab {real['wall']:.2f} s wall, "
            f"{real['cpu']:.2f} s CPU, {real['rss_mb']:.0f} MB peak")
    if "bare" in summary:
        bare = summary["bare"]
        ratio = real["cpu"] / bare["cpu"]
        line += (f"; bare {bare['wall']:.2f} s wall, {bare['cpu']:.2f} s CPU, {bare['rss_mb']:.0f} MB"
                 f"; ratio (CPU) {ratio:.2f}, (wall) {real['wall'] / bare['wall']:.2f}")
        if target:
            line += f" (target <= {target})"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="a,b,c", help="which of a,b,c to run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=1, help="(a): epochs per run of the default study")
    parser.add_argument("--finished", type=Path, help="(a): a workdir where the default study finished")
    parser.add_argument("--periods-100k", type=int, default=20)
    parser.add_argument("--trials-100k", type=int, default=1667)
    parser.add_argument("--no-bare-100k", action="store_true", help="(c): skip the bare twin")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directories")
    args = parser.parse_args()
    only = set(args.only.split(","))
    print(f"machine: {machine()}", flush=True)
    roots = []
    try:
        if "a" in only:
            root = args.finished.resolve() if args.finished else finished_default(scratch("noop"), args.epochs)
            if not args.finished:
                roots.append(root)
            summary = compare("a", root, [], {"month": "2026-11"}, args.repeats)
            if not summary["nothing_to_do"]:
                print("(a) WARNING: the dry run would run jobs: the study is not finished")
            report("(a) no-op rerun of the finished default study", summary, 1.3)
        if "b" in only:
            root = big_study(scratch("10k"), 667, 5)
            roots.append(root)
            summary = compare("b", root, ["results/big/runs.csv"], {"study": "big"}, args.repeats)
            report("(b) dry run of the 10,000-run study", summary, 1.5)
        if "c" in only:
            root = big_study(scratch("100k"), args.trials_100k, args.periods_100k, 3)  # 20 periods fit
            roots.append(root)
            summary = compare("c", root, ["results/big/runs.csv"], {"study": "big"}, 1,
                              bare=not args.no_bare_100k, warm=False)
            runs = args.trials_100k * args.periods_100k * 3
            report(f"(c) dry run of the {runs:,}-run study", summary)
    finally:
        if not args.keep:
            for root in roots:
                cleanup(root)
                cleanup(root.parent / f"{root.name}-bare")


if __name__ == "__main__":
    main()
