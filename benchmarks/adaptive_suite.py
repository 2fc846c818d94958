"""Benchmark suite: does the adaptive phase earn its cost? (issue 25)

    nice -n 10 python benchmarks/adaptive_suite.py run --seeds 10          # every problem and method
    nice -n 10 python benchmarks/adaptive_suite.py run --seeds 3 --problems branin,hartmann6 --methods ei,tpe
    python benchmarks/adaptive_suite.py table results/bench-cache/adaptive_suite/results.json
    python benchmarks/adaptive_suite.py time --repeat 5                    # one suggest round, fresh process

Five problems (benchmarks/adaptive_problems.py): noisy Hartmann-6, Branin with an infeasible region,
SGDClassifier and RandomForestClassifier on digits (scikit-learn, 3-fold CV) and an MLP on the embedded PM2.5
data with tunelab's own trainer (2 seeds per trial). For each search seed s every method starts from
the same exploration, the first 8 scrambled Halton points of seed s, then runs 3 rounds of 4 trials
(N = 20): tunelab's `Round.suggest` exactly as the `suggest` checkpoint drives it (benchmarks/
adaptive.py), and Optuna's GPSampler and multivariate TPESampler, each a fresh study per search
started from the same 8 points (enqueue_trial, then ask/tell) and asked 4 trials per round before
being told their results (an infeasible trial: COMPLETE with the worst value so far and a violated
constraint, ENGINE_NOTES.md). Quasi-random search draws N and 2N Halton points of seed s. A search's
result is the trial it would pick (best observed mean among feasible trials), scored by its
noiseless value (Hartmann-6, Branin) or its CV score; lower is better everywhere.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import REPO, cleanup, machine, scratch

sys.path.insert(0, str(REPO / "workflow"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import adaptive_problems as problems  # noqa: E402
from adaptive import adaptive_search, picked, quasi_random  # noqa: E402
from tunelab.study.schema import default_of  # noqa: E402

EXPLORE, ROUNDS, BATCH = 8, 3, 4
N = EXPLORE + ROUNDS * BATCH
PROBLEMS = ["hartmann6", "branin", "sgd_digits", "rf_digits", "pm25"]
# kernel_ridge_diabetes (--problems kernel_ridge_diabetes) is out: its good configurations tie within the CV noise
TUNELAB = ["nei", "ei", "pi", "ucb", "portfolio", "portfolio@legacy"]
METHODS = ["halton", "halton2n", "tpe", "gp"] + TUNELAB
LABEL = {"halton": f"quasi-random (Halton), N = {N}", "halton2n": f"quasi-random (Halton), 2N = {2 * N}",
         "tpe": "Optuna TPE (multivariate)", "gp": "Optuna GPSampler",
         "portfolio@legacy": "tunelab portfolio as before (2 restarts, 64 raw samples)"}
RESULTS = problems.CACHE / "results.json"


def make_problem(name, root):
    classes = {"hartmann6": problems.Hartmann6, "branin": problems.Branin, "sgd_digits": problems.SgdDigits,
               "rf_digits": problems.RandomForestDigits, "kernel_ridge_diabetes": problems.KernelRidgeDiabetes}
    return problems.Pm25(root) if name == "pm25" else classes[name]()


# --- Optuna, from the same exploration and in the same batches -----------------------------------

def distributions(space):
    import optuna.distributions as d

    out = {}
    for name, hp in space.items():
        if hp.kind == "categorical":
            out[name] = d.CategoricalDistribution(list(hp.points))
        elif hp.kind == "integer":
            out[name] = d.IntDistribution(int(hp.low), int(hp.high), log=hp.scaling == "log")
        else:
            out[name] = d.FloatDistribution(float(hp.low), float(hp.high), log=hp.scaling == "log")
    return out


def optuna_search(kind, space, evaluate, seed):
    import optuna
    from adaptive import QuasiRandomSampler

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    sampler = (optuna.samplers.GPSampler(seed=seed) if kind == "gp" else
               optuna.samplers.TPESampler(multivariate=True, seed=seed))
    study = optuna.create_study(sampler=sampler, direction="minimize")
    dists = distributions(space)
    for values in QuasiRandomSampler(list(space.values()), seed).suggest(EXPLORE):
        study.enqueue_trial(values)
    history = []
    for batch in [EXPLORE] + [BATCH] * ROUNDS:
        asked = [study.ask(dists) for _ in range(batch)]
        rows = [evaluate(dict(t.params)) for t in asked]
        worst = max([h["objective"] for h in history + rows if h["feasible"]], default=0.0)
        for t, r in zip(asked, rows, strict=True):
            t.set_constraint("infeasible", 0.0 if r["feasible"] else 1.0)  # Optuna 5: the samplers read it
            study.tell(t, r["objective"] if r["feasible"] else worst)
        history += rows
    return history


# --- one (problem, search seed): every method ----------------------------------------------------

_PROBLEMS: dict = {}
# Variants of tunelab's adaptive phase measured against its defaults: `<acquisition>@<variant>[+...]`
# (legacy: the acquisition optimiser's budget before issue 25, 2 restarts from 64 raw samples)
VARIANTS = {"legacy": {"RESTARTS": 2, "RAW_SAMPLES": 64}}


def tunelab_search(method, space, evaluate, seed):
    import tunelab.search.adaptive as adaptive_module

    acquisition, _, variants = method.partition("@")
    settings = {k: v for name in variants.split("+") if name for k, v in VARIANTS[name].items()}
    saved = {k: getattr(adaptive_module, k) for k in settings}
    try:
        for k, v in settings.items():
            setattr(adaptive_module, k, v)
        return adaptive_search(space, evaluate, EXPLORE, ROUNDS, BATCH, acquisition, seed)
    finally:
        for k, v in saved.items():
            setattr(adaptive_module, k, v)


def run_one(task):
    name, seed, methods, root = task
    import torch

    torch.set_num_threads(1)
    if name not in _PROBLEMS:
        _PROBLEMS[name] = make_problem(name, root)
    problem = _PROBLEMS[name]

    def evaluate(values):
        return problem.evaluate(values, seed)

    out = {}
    for method in methods:
        start = time.perf_counter()
        if method in ("halton", "halton2n"):
            history = quasi_random(problem.space, evaluate, N if method == "halton" else 2 * N, seed)
        elif method in ("tpe", "gp"):
            history = optuna_search(method, problem.space, evaluate, seed)
        else:
            history = tunelab_search(method, problem.space, evaluate, seed)
        best = picked(history)
        out[method] = {"value": None if best is None else best["true"], "seconds": time.perf_counter() - start,
                       "infeasible": sum(not h["feasible"] for h in history)}
    print(f"{name} seed {seed}: " + json.dumps({m: round(r["value"], 4) for m, r in out.items()
                                                  if r["value"] is not None}), file=sys.stderr, flush=True)
    return name, seed, out


def run(args):
    names = PROBLEMS if args.problems == "all" else args.problems.split(",")
    methods = METHODS if args.methods == "all" else args.methods.split(",")
    root = scratch("adaptive-suite")
    try:
        if "pm25" in names:
            problems.Pm25.prepare(root)
        tasks = [(n, s, methods, root) for n in sorted(names, key=lambda n: n != "pm25")
                 for s in range(args.seeds)]
        results: dict = {n: {} for n in names}
        start = time.perf_counter()
        with mp.get_context("spawn").Pool(min(args.cores, 2)) as pool:
            for name, seed, out in pool.imap_unordered(run_one, tasks):
                results[name][str(seed)] = out
        wall = time.perf_counter() - start
    finally:
        cleanup(root)
    record = {"machine": machine(), "wall_s": wall, "seeds": args.seeds, "methods": methods,
              "command": " ".join(sys.argv), "results": results}
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1))
    print(table(record))


# --- the table -------------------------------------------------------------------------------

def medians(record):
    """problem -> method -> (median value, median seconds per search)."""
    out = {}
    for name, by_seed in record["results"].items():
        out[name] = {}
        for method in record["methods"]:
            values = [r[method]["value"] for r in by_seed.values() if r[method]["value"] is not None]
            secs = [r[method]["seconds"] for r in by_seed.values()]
            out[name][method] = (statistics.median(values) if values else None, statistics.median(secs))
    return out


def wins(record, name, method, other):
    """Paired seeds where `method` picked a strictly better trial than `other` (ties count half)."""
    score, n = 0.0, 0
    for r in record["results"][name].values():
        a, b = r[method]["value"], r[other]["value"]
        if a is None or b is None:
            continue
        n += 1
        score += 1.0 if a < b else 0.5 if a == b else 0.0
    return f"{score:g}/{n}"


def table(record):
    med = medians(record)
    names = list(record["results"])
    lines = [f"{record['seeds']} search seeds, N = {N} ({EXPLORE} Halton + {ROUNDS} rounds of {BATCH}); "
             f"{record['machine']}; wall {record['wall_s']:.0f} s; lower is better",
             "", "| method | " + " | ".join(problems_title(n) for n in names) + " |",
             "|---|" + "---|" * len(names)]
    for method in record["methods"]:
        cells = []
        for n in names:
            value, secs = med[n][method]
            cells.append("-" if value is None else f"{value:.4g} ({secs:.0f} s)")
        lines.append(f"| {LABEL.get(method, 'tunelab ' + method)} | " + " | ".join(cells) + " |")
    others = [m for m in ("halton2n", "gp", "tpe") if m in record["methods"]]
    lines += ["", "Paired wins of tunelab's adaptive N (seeds where it picked the better trial; ties half):",
              "", "| tunelab | " + " | ".join(f"{problems_title(n)} vs {', '.join(others)}" for n in names) + " |",
              "|---|" + "---|" * len(names)]
    for method in [m for m in record["methods"] if m not in ("halton", "halton2n", "tpe", "gp")]:
        lines.append(f"| {method} | " + " | ".join(
            ", ".join(wins(record, n, method, o) for o in others) for n in names) + " |")
    return "\n".join(lines)


def problems_title(name):
    return {"hartmann6": "Hartmann-6 noisy", "branin": "Branin infeasible", "sgd_digits": "SGD digits log loss",
            "rf_digits": "RF digits log loss", "kernel_ridge_diabetes": "KernelRidge diabetes MSE",
            "pm25": "PM2.5 MLP valid_mse"}[name]


# --- the cost of one round -------------------------------------------------------------------

ROUND_SCRIPT = """
import sys, time
start = time.perf_counter()
sys.path.insert(0, {workflow!r}); sys.path.insert(0, {bench!r})
import tunelab.search.adaptive as adaptive_module
from tunelab.search.adaptive import Round
for key, value in {settings!r}.items():
    setattr(adaptive_module, key, value)
imported = time.perf_counter()
import adaptive_problems as p
from adaptive import search_spec
from tunelab.search.samplers import QuasiRandomSampler
problem = p.Hartmann6()
history = [problem.evaluate(v, 0) for v in QuasiRandomSampler(list(problem.space.values()), 0).suggest(16)]
spec = search_spec(problem.space, 3, 4, {acquisition!r}, 0, 3)
ready = time.perf_counter()
trials, names = Round(spec, history, {{}}, problem.space).suggest()
done = time.perf_counter()
print(f"{{imported - start:.2f}} {{done - ready:.2f}} {{len(trials)}}")
from tunelab.io import end_job
end_job()  # as workflow/scripts/suggest.py ends: no interpreter teardown
"""


def time_round(args):
    """One round of 4 from 16 finished trials (Hartmann-6), in a fresh interpreter, import included."""
    acquisition, _, variant = args.acquisition.partition("@")
    script = ROUND_SCRIPT.format(workflow=str(REPO / "workflow"), bench=str(Path(__file__).resolve().parent),
                                 acquisition=acquisition, settings=VARIANTS.get(variant, {}))
    import resource

    walls, cpus = [], []
    for _ in range(args.repeat):
        start, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime)
        imported, suggest, n = out.split()
        print(f"wall {walls[-1]:.2f} s, CPU {cpus[-1]:.2f} s (interpreter + import of tunelab.search.adaptive "
              f"{imported} s, suggest with its torch/BoTorch imports {suggest} s, {n} trials)")
    print(f"one suggest round of 4 ({args.acquisition}), fresh process, {args.repeat} runs: wall median "
          f"{statistics.median(walls):.2f} s (min {min(walls):.2f}), CPU median {statistics.median(cpus):.2f} s; "
          f"{machine()}; load {os.getloadavg()[0]:.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--seeds", type=int, default=10)
    r.add_argument("--problems", default="all")
    r.add_argument("--methods", default="all")
    r.add_argument("--cores", type=int, default=2)
    r.add_argument("--output", default=str(RESULTS))
    t = sub.add_parser("table")
    t.add_argument("path")
    c = sub.add_parser("time")
    c.add_argument("--acquisition", default=default_of("search", "then", "acquisition"),
                   help="as in run: e.g. pi, or pi@legacy (the old budget); default: the study's default")
    c.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.command == "run":
        run(args)
    elif args.command == "table":
        print(table(json.loads(Path(args.path).read_text())))
    else:
        time_round(args)


if __name__ == "__main__":
    main()
