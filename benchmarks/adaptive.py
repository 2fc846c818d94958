"""Benchmark: does the adaptive phase beat a quasi-random search with twice its budget?

    python benchmarks/adaptive.py synthetic            # (a) noisy Branin with an infeasible region
    python benchmarks/adaptive.py real                 # (b) a small study on the embedded data
    python benchmarks/adaptive.py synthetic --seeds 10 --rounds 3 --batch 4 --explore 8

For each search seed s, the adaptive search explores with the first `explore` scrambled Halton
points of seed s, then runs `rounds` rounds of `batch` trials (tunelab.search.adaptive.Round,
the code the `suggest` checkpoint runs, with an in-memory history); N = explore + rounds x batch.
Quasi-random search draws N and 2N Halton points of the same seed. Each search's result is the
trial it would pick (the best observed mean over seeds among feasible trials); the table reports
the median, over search seeds, of that trial's value (for (a) its noise-free Branin value).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import statistics
import sys
import time

from _common import PM25_DATASET, REPO, cleanup, machine, scratch

sys.path.insert(0, str(REPO / "workflow"))

from tunelab.search.adaptive import Round  # noqa: E402
from tunelab.search.plan import trial_id  # noqa: E402
from tunelab.search.samplers import QuasiRandomSampler  # noqa: E402
from tunelab.study.space import parse_entry  # noqa: E402

ACQUISITIONS = ["ei", "pi", "ucb", "portfolio"]


def search_spec(space, rounds, batch, acquisition, seed, k):
    then = {"algorithm": "bayesian", "rounds": rounds, "batch": batch, "acquisition": acquisition,
            "ucb_beta": 2.0, "seed": seed}
    return {"study": "bench", "group": "all", "label": "", "round": k, "architecture": "bench",
            "hyperparameters": {}, "searched": list(space), "fixed": {}, "objective": "value", "then": then}


def adaptive_search(space, evaluate, explore, rounds, batch, acquisition, seed):
    """Exploration then rounds; returns the history (dicts as tunelab.search.adaptive reads them)."""
    dims = list(space.values())
    history = [evaluate(v) for v in QuasiRandomSampler(dims, seed).suggest(explore)]
    drawn = {}
    for k in range(1, rounds + 1):
        rnd = Round(search_spec(space, rounds, batch, acquisition, seed, k), history, drawn, space)
        trials, names = rnd.suggest()
        drawn.update({t.id: a for t, a in zip(trials, names, strict=True)})
        history = history + [evaluate(t.values) for t in trials]
    return history


def quasi_random(space, evaluate, n, seed):
    return [evaluate(v) for v in QuasiRandomSampler(list(space.values()), seed).suggest(n)]


def picked(history):
    """The trial a user would adopt: the best observed mean among feasible trials."""
    feasible = [h for h in history if h["feasible"]]
    return min(feasible, key=lambda h: (h["objective"], h["trial"])) if feasible else None


# --- (a) synthetic: Branin, noisy, with a region that always "diverges" --------------------------

BRANIN_MIN = 0.397887


def branin(x1, x2):
    a, b, c, r, s, t = 1.0, 5.1 / (4 * math.pi ** 2), 5 / math.pi, 6.0, 10.0, 1 / (8 * math.pi)
    return a * (x2 - b * x1 ** 2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


def synthetic_evaluator(noise: float, seeds: int, seed: int):
    import numpy as np

    rng = np.random.default_rng(seed)

    def evaluate(values):
        x1, x2 = values["x1"], values["x2"]
        true = branin(x1, x2)
        feasible = x1 < 7.5  # the right-hand side (one of Branin's three minima) always diverges
        obs = [true + noise * rng.standard_normal() for _ in range(seeds)]
        mean = statistics.fmean(obs)
        return {"trial": trial_id("bench", values), "values": values, "feasible": feasible,
                "objective": mean if feasible else None,
                "var": statistics.variance(obs) / seeds if feasible else None, "true": true}
    return evaluate


def run_synthetic(args):
    space = {"x1": parse_entry("x1", {"role": "nuisance", "min": -5.0, "max": 10.0}),
             "x2": parse_entry("x2", {"role": "nuisance", "min": 0.0, "max": 15.0})}
    n = args.explore + args.rounds * args.batch
    results = {f"quasi_random N={n}": [], f"quasi_random 2N={2 * n}": []}
    seconds = {a: 0.0 for a in ACQUISITIONS}
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        ev = synthetic_evaluator(args.noise, 2, 1000 + seed)
        results[f"quasi_random N={n}"].append(picked(quasi_random(space, ev, n, seed))["true"])
        results[f"quasi_random 2N={2 * n}"].append(picked(quasi_random(space, ev, 2 * n, seed))["true"])
        for acq in ACQUISITIONS:
            start = time.perf_counter()
            history = adaptive_search(space, ev, args.explore, args.rounds, args.batch, acq, seed)
            seconds[acq] += time.perf_counter() - start
            results.setdefault(f"adaptive {acq} N={n}", []).append(picked(history)["true"])
        print(f"seed {seed}: " + json.dumps({k: v[-1] for k, v in results.items()}), file=sys.stderr, flush=True)
    report(f"(a) Branin (min 0.3979), noise sd {args.noise:.2f}, 2 seeds per trial, x1 >= 7.5 infeasible",
           results, args, {f"adaptive {a} N={n}": seconds[a] / args.seeds for a in ACQUISITIONS})


# --- (b) real: a small study on the embedded Beijing PM2.5 data ----------------------------------

REAL_STUDY = {
    "dataset": PM25_DATASET,
    "task": {"horizon": 24, "lags": 24},
    "periods": {"train_months": 3, "valid_months": 1, "test_months": 1, "count": 1, "month": "2026-11"},
    "architecture": "mlp",
    "hyperparameters": {"learning_rate": {"role": "nuisance", "min": 1.0e-4, "max": 1.0, "scaling": "log"},
                        "weight_decay": {"role": "nuisance", "min": 1.0e-6, "max": 1.0e-1, "scaling": "log"},
                        "optimizer": "adamw", "hidden_size": 32, "epochs": 4, "batch_size": 128},
    "search": {"algorithm": "quasi_random", "budget": 4, "mode": "joint"},
    "seeds": 1, "seeds_per_job": 1, "confirm_seeds": 0,
}


def _train(args):
    spec, data = args
    import torch
    from tunelab.train.loop import load_prepared, period_data, train_run

    torch.set_num_threads(1)
    d = period_data(load_prepared(data), spec["windows"], spec["task"]["lags"], spec["task"]["horizon"])
    runs = [train_run(d, spec["architecture"], spec["hyperparameters"], spec["task"]["lags"], s, "cpu")["metrics"]
            for s in spec["seeds"]]
    return spec["trial"], runs


def run_real(args):
    import yaml
    from tunelab.data.dataset import prepare_file
    from tunelab.search.plan import Trial, job_spec
    from tunelab.study.space import active_values
    from tunelab.workflow import plan_study

    root = scratch("adaptive")
    try:
        os.chdir(root)
        (root / "params" / "bench.yaml").write_text(yaml.safe_dump(REAL_STUDY))
        sp = plan_study("params/bench.yaml", {})
        data = f"data/prepared/{sp.dataset['name']}.parquet"
        prepare_file(sp.dataset, data)
        space = {n: sp.study.space[n] for n in ("learning_rate", "weight_decay")}
        fixed = {n: hp.value for n, hp in sp.study.space.items() if not hp.searched}
        period = sp.plan.periods[0].id
        seeds = list(range(args.real_seeds_per_trial))

        def spec_of(values):
            values = active_values(sp.study.space, {n: {**fixed, **values}[n] for n in sp.study.space})
            trial = Trial(id=trial_id("mlp", values), values=values, group="", position=0)
            spec = job_spec(sp.study, sp.plan, period, trial.id, "s0", trial)
            return {**spec, "seeds": seeds}

        cache: dict[str, dict] = {}
        pool = mp.get_context("spawn").Pool(args.cores)

        def train_many(value_dicts):
            specs = [spec_of(v) for v in value_dicts]
            todo = {s["trial"]: s for s in specs if s["trial"] not in cache}
            for tid, runs in pool.imap_unordered(_train, [(s, data) for s in todo.values()]):
                ok = [r["valid_mse"] for r in runs if r["status"] == "ok"]
                feasible = len(ok) == len(runs)
                var = statistics.variance(ok) / len(ok) if feasible and len(ok) > 1 else 0.0
                cache[tid] = {"trial": tid, "values": todo[tid]["hyperparameters"], "feasible": feasible,
                              "objective": statistics.fmean(ok) if feasible else None, "var": var if feasible else None}
            return [cache[s["trial"]] for s in specs]

        def evaluate(values):  # one at a time (rounds); batched below for quasi-random
            return train_many([values])[0]

        n = args.explore + args.rounds * args.batch
        results = {f"quasi_random N={n}": [], f"quasi_random 2N={2 * n}": [], f"adaptive portfolio N={n}": []}
        start = time.perf_counter()
        for seed in range(args.seeds):
            draws = QuasiRandomSampler(list(space.values()), seed).suggest(2 * n)
            hist = train_many(draws)
            results[f"quasi_random N={n}"].append(picked(hist[:n])["objective"])
            results[f"quasi_random 2N={2 * n}"].append(picked(hist)["objective"])
            history = hist[:args.explore]
            drawn = {}
            for k in range(1, args.rounds + 1):
                spec = search_spec(space, args.rounds, args.batch, "portfolio", seed, k)
                trials, names = _round(spec, history, drawn, sp, space)
                drawn.update({t.id: a for t, a in zip(trials, names, strict=True)})
                history = history + train_many([{n_: t.values[n_] for n_ in space} for t in trials])
            results[f"adaptive portfolio N={n}"].append(picked(history)["objective"])
            print(f"seed {seed} done ({len(cache)} runs trained)", file=sys.stderr, flush=True)
        pool.close()
        report(f"(b) Beijing PM2.5, MLP 32, 1 period (3 months train), {args.real_seeds_per_trial} seed(s), "
               f"4 epochs; valid_mse", results, args, {"total wall": time.perf_counter() - start})
    finally:
        cleanup(root)


def _round(spec, history, drawn, sp, space):
    """A round over the study's own space (fixed values from the study, searched = `space`)."""
    spec = {**spec, "architecture": sp.study.architecture, "searched": list(space)}
    rnd = Round(spec, history, drawn, sp.study.space)
    return rnd.suggest()


def report(title, results, args, seconds):
    print(f"\n{title}; {args.seeds} search seeds; {machine()}")
    print("| search | median best | quartiles | seconds per search |\n|---|---|---|---|")
    for name, values in results.items():
        q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
        extra = f"{seconds[name]:.1f}" if name in seconds else "-"
        print(f"| {name} | {statistics.median(values):.4g} | {q[0]:.4g} - {q[2]:.4g} | {extra} |")
    for name, value in seconds.items():
        if name not in results:
            print(f"{name}: {value:.0f} s")
    print(json.dumps({k: [round(v, 6) for v in vs] for k, vs in results.items()}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("which", choices=["synthetic", "real"])
    parser.add_argument("--seeds", type=int, default=10, help="search seeds")
    parser.add_argument("--first-seed", type=int, default=0, help="(a) the first search seed")
    parser.add_argument("--explore", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--batch", type=int, default=None)
    parser.add_argument("--noise", type=float, default=1.0, help="(a) sd of one seed's observation")
    parser.add_argument("--cores", type=int, default=2, help="(b) training processes")
    parser.add_argument("--real-seeds-per-trial", type=int, default=1)
    args = parser.parse_args()
    small = args.which == "real"
    args.explore = args.explore or (4 if small else 8)
    args.rounds = args.rounds or (2 if small else 3)
    args.batch = args.batch or (2 if small else 4)
    import torch

    torch.set_num_threads(1)
    (run_real if small else run_synthetic)(args)


if __name__ == "__main__":
    main()
