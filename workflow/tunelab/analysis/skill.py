"""The trials against the simple baselines (persistence, training mean, linear: baselines.csv).

- Who loses to the obvious thing: a trial whose objective, averaged over periods, is worse than the
  best simple baseline's is flagged in the leaderboard and the checklist.
- Skill, a scale-free score per period as forecasters use it: skill = 1 - error / error of the best
  simple baseline on that period (the best of the three, chosen per period). 0 is as good as the
  obvious thing, 1 is perfect, below 0 is worse. Averaged over periods, a hard month whose errors
  are seven times the others' counts once, not seven times, as it does in the raw mean.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from tunelab.analysis.tables import overall, per_period

LABELS = {"persistence": "persistence", "training_mean": "training mean", "linear": "linear"}


def label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " "))


def period_reference(baselines: pd.DataFrame | None, objective: str) -> pd.Series:
    """Per period: the best simple baseline's objective (the yardstick of skill)."""
    if baselines is None or baselines.empty:
        return pd.Series(dtype=float)
    rows = baselines[baselines["period"].astype(str) != "all"]
    return rows.groupby(rows["period"].astype(str))[objective].min()


def best_simple(baselines: pd.DataFrame | None, objective: str) -> tuple[str, float] | None:
    """The simple baseline with the best objective averaged over periods, and that average."""
    if baselines is None or baselines.empty:
        return None
    rows = baselines[baselines["period"].astype(str) != "all"]
    means = rows.groupby("baseline")[objective].mean().dropna()
    if means.empty:
        return None
    return str(means.idxmin()), float(means.min())


def skill_scores(trials: pd.DataFrame, baselines: pd.DataFrame | None, objective: str
                 ) -> pd.DataFrame:
    """Per trial: `skill` (mean over periods of 1 - error / best simple baseline's error) and
    `skill_worst` (its worst period). Missing where the trial failed on some period (as its
    objective_mean is) or where no baseline covers a period."""
    reference = period_reference(baselines, objective)
    rows = per_period(trials)
    value = 1.0 - rows["objective_mean"] / rows["period"].map(reference)
    complete = (rows["feasible"] == rows["seeds"]) & value.notna()
    frame = pd.DataFrame({"trial": rows["trial"], "skill": value.where(complete)})
    grouped = frame.groupby("trial", sort=False)["skill"]
    out = pd.DataFrame({"skill": grouped.mean(), "skill_worst": grouped.min()})
    incomplete = grouped.apply(lambda s: s.isna().any())
    out.loc[incomplete, ["skill", "skill_worst"]] = np.nan
    return out


def baseline_rows(baselines: pd.DataFrame | None, objective: str) -> pd.DataFrame:
    """One row per simple baseline, shaped like the leaderboard's: objective (mean over periods),
    skill against the best baseline of each period, period std and worst period."""
    if baselines is None or baselines.empty:
        return pd.DataFrame(columns=["baseline", "objective_mean", "skill", "period_std",
                                     "worst_period"])
    reference = period_reference(baselines, objective)
    rows = baselines[baselines["period"].astype(str) != "all"]
    out = []
    for name, g in rows.groupby("baseline", sort=False):
        values = g[objective].to_numpy(float)
        skill = 1.0 - values / g["period"].astype(str).map(reference).to_numpy(float)
        out.append({"baseline": name, "objective_mean": float(np.mean(values)),
                    "skill": float(np.mean(skill)),
                    "period_std": float(np.std(values, ddof=1)) if len(values) > 1 else math.nan,
                    "worst_period": float(np.max(values))})
    return pd.DataFrame(out).sort_values("objective_mean", kind="stable").reset_index(drop=True)


def losers(trials: pd.DataFrame, baselines: pd.DataFrame | None, objective: str) -> list[str]:
    """Feasible trials whose objective (mean over periods) is worse than the best simple baseline's."""
    best = best_simple(baselines, objective)
    if best is None:
        return []
    rows = overall(trials).dropna(subset=["objective_mean"])
    rows = rows.sort_values(["objective_mean", "trial"], kind="stable")
    return rows.loc[rows["objective_mean"] > best[1], "trial"].tolist()


def read_baselines(path) -> pd.DataFrame | None:
    """baselines.csv, or None when there is none (a study run without its sanity rules)."""
    from tunelab.sanity.naive import read_baselines as read

    frame = read(path) if path else None
    if frame is not None:
        frame["period"] = frame["period"].astype(str)
    return frame
