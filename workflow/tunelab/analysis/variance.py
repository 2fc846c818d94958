"""The three variances of the playbook.

- Trial (retrain) variance: the spread of one trial over seeds, per period; pooled over the trials
  of the study it says how large a difference must be before it is more than seed noise.
- Data variance: the same trial across periods. Each trial is ranked within each period, and the
  ranks are compared between periods (Spearman per pair of periods, Kendall's W over all): a trial
  that is best in every period is a stronger result than one that is best on average.
- Study variance: `study_repeats: K` draws the search K times with K sampler seeds; the spread of
  the best objective found across the repeats says how much the result owes to the draw.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd

from tunelab.analysis.tables import jsonable, overall, per_period, period_ids, read_table
from tunelab.io import write_text
from tunelab.search.lcpredict import spearman


def pooled_retrain_std(trials: pd.DataFrame) -> dict:
    """Pooled over trials (weighted by degrees of freedom): per period and overall.

    Pooled over the better half of each period's trials (those worth comparing): a corner of the
    space that nearly diverges has a seed spread orders of magnitude larger and would swamp it.
    Only trials whose every seed trained count; a trial with one seed says nothing about spread.
    """
    rows = per_period(trials)
    rows = rows[(rows["feasible"] == rows["seeds"]) & (rows["feasible"] >= 2)]
    rank = rows.groupby("period")["objective_mean"].rank(method="first")
    size = rows.groupby("period")["objective_mean"].transform("count")
    rows = rows[rank <= np.ceil(size / 2)]
    dof = rows["feasible"] - 1
    var = dof * rows["objective_std"] ** 2

    def pooled(mask) -> float:
        d = dof[mask].sum()
        return float(np.sqrt(var[mask].sum() / d)) if d > 0 else float("nan")

    by_period = {p: pooled(rows["period"] == p) for p in sorted(rows["period"].unique())}
    return {"overall": pooled(np.ones(len(rows), bool)), "by_period": by_period,
            "trials": int(rows["trial"].nunique())}


def period_ranks(trials: pd.DataFrame) -> pd.DataFrame:
    """trial x period: the trial's rank (1 = best) among the trials feasible on that period."""
    rows = per_period(trials)
    rows = rows[rows["feasible"] == rows["seeds"]]
    table = rows.pivot(index="trial", columns="period", values="objective_mean")
    return table.rank(axis=0, method="min")


def rank_agreement(ranks: pd.DataFrame) -> dict:
    """How much the periods agree on the order of the trials.

    Spearman's rho for each pair of periods (on the trials ranked in both), their mean, and Kendall's
    W (coefficient of concordance, 0 = no agreement, 1 = the same order everywhere) over the trials
    ranked in every period.
    """
    periods = list(ranks.columns)
    pairs = []
    for a, b in itertools.combinations(periods, 2):
        both = ranks[[a, b]].dropna()
        # pandas' corr(method="spearman") gives the same floats but imports scipy.stats (0.5 s)
        rho = spearman(both[a], both[b]) if len(both) >= 3 else float("nan")
        pairs.append({"periods": [a, b], "spearman": rho, "trials": len(both)})
    rhos = [p["spearman"] for p in pairs if np.isfinite(p["spearman"])]
    complete = ranks.dropna()
    m, n = complete.shape[1], complete.shape[0]
    kendall_w = float("nan")
    if m >= 2 and n >= 3:
        r = complete.rank(axis=0).sum(axis=1)
        s = float(((r - r.mean()) ** 2).sum())
        kendall_w = 12 * s / (m**2 * (n**3 - n))
    return {"spearman_mean": float(np.mean(rhos)) if rhos else float("nan"), "pairs": pairs,
            "kendall_w": kendall_w, "trials": n, "periods": m}


def study_variance(trials: pd.DataFrame, plan: pd.DataFrame, repeats: int) -> dict:
    """The best objective found by each repeat of the search, and their spread."""
    if repeats < 2 or "repeats" not in plan.columns:
        return {"repeats": repeats, "measured": False}
    rows = overall(trials)
    drawn = {r: set() for r in range(repeats)}
    for trial, text in zip(plan["trial"], plan["repeats"], strict=True):
        for r in str(text).split():
            drawn.setdefault(int(r), set()).add(str(trial))
    best, best_trials = [], []
    for r in range(repeats):
        scores = rows.loc[rows.index.isin(drawn[r]), "objective_mean"].dropna()
        best.append(float(scores.min()) if len(scores) else float("nan"))
        best_trials.append(str(scores.idxmin()) if len(scores) else "")
    values = np.array(best, float)
    finite = values[np.isfinite(values)]
    return {
        "repeats": repeats, "measured": len(finite) >= 2, "best": best, "best_trials": best_trials,
        "std": float(np.std(finite, ddof=1)) if len(finite) >= 2 else float("nan"),
        "range": float(finite.max() - finite.min()) if len(finite) else float("nan"),
        "same_best": len(set(best_trials)) == 1,
    }


def variance_table(trials: pd.DataFrame) -> pd.DataFrame:
    """One row per trial: mean, retrain std, data (period) std, rank per period, mean rank."""
    rows = overall(trials)
    ranks = period_ranks(trials)
    table = pd.DataFrame({
        "trial": rows["trial"], "group": rows["group"],
        "objective_mean": rows["objective_mean"], "retrain_std": rows["objective_std"],
        "period_std": rows["period_std"],
    }).set_index("trial")
    table["mean_rank"] = ranks.mean(axis=1)
    table["best_in"] = (ranks == 1).sum(axis=1)
    table["best_in"] = table["best_in"].fillna(0).astype(int)
    for period in ranks.columns:
        table[f"rank_{period}"] = ranks[period]
    table = table.sort_values(["objective_mean", "mean_rank"], na_position="last", kind="stable")
    return table.reset_index()


def variance_summary(trials: pd.DataFrame, plan: pd.DataFrame, context: dict) -> dict:
    table = variance_table(trials)
    ranks = period_ranks(trials)
    agreement = rank_agreement(ranks)
    best = table.dropna(subset=["objective_mean"]).head(1)
    best_ranks = {}
    if len(best):
        trial = best["trial"].iloc[0]
        best_ranks = {p: ranks.at[trial, p] for p in ranks.columns if trial in ranks.index}
    return {
        "periods": period_ids(trials),
        "retrain_std": pooled_retrain_std(trials),
        "rank_agreement": agreement,
        "best_trial": best["trial"].iloc[0] if len(best) else None,
        "best_trial_ranks": best_ranks,
        "best_everywhere": bool(best_ranks) and all(r == 1 for r in best_ranks.values()),
        "study": study_variance(trials, plan, context.get("study_repeats", 1)),
    }


def variance_file(trials_csv: str, plan_csv: str, context: dict, out_csv: str, out_json: str) -> dict:
    """The variance rule: trials.csv + plan.csv -> variance.csv (per trial) + variance.json."""
    from tunelab.collect import write_table

    trials, plan = read_table(trials_csv), read_table(plan_csv)
    write_table(variance_table(trials), out_csv)
    summary = jsonable(variance_summary(trials, plan, context))
    write_text(out_json, json.dumps(summary, indent=1) + "\n")
    print(json.dumps(summary, indent=1))
    return summary
