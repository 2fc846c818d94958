"""Benchmark (d): successive-halving rungs against training every trial fully, and the
learning-curve predictor's accuracy, on the embedded Beijing PM2.5 data.

    python benchmarks/rungs.py                    # params/rungs.yaml, reduced to fit a 2-core box
    python benchmarks/rungs.py --periods 2 --train-months 6   # params/rungs.yaml as it is

The study is params/rungs.yaml (27 trials of a joint quasi-random search, eta 3), reduced by default
so that both sides together take a few minutes: the study's rungs (3, 9 and 27 epochs, eta 3) and
27 trials, but one period instead of two and 2 months of training data instead of 6 (`--help` for
the knobs). Both sides run in this one process, one after the other, on one torch thread, from the
same prepared data:
- full: every trial trained for the full budget on every period and seed;
- rungs: every trial to rung 0, promotion (tunelab.search.rungs.promote: best 1/eta by the mean
  over periods and seeds), the promoted runs resumed from their saved state to the next rung, ...
It reports the share of epochs the rungs spent, the wall-time ratio, whether the best trial is the
same (or within the retrain noise of the best), and checks that every run the rungs took to the full
budget is bit for bit the full side's run. The predictor (tunelab.search.lcpredict) is measured on
the full side, where every trial has an outcome: Spearman correlation of the prediction from the
first k epochs with the final objective, and the false-stop rate of the stop_hopeless rule at rung 0.
Wall times are noisy on a shared machine; the ratio is measured within one run.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import torch
from _common import REPO, cleanup, machine, scratch
from tunelab.data.dataset import prepare_file, time_span
from tunelab.data.windows import load_prepared, period_data
from tunelab.search.lcpredict import accuracy, predict_trials, spearman
from tunelab.search.plan import make_plan, resolve_month
from tunelab.search.rungs import hopeless, make_rung_plan, promote, trial_scores
from tunelab.study import load_study
from tunelab.train.loop import train_run


def load(args):
    overrides = {"periods": {"count": args.periods, "train_months": args.train_months},
                 "hyperparameters": {"epochs": args.epochs},
                 "search": {"fidelity": {"min_epochs": args.min_epochs, "eta": args.eta}},
                 "seeds": args.seeds}
    study = load_study(REPO / "params" / "rungs.yaml", overrides=overrides)
    start, end, _ = time_span(study.section("dataset"))
    plan = make_plan(study, start, end, resolve_month(study))
    trials = [t for t in plan.trials][: args.trials]
    return study, plan, trials


def block(trial, period, results):
    return {"trial": trial.id, "period": period, "runs": [r["metrics"] for r in results]}


def train_all(trials, datas, study, stop_epoch=None, saved=None):
    """Every (trial, period, seed) run to `stop_epoch`, from `saved` states where given."""
    out = {}
    for t in trials:
        for pid, data in datas.items():
            out[t.id, pid] = [
                train_run(data, study.architecture, t.values, study.task.lags, seed,
                          torch.device("cpu"), stop_epoch, (saved or {}).get((t.id, pid, seed)))
                for seed in study.seeds]
    return out


def run_full(trials, datas, study):
    start, cpu = time.perf_counter(), time.process_time()
    results = train_all(trials, datas, study)
    return results, time.perf_counter() - start, time.process_time() - cpu


def run_rungs(trials, datas, study, rung_plan, objective):
    """Successive halving in one process, through the same promotion as the checkpoint."""
    (bracket,) = rung_plan.brackets
    start, cpu = time.perf_counter(), time.process_time()
    entered, states, epochs_spent, history = list(trials), {}, 0, []
    final = {}
    for r, epochs in enumerate(bracket.epochs):
        results = train_all(entered, datas, study, epochs, states)
        for (tid, pid), runs in results.items():
            for res in runs:
                states[tid, pid, res["metrics"]["seed"]] = res["run_state"]
            final[tid, pid] = runs
        epochs_spent += len(entered) * len(datas) * len(study.seeds) * epochs
        scores = trial_scores([block(t, p, results[t.id, p]) for t in entered for p in datas], objective)
        rows = promote(scores, bracket.keep(r, len(entered)))
        history.append({"rung": r, "epochs": epochs, "trials": len(entered),
                        "promoted": [x["trial"] for x in rows if x["decision"] == "promoted"]})
        keep = set(history[-1]["promoted"])
        entered = [t for t in entered if t.id in keep]
    return final, history, epochs_spent, time.perf_counter() - start, time.process_time() - cpu


def objective_of(results, trials, datas, objective):
    blocks = [block(t, p, results[t.id, p]) for t in trials for p in datas]
    return trial_scores(blocks, objective)


def predictor(full, trials, datas, study, k_values, objective, column):
    """Predictions from the first k epochs of the full runs, against their outcomes."""
    final = objective_of(full, trials, datas, objective)
    outcome = [final[t.id]["objective"] for t in trials]
    out = []
    for k in k_values:
        curves = {t.id: {p: [[row[column] for row in res["curve"][:k]] for res in full[t.id, p]]
                         for p in datas} for t in trials}
        pred = predict_trials(curves, study.hyperparameters["epochs"])
        at_k = trial_scores([{"trial": t.id, "period": p, "runs": [_truncated(res, k, objective, column)
                                                                    for res in full[t.id, p]]}
                             for t in trials for p in datas], objective)
        order = sorted((s for s in at_k.values() if s["feasible"]), key=lambda s: s["objective"])
        leader = order[0] if order else None
        stops = [bool(leader) and at_k[t.id]["feasible"] and at_k[t.id] is not leader
                 and hopeless(pred[t.id], leader) for t in trials]
        acc = accuracy([pred[t.id]["predicted"] for t in trials], outcome, stops)
        seen = spearman([at_k[t.id]["objective"] for t in trials], outcome)
        out.append({"k": k, **acc, "spearman_observed_at_k": seen,
                    "would_stop": [t.id for t, s in zip(trials, stops, strict=True) if s]})
    return out


def beyond_rank(pred: list[dict], history: list[dict]) -> None:
    """Which of the trials stop_hopeless would stop at a rung that rung had promoted (the only
    ones the rule acts on: the others were stopped by rank anyway)."""
    for p in pred:
        rung = next((h for h in history if h["epochs"] == p["k"]), None)
        p["beyond_rank"] = [t for t in p["would_stop"] if rung and t in rung["promoted"]]


def _truncated(res, k, objective, column):
    """A full run's metrics as they stood after k epochs (best epoch so far)."""
    values = [row[column] for row in res["curve"][:k]]
    ok = res["metrics"]["status"] == "ok" or (values and all(math.isfinite(v) for v in values))
    best = min(values) if values and ok else float("nan")
    return {"seed": res["metrics"]["seed"], "status": "ok" if math.isfinite(best) else "infeasible",
            "reason": "", objective: best, "epochs_run": len(values)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=27)
    parser.add_argument("--epochs", type=int, default=27)
    parser.add_argument("--min-epochs", type=int, default=3)
    parser.add_argument("--eta", type=int, default=3)
    parser.add_argument("--periods", type=int, default=1)
    parser.add_argument("--train-months", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--out", default="", help="also write the figures as JSON here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    study, plan, trials = load(args)
    objective = study.objective
    column = "valid_loss" if objective == "valid_mse" else "valid_mae"
    rung_plan = make_rung_plan(study.search.fidelity, args.epochs, [t.id for t in trials])
    root = scratch("rungs")
    try:
        prepared = root / "data" / "prepared.parquet"
        prepare_file(study.section("dataset"), prepared)
        frame = load_prepared(str(prepared))
        datas = {p.id: period_data(frame, p.windows(), study.task.lags, study.task.horizon)
                 for p in plan.periods}
    finally:
        cleanup(root)
    print(f"{machine()}; {len(trials)} trials x {len(datas)} period(s) x {len(study.seeds)} seeds; "
          f"rungs {rung_plan.brackets[0].epochs} epochs, eta {args.eta}", flush=True)

    full, full_wall, full_cpu = run_full(trials, datas, study)
    rung_final, history, rung_epochs, rung_wall, rung_cpu = run_rungs(trials, datas, study, rung_plan,
                                                                      objective)

    full_scores = objective_of(full, trials, datas, objective)
    last_rung = set(history[-2]["promoted"]) if len(history) > 1 else {t.id for t in trials}
    finalists = [t for t in trials if t.id in last_rung]  # the trials that reached the full budget
    same_runs = all(
        [{k: v for k, v in r["metrics"].items() if k != "train_time"} for r in rung_final[t.id, p]]
        == [{k: v for k, v in r["metrics"].items() if k != "train_time"} for r in full[t.id, p]]
        for t in finalists for p in datas)
    feasible = {t: s for t, s in full_scores.items() if s["feasible"]}
    best_full = min(feasible, key=lambda t: (feasible[t]["objective"], t))
    rung_scores = {t.id: full_scores[t.id] for t in finalists if full_scores[t.id]["feasible"]}
    best_rungs = min(rung_scores, key=lambda t: (rung_scores[t]["objective"], t)) if rung_scores else None
    gap = rung_scores[best_rungs]["objective"] - feasible[best_full]["objective"] if best_rungs else math.nan
    noise = feasible[best_full]["objective_std"]
    full_epochs = len(trials) * len(datas) * len(study.seeds) * args.epochs
    full_trained = sum(r["metrics"]["epochs_run"] for runs in full.values() for r in runs)
    rung_trained = sum(r["metrics"]["epochs_run"] for runs in rung_final.values() for r in runs)
    k_values = sorted({*rung_plan.brackets[0].epochs[:-1], max(3, args.min_epochs)})
    pred = predictor(full, trials, datas, study, k_values, objective, column)
    beyond_rank(pred, history)
    result = {
        "trials": len(trials), "periods": len(datas), "seeds": len(study.seeds), "eta": args.eta,
        "rungs": list(rung_plan.brackets[0].epochs), "history": history,
        "epoch_budget_share": rung_epochs / full_epochs,
        "full_epochs_trained": full_trained, "rung_epochs_trained": rung_trained,
        "trained_share": rung_trained / full_trained,
        "wall_full_s": round(full_wall, 1), "wall_rungs_s": round(rung_wall, 1),
        "wall_ratio": rung_wall / full_wall, "cpu_full_s": round(full_cpu, 1),
        "cpu_rungs_s": round(rung_cpu, 1), "cpu_ratio": rung_cpu / full_cpu,
        "best_full": best_full, "best_rungs": best_rungs, "best_same": best_full == best_rungs,
        "best_gap": gap, "retrain_noise": noise, "within_noise": bool(gap <= noise),
        "finalist_runs_identical_to_full_runs": same_runs,
        "predictor": pred,
    }
    print(json.dumps(result, indent=1))
    print(f"\nepoch budget of the rungs: {result['epoch_budget_share']:.0%} of training all fully; "
          f"epochs actually trained (early stopping on both sides): {rung_trained} / {full_trained} "
          f"= {result['trained_share']:.0%}; rungs/full wall time {result['wall_ratio']:.2f}, "
          f"CPU time {result['cpu_ratio']:.2f}")
    print(f"best trial: full {best_full}, rungs {best_rungs} (gap {gap:.4g}, retrain noise {noise:.4g})")
    for p in pred:
        print(f"predictor from {p['k']} epochs: Spearman {p['spearman']:.2f} (observed-at-k "
              f"{p['spearman_observed_at_k']:.2f}); stop_hopeless would stop {p['stopped']}, "
              f"{p['false_stops']} in the best third (false-stop rate {p['false_stop_rate']:.0%}), "
              f"{len(p['beyond_rank'])} of them promoted by rank at that rung")
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
