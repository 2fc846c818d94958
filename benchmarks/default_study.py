"""The default study from a fresh copy of the repository, at one or more git revisions, side by side.

    python benchmarks/default_study.py --revs 9ce0036 HEAD       # before, after: the ratio of the two
    python benchmarks/default_study.py --revs HEAD --keep DIR    # one revision; keep its directory

Each revision is exported with `git archive` into its own scratch directory (its Snakefile, rules,
package, params and embedded data; nothing of this checkout's results/ or .snakemake/), and
`snakemake --cores N` runs there with PYTHONPATH pointing at that copy's package, so every job
imports that revision's tunelab. The revisions run one after another in this one process
(`--rounds 2` alternates them twice): on a shared machine quote the ratios, not the seconds.

For each run it prints the table of issue 26 from `.snakemake/metadata` (one job per job hash:
its start and end time): jobs and summed job time of the training rules (train, train_group,
train_rung, train_fidelity) against everything else (plan, collect, analysis, plots, report,
sanity checks, data preparation), and each part's share of the span times the cores; then the
wall time of the whole `snakemake` command and its CPU time (user + sys of it and all its jobs),
and, with two revisions, the ratios and the evidence: whether both planned the same trials and
runs, and the largest relative difference of any run's metrics and of any trial's mean objective.
"""

from __future__ import annotations

import argparse
import base64
import csv
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from _common import REPO, machine

TRAINING = ("train", "train_group", "train_rung", "train_fidelity")
METRICS = ("valid_mse", "valid_mae", "test_mse", "test_mae")


def export(rev: str, root: Path) -> Path:
    """`git archive rev` unpacked into root (a fresh copy: no results, no .snakemake)."""
    root.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", rev],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True)
    return root


def run_study(root: Path, cores: int, extra: list[str]) -> dict:
    """`snakemake --cores N` in root: wall time, CPU time of it and its children, return code."""
    env = {**os.environ, "PYTHONPATH": str(root / "workflow")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--cores", str(cores), *extra],
                          cwd=root, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    (root / "snakemake.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    if proc.returncode != 0:
        sys.exit(f"snakemake failed in {root}:\n{proc.stderr[-4000:]}")
    return {"wall": wall, "cpu": cpu}


def jobs_of(root: Path) -> list[dict]:
    """One record per job of the run (rule, start, end), from .snakemake/metadata."""
    jobs: dict[int, dict] = {}
    for path in (root / ".snakemake" / "metadata").iterdir():
        meta = json.loads(path.read_text(encoding="utf-8"))
        if meta.get("starttime") is None:
            continue
        key = meta.get("job_hash") or base64.b64decode(path.name).decode()
        job = jobs.setdefault(key, {"rule": meta["rule"], "start": meta["starttime"], "end": meta["endtime"]})
        job["start"], job["end"] = min(job["start"], meta["starttime"]), max(job["end"], meta["endtime"])
    return list(jobs.values())


def parts(jobs: list[dict], cores: int) -> dict:
    """The table of issue 26: jobs, summed job time and share of (span x cores) per part, and the
    summed time of each rule outside training."""
    span = max(j["end"] for j in jobs) - min(j["start"] for j in jobs)
    table, rules = {}, defaultdict(lambda: [0, 0.0])
    for name, mine in (("training", lambda r: r in TRAINING), ("analysis/report/other", lambda r: r not in TRAINING)):
        chosen = [j for j in jobs if mine(j["rule"])]
        summed = sum(j["end"] - j["start"] for j in chosen)
        table[name] = {"jobs": len(chosen), "summed": summed, "share": summed / (span * cores)}
        if name != "training":
            for j in chosen:
                rules[j["rule"]][0] += 1
                rules[j["rule"]][1] += j["end"] - j["start"]
    return {"span": span, "parts": table, "rules": dict(rules)}


def print_run(label: str, timing: dict, table: dict) -> None:
    print(f"\n{label}: snakemake wall {timing['wall']:.1f} s, CPU {timing['cpu']:.1f} s (it and its jobs), "
          f"span of the jobs {table['span']:.1f} s")
    print("| part | jobs | summed job time | per job | share of the span x cores |")
    print("|---|---|---|---|---|")
    for name, p in table["parts"].items():
        per = p["summed"] / p["jobs"] if p["jobs"] else 0.0
        print(f"| {name} | {p['jobs']} | {p['summed']:.1f} s | {per:.1f} s | {100 * p['share']:.0f}% |")
    other = sorted(table["rules"].items(), key=lambda kv: -kv[1][1])
    print("outside training: " + ", ".join(f"{r} {n}x {t:.1f} s" for r, (n, t) in other))


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def rel(a: str, b: str) -> float:
    """|a - b| / max(|a|, |b|); 0 for two NaNs or two equal values, inf for NaN against a number."""
    x, y = float(a or "nan"), float(b or "nan")
    if math.isnan(x) and math.isnan(y) or x == y:
        return 0.0
    if math.isnan(x) or math.isnan(y):
        return math.inf
    return abs(x - y) / max(abs(x), abs(y))


def evidence(first: Path, second: Path, study: str) -> list[str]:
    """What the two runs planned and measured, compared: plan, runs, metrics, trial means."""
    out = []
    a, b = first / "results" / study, second / "results" / study
    for name in ("periods.csv", "plan.csv"):
        same = (a / name).read_bytes() == (b / name).read_bytes()
        out.append(f"{name}: {'identical' if same else 'DIFFERENT'}")
    runs = [{(r["period"], r["trial"], r["seed"]): r for r in read_rows(d / "runs.csv")} for d in (a, b)]
    out.append(f"runs: {len(runs[0])} and {len(runs[1])}, same keys: {runs[0].keys() == runs[1].keys()}")
    common = runs[0].keys() & runs[1].keys()
    for m in METRICS:
        worst = max((rel(runs[0][k].get(m), runs[1][k].get(m)) for k in common), default=0.0)
        out.append(f"runs' {m}: largest relative difference {worst:.2e}")
    epochs = [sum(int(r.get("epochs_run") or 0) for r in rs.values()) for rs in runs]
    out.append(f"epochs trained: {epochs[0]} and {epochs[1]}")
    trials = [{(r["period"], r["trial"]): r for r in read_rows(d / "trials.csv")} for d in (a, b)]
    column = next(c for c in read_rows(a / "trials.csv")[0] if c.endswith("_mean"))
    worst = max((rel(trials[0][k][column], trials[1][k][column]) for k in trials[0].keys() & trials[1].keys()),
                default=0.0)
    out.append(f"trials' {column}: largest relative difference {worst:.2e}")
    for name in ("candidates.json",):
        if (a / name).exists() and (b / name).exists():
            same = json.loads((a / name).read_text()) == json.loads((b / name).read_text())
            out.append(f"{name}: {'identical' if same else 'DIFFERENT'}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--revs", nargs="+", default=["HEAD"], help="git revisions, e.g. BEFORE AFTER")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1, help="run the revisions in turn this many times")
    parser.add_argument("--keep", help="keep the copies under this folder (default: a temporary one, removed)")
    parser.add_argument("--study", default="default")
    args, extra = parser.parse_known_args()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tunelab-bench-default-"))
    print(f"machine: {machine()}; load average before: {os.getloadavg()[0]:.2f}")
    results: dict[str, list[dict]] = defaultdict(list)
    try:
        for k in range(args.rounds):
            for i, rev in enumerate(args.revs):
                root = export(rev, base / f"r{k}-{i}-{rev.replace('/', '_')}")
                timing = run_study(root, args.cores, [*extra, "--config", f"study={args.study}"])
                table = parts(jobs_of(root), args.cores)
                print_run(f"{rev} (round {k + 1}, load average now {os.getloadavg()[0]:.2f})", timing, table)
                results[rev].append({"root": root, "timing": timing, "table": table})
        summary(args.revs, results, args.study)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


def summary(revs: list[str], results: dict, study: str) -> None:
    """The ratios of each revision to the first, per round and in total, and the evidence."""
    if len(revs) < 2:
        return
    first = results[revs[0]]
    for rev in revs[1:]:
        print(f"\n{rev} / {revs[0]}:")
        for key, name in (("wall", "snakemake wall"), ("cpu", "CPU")):
            ratios = [b["timing"][key] / a["timing"][key] for a, b in zip(first, results[rev], strict=True)]
            print(f"  {name}: " + ", ".join(f"{r:.3f}" for r in ratios))
        for part in ("training", "analysis/report/other"):
            ratios = [b["table"]["parts"][part]["summed"] / a["table"]["parts"][part]["summed"]
                      for a, b in zip(first, results[rev], strict=True)]
            print(f"  summed job time, {part}: " + ", ".join(f"{r:.3f}" for r in ratios))
        for line in evidence(first[0]["root"], results[rev][0]["root"], study):
            print(f"  {line}")


if __name__ == "__main__":
    main()
