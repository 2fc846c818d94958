"""Reading the study's tables, and the small helpers every analysis module shares."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from tunelab.fmt import fmt


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV written by tunelab: empty cells are missing, `group` "" stays a string."""
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    for col in ("group", "reason", "repeats"):
        if col in frame.columns:
            frame[col] = frame[col].astype(object).fillna("").astype(str)  # an all-empty column reads as float
    for col in ("trial", "period"):
        if col in frame.columns:
            frame[col] = frame[col].astype(str)
    return frame


def natural_key(label: str):
    """'hidden_size=32' before 'hidden_size=256': numbers in a label compare as numbers."""
    return [(0, float(t), "") if re.fullmatch(r"-?[0-9.]+(e-?[0-9]+)?", t) else (1, 0.0, t)
            for t in re.split(r"[=,]", str(label))]


def overall(trials: pd.DataFrame) -> pd.DataFrame:
    """The across-period rows of trials.csv (period == 'all'), indexed by trial."""
    rows = trials[trials["period"] == "all"].set_index("trial", drop=False)
    rows.index.name = None  # the column stays the one to sort and group by
    return rows


def per_period(trials: pd.DataFrame) -> pd.DataFrame:
    return trials[trials["period"] != "all"]


def period_ids(trials: pd.DataFrame) -> list[str]:
    return sorted(per_period(trials)["period"].unique())


def ranked(trials: pd.DataFrame) -> pd.DataFrame:
    """Overall rows, best first (infeasible trials last, by id for a stable order)."""
    rows = overall(trials)
    return rows.sort_values(["objective_mean", "trial"], na_position="last", kind="stable")


def stopped_at_a_rung(trials: pd.DataFrame, context: dict) -> np.ndarray:
    """With rungs (search.fidelity): the rows of trials that stopped before the full budget
    (context["full_epochs"]); their value is the one at their last rung. Never a candidate, and
    drawn apart. A trial trained outside the rungs (an adaptive round's) has no rung_epochs."""
    full = context.get("full_epochs")
    if not full or "rung_epochs" not in trials.columns:
        return np.zeros(len(trials), bool)
    return (trials["rung_epochs"] < full).to_numpy(bool)


def unit_position(value: float, info: dict) -> float:
    """Where `value` lies in a numeric search range, 0 (min) to 1 (max), in the range's scaling."""
    low, high = info["low"], info["high"]
    if info["kind"] == "categorical":
        points = sorted(info["points"])
        return points.index(value) / max(len(points) - 1, 1)
    if info["scaling"] == "log":
        return (math.log(value) - math.log(low)) / (math.log(high) - math.log(low))
    return (value - low) / (high - low)


def is_numeric(info: dict) -> bool:
    if info["kind"] in ("continuous", "integer"):
        return True
    return all(isinstance(p, int | float) and not isinstance(p, bool) for p in info["points"])


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub Markdown table (no tabulate dependency)."""
    cols = list(frame.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(fmt(v) if not isinstance(v, str) else v for v in row) + " |")
    return "\n".join(lines)


def varying_columns(trials: pd.DataFrame, context: dict) -> list[str]:
    """Hyperparameter columns that vary in the study (the searched ones present in the table)."""
    return [name for name in context["space"] if name in trials.columns]


def jsonable(obj):
    """numpy/pandas scalars -> plain Python, NaN -> None: for json.dumps."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
