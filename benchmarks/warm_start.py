"""Benchmark: does next month's search reach a better trial when it starts from this month's evidence?

    python benchmarks/warm_start.py                      # 5 search seeds, months 2026-11 -> 2026-12
    python benchmarks/warm_start.py --seeds 10 --explore 6 --rounds 2 --batch 3 --carry 3

On the embedded Beijing PM2.5 data (an MLP trained by tunelab's own loop, 2 periods of 2 training
months per rotation month, 2 seeds per trial), for each search seed s:

- month M: a cold study (`explore` scrambled Halton points of seed s, then `rounds` rounds of
  `batch` from tunelab.search.adaptive.Round, the code the suggest checkpoint runs);
- month M+1, cold: the same search on M+1's periods, from nothing;
- month M+1, warm (warm_start, same budget): M's best `carry` trials retrained on M+1's periods
  in place of the last `carry` exploration points, and the rounds learn from M's finished trials
  as well, tagged with their month (tunelab.search.warmstart.carried_history's rows).

Each search's result is the trial it would pick (the best observed mean over M+1's periods and
seeds): the table gives the median over search seeds and the paired wins. A run is the mean over
its month's periods of the mean over 2 seeds; runs are cached on disk
(results/bench-cache/warm_start/), so a rerun trains only what it has not trained.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time

from _common import REPO, machine
from adaptive_problems import PM25_STUDY

sys.path.insert(0, str(REPO / "workflow"))

from tunelab.search.adaptive import Round  # noqa: E402
from tunelab.search.plan import trial_id  # noqa: E402
from tunelab.search.samplers import QuasiRandomSampler  # noqa: E402

CACHE = REPO / "results" / "bench-cache" / "warm_start"
# The suite's embedded-data problem (benchmarks/adaptive_problems.py), with 2 periods per month and
# the month left to the rotation.
STUDY = {**PM25_STUDY, "periods": {"train_months": 2, "valid_months": 1, "test_months": 1, "count": 2},
         "search": {**PM25_STUDY["search"], "budget": 6}}
SEEDS = (0, 1)


class Month:
    """One rotation month of the study: its periods, and runs cached on disk per (trial, period, seed)."""

    def __init__(self, month: str):
        from tunelab.search.plan import make_plan
        from tunelab.study import study_from_dict
        from tunelab.workflow import data_span

        self.month = month
        self.study = study_from_dict(STUDY, name="warm_bench")
        _, start, end, fits = data_span(self.study)
        self.plan = make_plan(self.study, start, end, month, fits)
        self.space = {hp.name: hp for hp in self.study.searched}
        self.data = {}

    def run(self, values: dict, period, seed: int) -> float | None:
        key = json.dumps([values, period.id, seed], sort_keys=True)
        path = CACHE / f"{hashlib.sha1(key.encode()).hexdigest()[:16]}.json"
        if path.exists():
            return json.loads(path.read_text())["valid_mse"]
        metric = self.train(values, period, seed)
        CACHE.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"key": key, "valid_mse": metric}))
        return metric

    def train(self, values: dict, period, seed: int) -> float | None:
        from tunelab.study.space import active_values
        from tunelab.train.loop import load_prepared, period_data, train_run

        fixed = {n: hp.value for n, hp in self.study.space.items() if not hp.searched}
        full = active_values(self.study.space, {n: {**fixed, **values}[n] for n in self.study.space})
        if period.id not in self.data:
            self.data[period.id] = period_data(load_prepared(prepared()), period.windows(),
                                               STUDY["task"]["lags"], STUDY["task"]["horizon"])
        metrics = train_run(self.data[period.id], "mlp", full, STUDY["task"]["lags"], seed, "cpu")["metrics"]
        return metrics["valid_mse"] if metrics["status"] == "ok" else None

    def evaluate(self, values: dict) -> dict:
        """The trial as the adaptive phase reads it: the mean over periods of the mean over seeds."""
        per = [[self.run(values, p, s) for s in SEEDS] for p in self.plan.periods]
        feasible = all(v is not None for seeds in per for v in seeds)
        means = [statistics.fmean(seeds) for seeds in per] if feasible else []
        var = sum(statistics.variance(seeds) / len(seeds) for seeds in per) / len(per) ** 2 if feasible else None
        return {"trial": trial_id("mlp", values), "values": values, "feasible": feasible,
                "objective": round(statistics.fmean(means), 12) if feasible else None,
                "var": round(var, 15) if feasible else None}


def prepared() -> str:
    path = REPO / "results" / "bench-cache" / "warm_start_prepared.parquet"
    if not path.exists():
        from tunelab.data.dataset import prepare_file

        path.parent.mkdir(parents=True, exist_ok=True)
        prepare_file({**STUDY["dataset"], "path": str(REPO / STUDY["dataset"]["path"])}, str(path))
    return str(path)


def spec(space, args, seed, k, month=None):
    then = {"algorithm": "bayesian", "rounds": args.rounds, "batch": args.batch,
            "acquisition": args.acquisition, "ucb_beta": 2.0, "seed": seed}
    out = {"study": "warm_bench", "group": "all", "label": "", "round": k, "architecture": "mlp",
           "hyperparameters": {}, "searched": list(space), "fixed": {}, "objective": "valid_mse", "then": then}
    return {**out, "month": month} if month else out


def search(month: Month, args, seed: int, start: list[dict], carried: list[dict] = ()) -> list[dict]:
    """`start` (the exploration's values) evaluated on `month`, then the rounds; `carried`: last
    month's rows the rounds learn from as well."""
    history = [month.evaluate(v) for v in start]
    drawn = {}
    for k in range(1, args.rounds + 1):
        rows = history + [dict(r) for r in carried]
        rnd = Round(spec(month.space, args, seed, k, month.month if carried else None), rows, drawn, month.space)
        trials, names = rnd.suggest()
        drawn.update({t.id: a for t, a in zip(trials, names, strict=True)})
        history += [month.evaluate({n: t.values[n] for n in month.space}) for t in trials]
    return history


def picked(history: list[dict]) -> float:
    return min(h["objective"] for h in history if h["feasible"])


def one_seed(months, args, seed: int) -> dict:
    this, nxt = months
    halton = QuasiRandomSampler(list(this.space.values()), seed).suggest(args.explore)
    last = search(this, args, seed, halton)
    cold = search(nxt, args, seed, halton)
    best = sorted((h for h in last if h["feasible"]), key=lambda h: (h["objective"], h["trial"]))[:args.carry]
    start = [h["values"] for h in best]
    start += [v for v in halton if v not in start][:args.explore - len(start)]
    tagged = [{**h, "month": this.month} for h in last if h["feasible"]]
    warm = search(nxt, args, seed, start, tagged if args.history else [])
    return {"seed": seed, "month_M": picked(last), "cold": picked(cold), "warm": picked(warm)}


def main() -> None:
    from tunelab.study.schema import default_of

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--months", nargs=2, default=["2026-11", "2026-12"])
    p.add_argument("--explore", type=int, default=6)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--batch", type=int, default=3)
    p.add_argument("--carry", type=int, default=3)
    p.add_argument("--no-history", dest="history", action="store_false")
    p.add_argument("--acquisition", default=default_of("search", "then", "acquisition"))
    args = p.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.chdir(REPO)  # the study names its data relative to the repository
    import torch

    torch.set_num_threads(1)
    t0 = time.perf_counter()
    months = [Month(m) for m in args.months]
    results = [one_seed(months, args, s) for s in range(args.seeds)]
    report(months, args, results, time.perf_counter() - t0)


def report(months, args, results, seconds) -> None:
    n = args.explore + args.rounds * args.batch
    shared = {p.id for p in months[0].plan.periods} & {p.id for p in months[1].plan.periods}
    print(f"# warm start: {args.months[0]} -> {args.months[1]}; N = {n} per month ({args.explore} explored + "
          f"{args.rounds} x {args.batch}), carry {args.carry}, history {args.history}, acquisition "
          f"{args.acquisition}, {args.seeds} search seeds; periods {[p.id for p in months[0].plan.periods]} -> "
          f"{[p.id for p in months[1].plan.periods]} (shared: {sorted(shared) or 'none'})")
    print(machine())
    print("| seed | month M best | M+1 cold | M+1 warm |\n|---|---|---|---|")
    for r in results:
        print(f"| {r['seed']} | {r['month_M']:.4f} | {r['cold']:.4f} | {r['warm']:.4f} |")
    cold, warm = [r["cold"] for r in results], [r["warm"] for r in results]
    wins = sum(w < c for w, c in zip(warm, cold, strict=True))
    print(f"| median | {statistics.median(r['month_M'] for r in results):.4f} | {statistics.median(cold):.4f} | "
          f"{statistics.median(warm):.4f} |")
    print(f"\nwarm beats cold in {wins} of {len(results)} paired seeds (lower valid_mse is better); {seconds:.0f} s")


if __name__ == "__main__":
    main()
