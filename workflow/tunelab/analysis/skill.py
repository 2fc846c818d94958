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
from tunelab.fmt import fmt, listing

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
    """Feasible trials worse than the simple forecasts: negative skill (against the best simple
    baseline of each period, averaged), the measure the leaderboard's skill column shows, so the
    two never disagree; a trial without a skill (not on every period) by its mean over periods."""
    best = best_simple(baselines, objective)
    if best is None:
        return []
    rows = overall(trials).dropna(subset=["objective_mean"])
    rows = rows.sort_values(["objective_mean", "trial"], kind="stable")
    skill = rows["trial"].map(skill_scores(trials, baselines, objective)["skill"])
    worse = np.where(skill.notna(), skill < 0, rows["objective_mean"] > best[1])
    return rows.loc[worse, "trial"].tolist()


def period_losses(trials: pd.DataFrame, baselines: pd.DataFrame | None, objective: str
                  ) -> dict[str, list[str]]:
    """The trials that beat the simple forecasts on average (not `losers`) but lose to the best of
    them on some period: trial -> those periods, best trial first. A mean hides such a period; the
    decision names it for the candidate, and the leaderboard must not say every trial beats them."""
    reference = period_reference(baselines, objective)
    if reference.empty:
        return {}
    lose = set(losers(trials, baselines, objective))
    rows = per_period(trials)
    rows = rows[(rows["feasible"] == rows["seeds"]) & ~rows["trial"].isin(lose)]
    worse = rows[rows["objective_mean"] > rows["period"].map(reference).astype(float)]
    order = overall(trials).sort_values(["objective_mean", "trial"], kind="stable")["trial"]
    by_trial = worse.groupby("trial")["period"].apply(lambda s: sorted(s.astype(str)))
    return {t: by_trial[t] for t in order if t in by_trial.index}


IN_SKILL = ("in skill on average over periods (its error against the best simple forecast's on "
            "each period, so every period counts the same)")


def period_loss_count(losses: dict[str, list[str]], beating: int) -> str:
    """'All 12 trials that beat it in skill lose to the best simple forecast on a period', or
    '1 of the 5 trials ... loses ...': the trials of `losses` among the `beating` ones."""
    n = len(losses)
    subject = (f"All {n} trials" if n > 1 else "The one trial") if n == beating else \
        f"{n} of the {beating} trials"
    verb = "loses" if n == 1 else "lose"
    return f"{subject} that beat it in skill {verb} to the best simple forecast on a period"


def mean_disagreements(trials: pd.DataFrame, baselines: pd.DataFrame | None, objective: str
                       ) -> tuple[list[str], list[str]]:
    """Where skill and the plain mean over periods disagree about the best simple baseline:
    (behind) trials that beat it in skill (not `losers`) whose mean objective is no better than its
    mean, and (ahead) `losers` whose mean is better. The mean weighs the periods with larger errors
    more; skill weighs every period the same. Best trial first in each."""
    best = best_simple(baselines, objective)
    if best is None:
        return [], []
    lose = set(losers(trials, baselines, objective))
    rows = overall(trials).dropna(subset=["objective_mean"]).sort_values(["objective_mean", "trial"],
                                                                         kind="stable")
    behind = rows[(rows["objective_mean"] >= best[1]) & ~rows["trial"].isin(lose)]["trial"].tolist()
    ahead = rows[(rows["objective_mean"] < best[1]) & rows["trial"].isin(lose)]["trial"].tolist()
    return behind, ahead


def mean_disagreement_lines(trials: pd.DataFrame, baselines: pd.DataFrame | None, objective: str
                            ) -> list[str]:
    """The sentences that name `mean_disagreements` (none where they agree): the leaderboard and
    the checklist write them, tunelab.report.truth checks that a report has them."""
    behind, ahead = mean_disagreements(trials, baselines, objective)
    best = best_simple(baselines, objective)
    lead = f"By the mean {objective} over periods, which weighs the periods with larger errors more, "
    lines = []
    if behind:
        lines.append(lead + f"{label(best[0])}'s {fmt(best[1])} is still no worse than "
                     f"{_count(behind)} that beat it in skill ({listing(behind, 6)}).")
    if ahead:
        lines.append(lead + f"{_count(ahead)} worse than {label(best[0])} in skill "
                     f"{'are' if len(ahead) > 1 else 'is'} ahead of its {fmt(best[1])} ({listing(ahead, 6)}).")
    return lines


def _count(trials: list[str]) -> str:
    return f"{len(trials)} of the trials" if len(trials) > 1 else "one of the trials"


def period_loss_words(losses: dict[str, list[str]], limit: int = 6) -> str:
    """'on v2020-03: t1, t2 and 3 more; on v2020-03, v2020-06: t4': the trials by the periods lost."""
    groups: dict[str, list[str]] = {}
    for trial, periods in losses.items():
        groups.setdefault(", ".join(periods), []).append(trial)
    return "; ".join(f"on {periods}: {listing(trials, limit)}" for periods, trials in groups.items())


def read_baselines(path) -> pd.DataFrame | None:
    """baselines.csv, or None when there is none (a study run without its sanity rules)."""
    from tunelab.io import optional_input
    from tunelab.sanity.naive import read_baselines as read

    path = optional_input(path)  # a rule's input that may be an empty list
    frame = read(path) if path else None
    if frame is not None:
        frame["period"] = frame["period"].astype(str)
    return frame


# --- which aggregate behaves better: measured, not assumed ---------------------------------------


def period_matrix(trials: pd.DataFrame) -> pd.DataFrame:
    """trial x period: the objective (mean over seeds) of the trials feasible on every period."""
    rows = per_period(trials)
    rows = rows[rows["feasible"] == rows["seeds"]]
    return rows.pivot(index="trial", columns="period", values="objective_mean").dropna()


def influence(columns: pd.DataFrame) -> pd.Series:
    """Each period's share of the spread (variance across trials) of the mean over periods:
    cov(period, mean) / (periods x var(mean)); the shares sum to 1, and 1/periods each is even."""
    mean = columns.mean(axis=1)
    var = mean.var()
    n = columns.shape[1]
    return columns.apply(lambda c: c.cov(mean)) / (n * var) if var > 0 else columns.iloc[0] * np.nan


def leave_one_out(columns: pd.DataFrame) -> pd.Series:
    """Per period: Spearman of the trials' ranking by the mean over all periods with their ranking
    by the mean over the others; a low value means that one period decides the order."""
    full = columns.mean(axis=1)
    return pd.Series({p: full.corr(columns.drop(columns=p).mean(axis=1), method="spearman")
                      for p in columns.columns})


def aggregate_behaviour(trials: pd.DataFrame, baselines: pd.DataFrame, objective: str) -> dict:
    """The raw mean over periods against the mean skill: each period's share of the spread across
    trials (even is 1/periods), and leave-one-period-out rank stability (1 is stable)."""
    raw = period_matrix(trials)
    reference = period_reference(baselines, objective).reindex(raw.columns)
    skill = 1.0 - raw / reference
    out = {"trials": len(raw), "periods": list(raw.columns),
           "period_scale": {p: float(raw[p].median()) for p in raw.columns},
           "reference": {p: float(v) for p, v in reference.items()}}
    for name, columns in (("raw", raw), ("skill", skill)):
        share, stable = influence(columns), leave_one_out(columns)
        out[name] = {"influence": {p: float(v) for p, v in share.items()},
                     "max_influence": float(share.max()),
                     "leave_one_out": {p: float(v) for p, v in stable.items()},
                     "min_leave_one_out": float(stable.min())}
    out["spearman_raw_vs_skill"] = float(raw.mean(axis=1).corr(-skill.mean(axis=1),
                                                               method="spearman"))
    return out


def behaviour_lines(result: dict) -> list[str]:
    even = 1 / max(len(result["periods"]), 1)
    lines = [f"{result['trials']} trials feasible on all {len(result['periods'])} periods; "
             f"median objective per period: " + ", ".join(
                 f"{p} {v:.3g}" for p, v in result["period_scale"].items())]
    for name in ("raw", "skill"):
        r = result[name]
        top = max(r["influence"], key=r["influence"].get)
        lines.append(f"{name:>5}: largest share of the spread across trials {r['max_influence']:.2f} "
                     f"({top}; even would be {even:.2f}); leave-one-period-out rank stability, "
                     f"worst period {r['min_leave_one_out']:.2f}")
    lines.append(f"Spearman between the two rankings: {result['spearman_raw_vs_skill']:.2f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """python -m tunelab.analysis.skill results/<study>: measure both aggregates on a study."""
    import argparse
    import json
    from pathlib import Path

    from tunelab.analysis.tables import read_table

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("study_dir")
    parser.add_argument("--objective", default="valid_mse", choices=["valid_mse", "valid_mae"])
    args = parser.parse_args(argv)
    folder = Path(args.study_dir)
    result = aggregate_behaviour(read_table(folder / "trials.csv"),
                                 read_baselines(folder / "baselines.csv"), args.objective)
    print("\n".join(behaviour_lines(result)))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
