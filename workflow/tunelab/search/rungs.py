"""Successive-halving rungs (and Hyperband's brackets), synchronous and reproducible.

A study with `search.fidelity` trains every trial of a bracket to the bracket's first rung (an epoch
budget), on every period and seed. A promotion then ranks the bracket's trials by the leaderboard's
objective at that rung (the mean over periods and seeds; a trial with an infeasible run ranks last
and is never promoted; ties go to the smaller trial id) and keeps the best 1/eta, whose runs go on
from their saved state (tunelab.train.loop.RunState) to the next rung. The last rung is the trial's
full epoch budget, so a trial that reaches it has exactly the run it would have had without rungs.

Promotion is a pure function of the finished rung: the same results give the same promotions on a
laptop, on SLURM and in CI, whatever finished first. Rung directories are named by their epoch
budget (results/<study>/rungs/e<epochs>/...), so changing `eta` or `min_epochs` keeps every rung
whose budget is unchanged, and a run continued from another rung is the same run anyway.

With `brackets: B > 1` the trials are split (in plan order) over B brackets, Hyperband's way: bracket
b starts at rung b with fewer trials, so a trial that learns slowly gets a longer first look.

Everything here is plain Python (parse time imports the plan part): no torch, no pandas.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from tunelab.study.resolved import Rungs

ROUNDING = 12  # objective means are rounded before ranking: sums in another order tie exactly


@dataclass(frozen=True)
class Bracket:
    index: int
    epochs: tuple[int, ...]  # each rung's epoch budget; the last one is the full budget
    trials: tuple[str, ...]  # the trials that start at its first rung, in plan order
    eta: int = 3
    group: str = ""  # the scientific values its trials share (per_scientific mode), else ""

    def keep(self, rung: int, entered: int) -> int:
        """How many of `entered` trials of rung `rung` go on (none from the last rung)."""
        if rung >= len(self.epochs) - 1:
            return 0
        return max(entered // self.eta, 1) if entered else 0


@dataclass(frozen=True)
class RungPlan:
    eta: int
    full_epochs: int
    brackets: tuple[Bracket, ...]
    stop_hopeless: bool = False

    def bracket_of(self, trial: str) -> Bracket:
        for b in self.brackets:
            if trial in b.trials:
                return b
        raise KeyError(f"trial {trial} is in no bracket of the rung plan")

    def previous_epochs(self, trial: str, epochs: int) -> int | None:
        """The rung a trial's run at `epochs` resumes from (None: its first rung)."""
        rungs = self.bracket_of(trial).epochs
        if epochs not in rungs:
            raise ValueError(f"trial {trial} has no rung of {epochs} epochs (its rungs: {list(rungs)})")
        i = rungs.index(epochs)
        return rungs[i - 1] if i else None

    def promotions(self) -> list[tuple[int, int]]:
        """(bracket, rung) of every promotion job, the last rung's included (it only ranks)."""
        return [(b.index, r) for b in self.brackets for r in range(len(b.epochs))]


def rung_epochs(min_epochs: int, eta: int, full: int) -> tuple[int, ...]:
    """min_epochs, min_epochs*eta, ... below the full budget, then the full budget."""
    epochs, e = [], min_epochs
    while e < full:
        epochs.append(e)
        e *= eta
    return (*epochs, full)


def bracket_sizes(trials: int, brackets: int, eta: int, rungs: int) -> list[int]:
    """Hyperband's trials per bracket (bracket b starts at rung b), scaled to `trials` in all."""
    s = rungs - 1
    weights = [math.ceil((s + 1) / (s - b + 1) * eta ** (s - b)) for b in range(brackets)]
    raw = [trials * w / sum(weights) for w in weights]
    sizes = [int(x) for x in raw]
    for i in sorted(range(brackets), key=lambda i: (sizes[i] - raw[i], i))[: trials - sum(sizes)]:
        sizes[i] += 1  # largest remainders first, ties to the earlier bracket
    return sizes


def make_rung_plan(fidelity: Rungs, full_epochs: int, trials: list[str],
                   groups: list[str] | None = None) -> RungPlan:
    """The rung plan of `search.fidelity` for trials of `full_epochs` epochs (plan order).

    `groups`: each trial's scientific values (per_scientific mode). Each value gets brackets of its
    own, so a promotion ranks a value's trials against each other only: every value takes its best
    nuisance settings to the full budget, and the isolation plot compares the values each at its
    best, the playbook's question. Ranked all together, one value's trials could take every place
    and the other value would end the study with no trial at the full budget."""
    eta = fidelity.eta
    epochs = rung_epochs(fidelity.min_epochs, eta, int(full_epochs))
    count = min(fidelity.brackets, len(epochs))
    brackets: list[Bracket] = []
    for group, members in split_groups(trials, groups):
        start = 0
        for b, size in enumerate(bracket_sizes(len(members), count, eta, len(epochs))):
            brackets.append(Bracket(len(brackets), epochs[b:], tuple(members[start:start + size]), eta, group))
            start += size
    return RungPlan(eta, int(full_epochs), tuple(brackets), fidelity.stop_hopeless)


def split_groups(trials: list[str], groups: list[str] | None) -> list[tuple[str, list[str]]]:
    """(group, its trials in plan order), groups in the order of their first trial; one group ""
    of every trial without `groups`."""
    out: dict[str, list[str]] = {}
    for trial, group in zip(trials, groups or [""] * len(trials), strict=True):
        out.setdefault(group, []).append(trial)
    return list(out.items())


def rung_sizes(plan: RungPlan) -> tuple[dict[int, int], float]:
    """The most trials that train to each rung's epochs (every bracket and group together), and
    the share of the epochs of training every trial fully that those rungs take."""
    counts: dict[int, int] = {}
    spent = 0
    for b in plan.brackets:
        entered, before = len(b.trials), 0
        for r, epochs in enumerate(b.epochs):
            counts[epochs] = counts.get(epochs, 0) + entered
            spent += entered * (epochs - before)
            entered, before = b.keep(r, entered), epochs
    trials = sum(len(b.trials) for b in plan.brackets)
    return dict(sorted(counts.items())), spent / (trials * plan.full_epochs) if trials else float("nan")


def rung_dir(study: str, epochs: int, period: str, trial: str, block: str) -> str:
    return f"results/{study}/rungs/e{epochs}/{period}/{trial}/{block}"


def promotion_path(study: str, bracket: int, rung: int) -> str:
    return f"results/{study}/rungs/b{bracket}/r{rung}.json"


def read_promotion(path: str) -> dict:
    """A promotion's output (read once while it is unchanged: the DAG's input functions ask for
    each one many times)."""
    from tunelab.io import read_cached

    return read_cached(path, json.load)


# ---- promotion: a pure function of a finished rung -------------------------------------------


def trial_scores(blocks: list[dict], objective: str) -> dict[str, dict]:
    """Per trial at one rung: the objective's mean over periods and seeds (NaN when any run is
    infeasible, as on the leaderboard), its retrain spread, epochs trained, runs."""
    runs: dict[str, list[dict]] = {}
    for block in blocks:
        runs.setdefault(block["trial"], []).extend({**r, "period": block["period"]} for r in block["runs"])
    scores = {}
    for trial in sorted(runs):  # sums in one order, whatever order the blocks came in
        rows = sorted(runs[trial], key=lambda r: (r["period"], r["seed"]))
        ok = all(r["status"] == "ok" and math.isfinite(r[objective]) for r in rows)
        per_period: dict[str, list[float]] = {}
        for r in rows:
            per_period.setdefault(r["period"], []).append(r[objective])
        means = [sum(v) / len(v) for v in per_period.values()]
        spread = [s for s in map(_std, per_period.values()) if math.isfinite(s)]  # one seed: unmeasured
        scores[trial] = {
            "objective": round(sum(means) / len(means), ROUNDING) if ok else float("nan"),
            "objective_std": math.sqrt(sum(s * s for s in spread) / len(spread)) if ok and spread else float("nan"),
            "feasible": ok,
            "epochs_run": sum(r["epochs_run"] for r in rows),
            "runs": len(rows),
            "reason": "" if ok else next(r["reason"] for r in rows if r["status"] != "ok"
                                          or not math.isfinite(r[objective])) or "not finite",
        }
    return scores


def rank(scores: dict[str, dict]) -> list[str]:
    """Trials best first: feasible by objective, ties by trial id; infeasible last, by id."""
    return sorted(scores, key=lambda t: (not scores[t]["feasible"],
                                         scores[t]["objective"] if scores[t]["feasible"] else 0.0, t))


def promote(scores: dict[str, dict], keep: int, predictions: dict[str, dict] | None = None,
            stop_hopeless: bool = False) -> list[dict]:
    """One row per trial of the rung, best first, with its decision: `promoted`, `stopped` (not in
    the best `keep`), `infeasible` (never promoted: a diverged run cannot go on), `hopeless` (in the
    best `keep`, but its predicted final objective cannot reach the rung's best within the retrain
    noise; only with stop_hopeless) or `final` (the last rung)."""
    predictions = predictions or {}
    order = rank(scores)
    leader = scores[order[0]] if order and scores[order[0]]["feasible"] else None
    rows = []
    for position, trial in enumerate(order, 1):
        s, p = scores[trial], predictions.get(trial, {})
        if keep == 0:
            decision = "final"
        elif not s["feasible"]:
            decision = "infeasible"
        elif position > keep:
            decision = "stopped"
        elif stop_hopeless and leader and position > 1 and hopeless(p, leader):
            decision = "hopeless"
        else:
            decision = "promoted"
        rows.append({"trial": trial, "rank": position, **s, "predicted": p.get("predicted", float("nan")),
                     "predicted_std": p.get("predicted_std", float("nan")), "decision": decision})
    return rows


def hopeless(prediction: dict, leader: dict) -> bool:
    """The prediction, even one uncertainty (spread over seeds) lower, stays above the rung's best
    trial as it stands now plus its retrain noise: it cannot catch up."""
    predicted, std = prediction.get("predicted", math.nan), prediction.get("predicted_std", math.nan)
    if not math.isfinite(predicted):
        return False
    noise = leader["objective_std"] if math.isfinite(leader["objective_std"]) else 0.0
    return predicted - (std if math.isfinite(std) else 0.0) > leader["objective"] + noise


def _std(values: list[float]) -> float:
    """The sample std; NaN (unmeasured, not 0) for one value, as in tunelab.collect.summarise."""
    if len(values) < 2:
        return float("nan")
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


# ---- the promote checkpoint and rungs.csv ----------------------------------------------------


def read_curves(path: str | Path, column: str) -> dict[int, list[float]]:
    """{seed: the column's values by epoch} from one block's curves.csv, without pandas."""
    import csv

    curves: dict[int, list[float]] = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            curves.setdefault(int(row["seed"]), []).append(float(row[column]))
    return curves


def promote_file(metrics: list[str], curves: list[str], context: dict, output: str) -> dict:
    """The promote checkpoint: a finished rung's blocks -> the rung's ranking and who goes on."""
    from tunelab.io import write_json
    from tunelab.search.lcpredict import predict_trials

    blocks = [json.loads(Path(p).read_text()) for p in metrics]
    column = "valid_loss" if context["objective"] == "valid_mse" else "valid_mae"
    by_trial: dict[str, dict[str, list[list[float]]]] = {}
    for block, path in zip(blocks, curves, strict=True):
        periods = by_trial.setdefault(block["trial"], {})
        periods.setdefault(block["period"], []).extend(read_curves(path, column).values())
    scores = trial_scores(blocks, context["objective"])
    predictions = predict_trials(by_trial, context["full_epochs"])
    rows = promote(scores, context["keep"], predictions, context["stop_hopeless"])
    out = {k: context[k] for k in ("bracket", "group", "rung", "epochs", "next_epochs", "keep") if k in context}
    out.update(promoted=[r["trial"] for r in rows if r["decision"] == "promoted"], trials=rows)
    write_json(output, out)
    for r in rows:
        print(f"rung {context['rung']} ({context['epochs']} epochs) #{r['rank']} {r['trial']} "
              f"{r['objective']:.4g} predicted {r['predicted']:.4g}: {r['decision']}")
    return out


def promote_context(plan: RungPlan, bracket: int, rung: int, objective: str, entered: int) -> dict:
    b = plan.brackets[bracket]
    last = rung == len(b.epochs) - 1
    return {"bracket": bracket, "rung": rung, "epochs": b.epochs[rung],
            "next_epochs": None if last else b.epochs[rung + 1], "keep": b.keep(rung, entered),
            "objective": objective, "full_epochs": plan.full_epochs,
            "stop_hopeless": plan.stop_hopeless, **({"group": b.group} if b.group else {})}


RUNG_COLUMNS = ["trial", "bracket", "rung", "epochs", "rank", "objective", "objective_std", "feasible",
                "decision", "predicted", "predicted_std", "final_objective", "epochs_run", "runs"]


def final_objectives(promotions: list[dict]) -> dict[str, float]:
    """{trial: its objective at the full budget} for the trials that reached the last rung."""
    return {r["trial"]: r["objective"] for p in promotions if p["next_epochs"] is None for r in p["trials"]}


def rungs_rows(promotions: list[dict]) -> list[dict]:
    """rungs.csv: one row per trial and rung it trained in, with the prediction made at that rung
    and the trial's outcome at the full budget (NaN for a trial stopped before it)."""
    final = final_objectives(promotions)
    rows = [{**r, "bracket": p["bracket"], "rung": p["rung"], "epochs": p["epochs"],
             "final_objective": final.get(r["trial"], float("nan"))}
            for p in promotions for r in p["trials"]]
    return sorted(rows, key=lambda r: (r["bracket"], r["rung"], r["rank"]))


def final_rungs(promotions: list[dict]) -> dict[str, int]:
    """{trial: the epoch budget of the last rung it trained in}."""
    last: dict[str, int] = {}
    for p in promotions:
        for r in p["trials"]:
            last[r["trial"]] = max(last.get(r["trial"], 0), p["epochs"])
    return last


def plan_summary(plan: RungPlan, periods: int, seeds: int) -> dict:
    """The rung plan as the rungs table needs it (a rule's params: plain values)."""
    return {"eta": plan.eta, "full_epochs": plan.full_epochs, "stop_hopeless": plan.stop_hopeless,
            "runs_per_trial": periods * seeds,
            "brackets": [{"bracket": b.index, "epochs": list(b.epochs), "trials": len(b.trials),
                          **({"group": b.group} if b.group else {})} for b in plan.brackets]}


def rungs_summary(promotions: list[dict], summary: dict) -> dict:
    """Compute spent against training every trial fully, who stopped where, and how well the
    curve predictor ranked the trials that reached the full budget."""
    from tunelab.search.lcpredict import accuracy

    last = final_rungs(promotions)
    runs, full = summary["runs_per_trial"], summary["full_epochs"]
    spent = sum(last.values()) * runs
    trained = sum(r["epochs_run"] for p in promotions for r in p["trials"]
                  if p["epochs"] == last[r["trial"]])
    first = [p for p in promotions if p["rung"] == 0]
    outcome = final_objectives(promotions)
    rows = [r for p in first for r in p["trials"]]
    leader = {p["bracket"]: next((r for r in p["trials"] if r["feasible"]), None) for p in first}
    would_stop = [bool(leader[p["bracket"]]) and r["feasible"] and r["rank"] > 1
                  and hopeless(r, leader[p["bracket"]]) for p in first for r in p["trials"]]
    acc = accuracy([r["predicted"] for r in rows], [outcome.get(r["trial"], math.nan) for r in rows],
                   would_stop)
    return {
        **summary,
        "trials": len(last),
        "budget_epochs": spent, "full_budget_epochs": len(last) * full * runs,
        "budget_share": spent / (len(last) * full * runs) if last else math.nan,
        "epochs_trained": trained,
        "per_rung": [{"bracket": p["bracket"], "group": p.get("group", ""), "rung": p["rung"], "epochs": p["epochs"],
                      "trials": len(p["trials"]), "promoted": len(p["promoted"]),
                      "stopped": {d: [r["trial"] for r in p["trials"] if r["decision"] == d]
                                  for d in ("stopped", "infeasible", "hopeless")}}
                     for p in promotions],
        "reached_full": sorted(t for t, e in last.items() if e == full),
        "predictor": {"from_epochs": sorted({p["epochs"] for p in first}), **acc},
    }


def rungs_markdown(s: dict) -> str:
    """The rungs section of the report."""
    ladders = dict.fromkeys(' -> '.join(map(str, b['epochs'])) for b in s['brackets'])
    groups = list(dict.fromkeys(b["group"] for b in s["brackets"] if b.get("group")))
    apart = (f" Each scientific value's trials are promoted among themselves ({', '.join(groups)}), "
             "so every value takes its best to the full budget." if len(groups) > 1 else "")
    lines = [f"## Rungs (successive halving, eta {s['eta']})", "",
             f"{s['trials']} trials; rungs of {'; '.join(ladders)} epochs.{apart} "
             f"Epoch budget spent: {s['budget_epochs']} of {s['full_budget_epochs']} "
             f"({s['budget_share']:.0%}) that training every trial fully would take; epochs "
             f"actually trained (early stopping included): {s['epochs_trained']}.", "",
             "| bracket | rung | epochs | trials | promoted | stopped by rank | infeasible | hopeless |",
             "|---|---|---|---|---|---|---|---|"]
    for r in s["per_rung"]:
        st = r["stopped"]
        bracket = f"{r['bracket']} ({r['group']})" if r.get("group") else r["bracket"]
        lines.append(f"| {bracket} | {r['rung']} | {r['epochs']} | {r['trials']} | {r['promoted']} "
                     f"| {' '.join(st['stopped']) or '-'} | {' '.join(st['infeasible']) or '-'} "
                     f"| {' '.join(st['hopeless']) or '-'} |")
    lines += ["", predictor_sentence(s["predictor"], s["stop_hopeless"]), ""]
    return "\n".join(lines)


PREDICTOR_PAIRS = 5  # fewer (prediction, outcome) pairs: a rank correlation is noise


def predictor_sentence(p: dict, stop_hopeless: bool) -> str:
    """How the learning-curve predictor did, or why it could not be scored."""
    state = f"stop_hopeless is {'on' if stop_hopeless else 'off'}."
    first = ", ".join(map(str, p["from_epochs"])) if isinstance(p["from_epochs"], list) else p["from_epochs"]
    if p["pairs"] < PREDICTOR_PAIRS or not math.isfinite(p["spearman"]):
        return (f"Learning-curve predictor (from the first {first} epochs of a run): not scored, "
                f"{p['pairs']} trial(s) both have a prediction and reached the full budget, and a "
                f"rank correlation needs {PREDICTOR_PAIRS} or more to say anything (over 3 it can "
                f"only be -1, -0.5, 0.5 or 1). {state}")
    return (f"Learning-curve predictor (from the first {first} epochs of a run), on the {p['pairs']} "
            "trials with a prediction and an outcome (only trials that reached the full budget have "
            "one: the rungs' survivors, a narrow and selected range): Spearman "
            f"{p['spearman']:.2f}; the stop_hopeless rule would "
            f"have stopped {p['stopped']} of them, {p['false_stops']} in the best third (false-stop "
            f"rate {p['false_stop_rate']:.0%}). {state}")


def rungs_file(paths: list[str], summary: dict, csv_out: str, json_out: str, md_out: str) -> dict:
    """The rungs_table rule: every promotion -> rungs.csv, rungs.json, rungs.md."""
    from tunelab.io import write_csv, write_json, write_text

    promotions = [json.loads(Path(p).read_text()) for p in paths]
    write_csv(csv_out, rungs_rows(promotions), RUNG_COLUMNS)
    result = rungs_summary(promotions, summary)
    write_json(json_out, result)
    md = rungs_markdown(result)
    write_text(md_out, md)
    print(md)
    return result
