"""The checklist: warning signs a careful practitioner looks for before trusting a study.

Each item has a verdict (ok, note, warning, n/a), a sentence, details and the trials concerned:

- overfitting: validation loss rises after its best epoch while training loss still falls;
- noisy_late: the validation loss jumps from epoch to epoch late in training;
- still_improving: the best epoch is the last one and the loss was still falling (more steps may pay);
- saturated_early: the loss was within 1% of its best by half the planned epochs (fewer would do);
- infeasible: the fraction of runs that diverged or failed, and where in the space they lie;
- boundary: the best trials sit near an edge of the search space (see axis.boundary_check);
- suspicious_best: a best trial at an edge, with seeds that disagree, or far ahead of the rest;
- sampled_enough: the expected best objective against the number of trials (Dodge et al. 2019's
  expected validation performance, computed exactly): does doubling the trials still pay?
- simple_baselines: trials worse than the best simple baseline (persistence, training mean,
  linear) on the objective averaged over periods: they learned less than the obvious forecast;
  and (a note) those that beat it on average but lose to the best simple forecast on some period.
- cpu_paths: the runs trained on more than one CPU code path (machines with and without AVX-512,
  say): their numbers are not comparable bit for bit (tunelab.train.numerics, cpu_numerics).

Curve items judge a trial by its runs (periods x seeds): a trial is flagged when at least half of
its runs are. A flag on one of the study's best trials is a warning; on others only a note.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from tunelab.analysis.axis import boundary_check
from tunelab.analysis.skill import (
    IN_SKILL,
    best_simple,
    label,
    losers,
    mean_disagreement_lines,
    period_loss_count,
    period_loss_words,
    period_losses,
    read_baselines,
)
from tunelab.analysis.tables import (
    is_numeric,
    jsonable,
    overall,
    ranked,
    read_table,
    stopped_at_a_rung,
    unit_position,
)
from tunelab.analysis.variance import period_ranks, pooled_retrain_std
from tunelab.collect import PATH_COLUMN
from tunelab.fmt import fmt
from tunelab.io import write_text

OVERFIT_RISE = 0.05  # validation loss ends >5% above its best while training loss falls
NOISE = 0.02  # late validation loss: residual std around its trend >2% of its level
STILL_GAIN = 0.01  # still improving: >1% gain over the last quarter, best at the last epoch
SATURATED = 0.5  # saturated: within 1% of the best by half of the planned epochs
FLAGGED_RUNS = 0.5  # a trial is flagged when at least half of its runs are
TITLES = {
    "overfitting": "Problematic overfitting",
    "noisy_late": "High epoch-to-epoch variance late in training",
    "still_improving": "Still improving at the last epoch",
    "saturated_early": "Saturated early",
    "infeasible": "Infeasible trials",
    "boundary": "Best trials at the edge of the search space",
    "suspicious_best": "Suspicious best trial",
    "sampled_enough": "Search space sampled enough",
    "simple_baselines": "Worse than a simple baseline",
    "cpu_paths": "Runs on different CPU code paths",
}


@dataclass
class Item:
    key: str
    verdict: str  # ok | note | warning | n/a
    summary: str
    details: list[str] = field(default_factory=list)
    trials: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)

    @property
    def title(self) -> str:
        return TITLES[self.key]


# ---------------------------------------------------------------- curves


def run_features(curves: pd.DataFrame, planned: dict[str, int] | None = None) -> pd.DataFrame:
    """One row per run (period, trial, seed): the shape of its curves.

    best_epoch, epochs_run, planned; overfit_rise (validation at the end vs its best, relative),
    train_drop (training loss fall after the best epoch, relative); late_noise (residual std of the
    last third of the validation curve around its linear trend, relative); late_gain (the fall of
    the validation loss's linear trend over the last quarter, relative); reach (first epoch within
    1% of the best).
    """
    rows = []
    for (period, trial, seed), g in curves.groupby(["period", "trial", "seed"], sort=True):
        g = g.sort_values("epoch")
        valid, train = g["valid_loss"].to_numpy(float), g["train_loss"].to_numpy(float)
        n = len(valid)
        if n == 0 or not np.isfinite(valid).any():
            continue
        plan = int((planned or {}).get(trial, g["epoch"].max()))
        b = int(np.nanargmin(valid))
        best = valid[b]
        after = valid[b + 1:]
        rise = (np.mean(after[-3:]) - best) / best if len(after) else 0.0
        drop = (train[b] - train[-1]) / train[b] if len(after) and train[b] else 0.0
        third = valid[-max(math.ceil(n / 3), 4):] if n >= 6 else np.array([])
        noise = float("nan")
        if len(third) >= 4 and np.isfinite(third).all():
            t = np.arange(len(third))
            resid = third - np.polyval(np.polyfit(t, third, 1), t)
            noise = float(np.std(resid, ddof=2) / np.mean(third))
        quarter = valid[-max(math.ceil(n / 4), 3):]
        gain = 0.0
        if len(quarter) >= 3 and np.isfinite(quarter).all():  # the trend, not one lucky epoch
            slope = np.polyfit(np.arange(len(quarter)), quarter, 1)[0]
            gain = float(-slope * (len(quarter) - 1) / np.mean(quarter))
        rows.append({
            "period": period, "trial": trial, "seed": seed, "epochs_run": n, "planned": plan,
            "best_epoch": b + 1, "overfit_rise": float(rise), "train_drop": float(drop),
            "late_noise": noise, "late_gain": gain,
            "reach": int(np.argmax(valid <= best * 1.01)) + 1,
        })
    return pd.DataFrame(rows)


def flag_runs(features: pd.DataFrame) -> pd.DataFrame:
    """Boolean flags per run for the four curve items."""
    f = features
    return pd.DataFrame({
        "period": f["period"], "trial": f["trial"], "seed": f["seed"],
        "overfitting": (f["overfit_rise"] > OVERFIT_RISE) & (f["train_drop"] > 0),
        "noisy_late": f["late_noise"] > NOISE,
        "still_improving": (f["epochs_run"] >= f["planned"]) & (f["best_epoch"] >= f["epochs_run"] - 1)
        & (f["late_gain"] > STILL_GAIN) & (f["epochs_run"] >= 4),
        "saturated_early": (f["reach"] <= SATURATED * f["planned"]) & (f["planned"] >= 4),
    })


def top_trials(trials: pd.DataFrame) -> list[str]:
    """The study's best trials: the best of each group and the best fifth overall (at least 3)."""
    board = ranked(trials).dropna(subset=["objective_mean"])
    k = max(3, math.ceil(0.2 * len(board)))
    best_per_group = board.groupby("group", sort=False).head(1)["trial"].tolist()
    return list(dict.fromkeys(board["trial"].head(k).tolist() + best_per_group))


BUDGET_ITEMS = ("still_improving", "saturated_early")  # about the epoch budget a trial planned


def curve_items(curves: pd.DataFrame, trials: pd.DataFrame, planned: dict[str, int] | None = None,
                stopped: set[str] | frozenset = frozenset()) -> list[Item]:
    """The four curve items. `stopped`: trials a rung stopped before their planned epochs; what
    the budget items say (more epochs, fewer epochs) is not about them: the scheduler chose."""
    if curves.empty:
        return [Item(key, "n/a", "No training curves.") for key in
                ("overfitting", "noisy_late", "still_improving", "saturated_early")]
    features = run_features(curves, planned)
    flags = flag_runs(features)
    for key in BUDGET_ITEMS:
        flags.loc[flags["trial"].isin(stopped), key] = False
    share = flags.groupby("trial")[list(flags.columns[3:])].mean()
    top = top_trials(trials)
    items = []
    for key, what, advice in (
        ("overfitting", "validation loss ends more than 5% above its best while training loss "
         "still falls", "regularise (weight decay, dropout), stop earlier, or get more data"),
        ("noisy_late", "the late validation loss varies by more than 2% around its trend",
         "lower the final learning rate (decay schedule) or raise the batch size"),
        ("still_improving", "the best epoch is the last and the loss fell by more than 1% over "
         "the last quarter", "more epochs (training steps) may pay"),
        ("saturated_early", "the loss was within 1% of its best by half of the planned epochs",
         "fewer epochs would do: cheaper trials, or more of them"),
    ):
        flagged = share.index[share[key] >= FLAGGED_RUNS].tolist()
        flagged_top = [t for t in top if t in flagged]
        if key in BUDGET_ITEMS and stopped:
            what = f"{what} (of the trials trained to their planned epochs; {len(stopped)} a rung stopped are left out)"
        if flagged_top:
            verdict = "warning"
            summary = (f"{len(flagged_top)} of the {len(top)} best trials: {what}; {advice}.")
        elif flagged:
            verdict = "note"
            summary = f"{len(flagged)} trial(s), none of the best: {what}."
        else:
            verdict = "ok"
            summary = f"No trial: {what}."
        details = [f"{t}: {100 * share.at[t, key]:.0f}% of its runs" + (" (one of the best)"
                                                                        if t in top else "")
                   for t in sorted(flagged, key=lambda t: (t not in top, -share.at[t, key]))[:8]]
        if len(flagged) > 8:
            details.append(f"... and {len(flagged) - 8} more")
        column = {"overfitting": "overfit_rise", "noisy_late": "late_noise",
                  "still_improving": "late_gain", "saturated_early": "reach"}[key]
        per_trial = features.groupby("trial")[column].median()
        data = {"share": share[key].to_dict(), "median_" + column: per_trial.to_dict()}
        items.append(Item(key, verdict, summary, details, flagged, data))
    return items


# ---------------------------------------------------------------- the space


def infeasible_item(runs: pd.DataFrame, trials: pd.DataFrame, context: dict) -> Item:
    total = len(runs)
    bad = runs[runs["status"] != "ok"]
    if total == 0:
        return Item("infeasible", "n/a", "No runs.")
    if bad.empty:
        return Item("infeasible", "ok", f"All {total} runs trained to the end (no divergence).")
    bad_trials = sorted(bad["trial"].unique())
    rows = overall(trials)
    n_trials = len(rows)
    share = len(bad_trials) / max(n_trials, 1)
    details = [f"{len(bad)} of {total} runs ({100 * len(bad) / total:.0f}%) infeasible, in "
               f"{len(bad_trials)} of {n_trials} trials"]
    where = infeasible_region(rows, set(bad_trials), context)
    details += where
    reasons = bad["reason"].astype(str).str.replace(r" at epoch.*", "", regex=True).value_counts()
    details += [f"reason: {r} ({c} runs)" for r, c in reasons.head(3).items()]
    verdict = "warning" if share > 0.2 else "note"
    summary = (f"{len(bad_trials)} of {n_trials} trials ({100 * share:.0f}%) have infeasible runs"
               + (f"; {where[0]}" if where else "") + ".")
    return Item("infeasible", verdict, summary, details, bad_trials,
                {"runs": len(bad), "of_runs": total, "trials": len(bad_trials), "of_trials": n_trials})


def infeasible_region(rows: pd.DataFrame, bad: set[str], context: dict) -> list[str]:
    """Where the infeasible trials lie: the hyperparameter that separates them best."""
    is_bad = rows["trial"].isin(bad)
    found = []
    for name, info in context["space"].items():
        if name not in rows.columns or is_bad.all() or not is_bad.any():
            continue
        if is_numeric(info):
            values = rows[name].astype(float)
            pos = values.map(lambda v, info=info: unit_position(v, info) if pd.notna(v) else np.nan)
            gap = pos[is_bad].mean() - pos[~is_bad].mean()
            if abs(gap) >= 0.25:
                side = "high" if gap > 0 else "low"
                lo, hi = values[is_bad].min(), values[is_bad].max()
                ok_lo, ok_hi = values[~is_bad].min(), values[~is_bad].max()
                found.append((abs(gap), f"infeasible trials sit at {side} {name}: {fmt(lo)} to "
                                        f"{fmt(hi)} (feasible ones: {fmt(ok_lo)} to {fmt(ok_hi)})"))
        else:
            rate = is_bad.groupby(rows[name].astype(str)).mean()
            worst = rate.idxmax()
            if rate.max() >= 2 * is_bad.mean() and rate.max() > 0:
                found.append((rate.max() - is_bad.mean(),
                              f"{100 * rate.max():.0f}% of trials with {name} = {worst} are "
                              f"infeasible (all trials: {100 * is_bad.mean():.0f}%)"))
    return [text for _, text in sorted(found, reverse=True)]


def boundary_item(trials: pd.DataFrame, context: dict) -> Item:
    findings = boundary_check(trials, context)
    if not findings:
        return Item("boundary", "ok", "No group's best trial lies within 10% of an edge of a "
                    "searched range.")
    names = sorted({f["hp"] for f in findings})
    return Item("boundary", "warning",
                f"The best trial sits near an edge of {', '.join(names)}: widen the range there.",
                [f["message"] for f in findings], sorted({f["trial"] for f in findings}),
                {"findings": findings})


def suspicious_item(trials: pd.DataFrame, context: dict) -> Item:
    board = ranked(trials).dropna(subset=["objective_mean"])
    if board.empty:
        return Item("suspicious_best", "n/a", "No feasible trial.")
    best = board.iloc[0]
    # the spread of the other trials: the best's own seeds must not set the yardstick
    pooled = pooled_retrain_std(trials[trials["trial"] != best["trial"]])["overall"]
    warnings, notes = [], []
    for f in boundary_check(trials, context):  # other edges are the boundary item's
        if f["trial"] == best["trial"] and f["hp"] == "learning_rate" and f["edge"] == "upper":
            warnings.append(f"its learning_rate {fmt(f['value'])} is at the top of its range, "
                            "where training is close to unstable")
    if np.isfinite(pooled) and pooled > 0 and best["objective_std"] > 2 * pooled:
        warnings.append(f"its seeds disagree: retrain std {fmt(best['objective_std'])} is "
                        f"{best['objective_std'] / pooled:.1f}x the other trials' pooled "
                        f"{fmt(pooled)} (a lucky seed?)")
    if len(board) > 1 and np.isfinite(pooled) and pooled > 0:
        gap = board.iloc[1]["objective_mean"] - best["objective_mean"]
        if gap > 5 * pooled and gap > 0.05 * abs(best["objective_mean"]):
            warnings.append(f"it is far ahead of the runner-up ({fmt(gap)}, {gap / pooled:.0f}x "
                            "the retrain std): check it is real before trusting it")
    ranks = period_ranks(trials)
    if best["trial"] in ranks.index and ranks.shape[1] > 1:
        r = ranks.loc[best["trial"]]
        wins = int((r == 1).sum())
        if wins <= ranks.shape[1] / 2:
            notes.append(f"it is best on average but best on only {wins} of {ranks.shape[1]} "
                         f"periods (ranks {', '.join(str(int(x)) for x in r.dropna())})")
    details = warnings + notes
    if warnings:
        verdict, summary = "warning", f"The best trial {best['trial']}: " + "; ".join(warnings) + "."
    elif notes:
        verdict, summary = "note", f"The best trial {best['trial']}: " + "; ".join(notes) + "."
    else:
        verdict, summary = "ok", f"The best trial {best['trial']}: " + "; ".join(
            _unsuspicious(best, pooled, context)) + "."
    return Item("suspicious_best", verdict, summary, details, [best["trial"]])


def _unsuspicious(best: pd.Series, pooled: float, context: dict) -> list[str]:
    """What suspicious_item checked and found in order, said as such (its other edges are the
    boundary item's, so 'inside every range' is not its to say)."""
    said = []
    if "learning_rate" in context.get("space", {}):
        said.append("its learning_rate is below the top of its range")
    if np.isfinite(pooled) and pooled > 0 and pd.notna(best["objective_std"]):
        said.append(f"its retrain std {fmt(best['objective_std'])} is within 2x the other trials' "
                    f"pooled {fmt(pooled)}")
        said.append("it is not implausibly far ahead of the runner-up")
    return said or ["no retrain spread to weigh it against (one seed, or one trial)"]


def expected_best(values: np.ndarray, m: int) -> float:
    """The expected minimum of m trials drawn (with replacement) from the trials seen: exact."""
    v = np.sort(np.asarray(values, float))
    n = len(v)
    i = np.arange(1, n + 1)
    p = ((n - i + 1) / n) ** m - ((n - i) / n) ** m
    return float(np.sum(p * v))


def budget_curve(values: np.ndarray, max_m: int | None = None) -> list[dict]:
    """Expected best (and its spread) against the number of trials, m = 1 .. n (or max_m)."""
    v = np.sort(np.asarray(values, float))
    out = []
    for m in range(1, (max_m or len(v)) + 1):
        mean = expected_best(v, m)
        second = expected_best(v**2, m) if np.all(v >= 0) else float("nan")
        out.append({"trials": m, "expected_best": mean,
                    "std": float(math.sqrt(max(second - mean**2, 0.0))) if np.isfinite(second)
                    else float("nan")})
    return out


def _promoted_not_drawn(stopped: np.ndarray) -> Item:
    return Item("sampled_enough", "n/a", f"Not measured: the rungs stopped {int(stopped.sum())} "
                f"trial(s), so the {int((~stopped).sum())} trained fully were promoted for their "
                "rank, not drawn uniformly, and the expected best of half of them says nothing "
                "of half the budget (the rungs section shows what each rung kept).")


def sampled_item(trials: pd.DataFrame, context: dict) -> Item:
    """Would half the budget have found the same best? Over the exploration's uniform draws only
    (an adaptive round's trials are not); not measured where rungs stopped trials (the survivors
    were selected, and a rung's value is not the full budget's)."""
    rows = overall(trials).dropna(subset=["objective_mean"])
    left_out = len(rows)
    rows = rows[rows["phase"].fillna("exploration") == "exploration"] if "phase" in rows else rows
    if (stopped := stopped_at_a_rung(rows, context)).any():
        return _promoted_not_drawn(stopped)
    left_out -= len(rows)
    pooled = pooled_retrain_std(trials)["overall"]
    if len(rows) < 3:
        return Item("sampled_enough", "n/a", f"Only {len(rows)} feasible trial(s): too few to tell.")
    if not np.isfinite(pooled):
        return Item("sampled_enough", "n/a", "The retrain noise is unmeasured (one seed per trial "
                    "and period): there is no yardstick to say whether more trials would pay.")
    per_group = context["mode"] == "per_scientific" and bool(context["scientific"])
    groups = rows.groupby("group" if per_group else np.zeros(len(rows)), sort=True)
    verdicts, details, curves = [], [], {}
    for group, g in groups:
        v = g["objective_mean"].to_numpy(float)
        n = len(v)
        if n < 2:
            continue
        half = expected_best(v, max(n // 2, 1))
        full = expected_best(v, n)
        gain = half - full
        label = f"{group}: " if per_group else ""
        ratio = gain / pooled if np.isfinite(pooled) and pooled > 0 else float("inf")
        verdict = "ok" if ratio <= 0.5 else "note" if ratio <= 1 else "warning"
        verdicts.append(verdict)
        details.append(f"{label}{n} trials; expected best with {max(n // 2, 1)}: {fmt(half)}, with "
                       f"{n}: {fmt(full)}; the second half of the budget buys {fmt(gain)} "
                       f"({ratio:.1f}x the search's pooled retrain std {fmt(pooled)})")
        curves[str(group) if per_group else ""] = budget_curve(v)
    if not verdicts:
        return Item("sampled_enough", "n/a", "Too few trials per group to tell.")
    worst = "warning" if "warning" in verdicts else "note" if "note" in verdicts else "ok"
    summary = {
        "ok": "Halving the budget would find about the same best (within half the retrain std).",
        "note": "The second half of the budget bought about one retrain std: a few more trials "
                "may still help.",
        "warning": "The expected best still improves by more than the retrain std from half the "
                   "trials to all: more trials may pay.",
    }[worst]
    if left_out:
        summary += (f" (Over the exploration's uniform draws; {left_out} adaptive trial(s) left "
                    "out.)")
    return Item("sampled_enough", worst, summary, details, [], {"curves": curves})


def simple_baselines_item(trials: pd.DataFrame, baselines: pd.DataFrame | None,
                          context: dict) -> Item:
    best = best_simple(baselines, context["objective"])
    if best is None:
        return Item("simple_baselines", "n/a", "No simple baselines (baselines.csv) to compare with.")
    lose = losers(trials, baselines, context["objective"])
    name, value = label(best[0]), best[1]
    n = len(overall(trials).dropna(subset=["objective_mean"]))
    top = [t for t in top_trials(trials) if t in lose]
    rows = overall(trials)
    details = [f"{t}: {fmt(rows.at[t, 'objective_mean'])} against {name}'s {fmt(value)}"
               for t in lose[:8]] + ([f"... and {len(lose) - 8} more"] if len(lose) > 8 else [])
    if top:
        verdict = "warning"
        summary = (f"{len(lose)} of {n} trials, {len(top)} of them among the best, are worse than "
                   f"{name} ({fmt(value)}), the best simple baseline, in skill: the model learns less "
                   "than the obvious forecast; check the inputs, the scaling and the training budget.")
    elif lose:
        verdict = "note"
        summary = (f"{len(lose)} of {n} trials (none of the best) are worse than {name} "
                   f"({fmt(value)}), the best simple baseline, in skill.")
    else:
        verdict = "ok"
        summary = f"Every feasible trial beats {name} ({fmt(value)}), the best simple baseline, {IN_SKILL}."
    disagree = mean_disagreement_lines(trials, baselines, context["objective"])
    if disagree:
        verdict = "note" if verdict == "ok" else verdict
        summary += " " + " ".join(disagree)
    losses = period_losses(trials, baselines, context["objective"])
    if losses:
        verdict = "note" if verdict == "ok" else verdict
        summary += f" {period_loss_count(losses, n - len(lose))} ({period_loss_words(losses)})."
    return Item("simple_baselines", verdict, summary, details, lose,
                {"baseline": best[0], "value": value})


# ---------------------------------------------------------------- the page


def run_checklist(trials: pd.DataFrame, runs: pd.DataFrame, curves: pd.DataFrame,
                  context: dict, baselines: pd.DataFrame | None = None) -> list[Item]:
    planned = {}
    if "epochs" in runs.columns:
        planned = runs.drop_duplicates("trial").set_index("trial")["epochs"].astype(int).to_dict()
    board = overall(trials)
    stopped = set(board.loc[stopped_at_a_rung(board, context), "trial"])
    return [
        *curve_items(curves, trials, planned, stopped),
        infeasible_item(runs, trials, context),
        boundary_item(trials, context),
        suspicious_item(trials, context),
        sampled_item(trials, context),
        simple_baselines_item(trials, baselines, context),
        cpu_paths_item(runs),
    ]


MARK = {"ok": "ok", "note": "note", "warning": "**WARNING**", "n/a": "n/a"}


def cpu_paths_item(runs: pd.DataFrame) -> Item:
    """Whether every run trained on one code path (runs.csv's cpu_path, where tunelab's loop
    recorded it): runs from machines whose kernels round apart do not repeat each other."""
    known = runs.dropna(subset=[PATH_COLUMN]) if PATH_COLUMN in runs.columns else runs.iloc[:0]
    if known.empty:
        return Item("cpu_paths", "n/a", "No run recorded its CPU code path (a training command's, or "
                    "trained before tunelab recorded it).")
    counts = known[PATH_COLUMN].astype(str).value_counts()
    if len(counts) == 1:
        return Item("cpu_paths", "ok", f"All {len(known)} runs that recorded it trained on one code path "
                    f"({counts.index[0]}).")
    mixed = sorted(t for t, g in known.groupby("trial") if g[PATH_COLUMN].nunique() > 1)
    paths = ", ".join(f"{p}: {n} runs" for p, n in counts.items())
    return Item("cpu_paths", "warning", f"The runs trained on {len(counts)} CPU code paths ({paths}): "
                "a run repeated on the other path gives other numbers, so differences between "
                "trials may be partly the machines'; set cpu_numerics: avx2 (every run retrains) "
                "or train the study on one kind of machine.",
                [f"{len(mixed)} trials have runs on more than one path"] if mixed else [], mixed,
                {"paths": counts.to_dict()})


def checklist_markdown(items: list[Item], context: dict) -> str:
    lines = [f"# Checklist: {context['study']}", "",
             "| check | verdict | in short |", "|---|---|---|"]
    lines += [f"| {i.title} | {MARK[i.verdict]} | {i.summary} |" for i in items]
    for i in items:
        lines += ["", f"### {i.title}: {i.verdict}", "", i.summary]
        if i.details:
            lines += [""] + [f"- {d}" for d in i.details]
    lines += ["", "Thresholds: overfitting = validation loss ends >5% above its best while training "
              "loss falls; noisy = late validation residual std >2% of its level; still improving = "
              "best at the last epoch and >1% gain over the last quarter; saturated = within 1% of "
              "the best by half of the planned epochs; a trial is flagged when half of its runs are; "
              "edge = within 10% of a range's width (in its scaling).", ""]
    return "\n".join(lines)


def checklist_file(trials_csv: str, runs_csv: str, curves_parquet: str, context: dict,
                   out_md: str, out_json: str, baselines_csv: str | None = None) -> list[Item]:
    """The checklist rule: trials.csv + runs.csv + curves.parquet (+ baselines.csv) ->
    checklist.md, checklist.json."""
    trials, runs = read_table(trials_csv), read_table(runs_csv)
    curves = pd.read_parquet(curves_parquet)
    curves["period"], curves["trial"] = curves["period"].astype(str), curves["trial"].astype(str)
    items = run_checklist(trials, runs, curves, context, read_baselines(baselines_csv))
    write_text(out_md, checklist_markdown(items, context))
    payload = [{**asdict(i), "title": i.title} for i in items]
    write_text(out_json, json.dumps(jsonable(payload), indent=1) + "\n")
    for i in items:
        print(f"{i.verdict:8s} {i.title}: {i.summary}")
    return items
