"""Axis plots (objective against one hyperparameter, one point per trial) and the boundary check.

An axis plot shows, for every hyperparameter that varies in the study, each trial's objective (the
best validation value over training, averaged over periods) with its retrain spread as an error
bar; a log axis for log-scaled hyperparameters; infeasible trials as red X along the top; the best
trial marked; the search range's edges as dashed lines.

The boundary check asks whether the best trials sit near an edge of the search space: if so, the
best value may lie outside it. It says which edge, by how much, and what range to try next.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from tunelab.analysis.tables import (
    is_numeric,
    natural_key,
    overall,
    read_table,
    stopped_at_a_rung,
    unit_position,
)
from tunelab.fmt import fmt
from tunelab.study.space import round_sig

EDGE = 0.1  # a best value within 10% of a range's width (in its scaling) of an edge is "near" it
TOP = 3  # the best trials of a group that the boundary check also looks at


def _get_axis_info(trials: pd.DataFrame, name: str, context: dict) -> dict:
    """The data of one axis plot."""
    info = context["space"][name]
    rows = overall(trials)
    rows = rows[rows[name].notna()] if name in rows.columns else rows.iloc[:0]
    numeric = info["kind"] in ("continuous", "integer")
    if numeric:
        x = rows[name].astype(float).to_numpy()
        ticks = None
    else:  # feasible points: one position each (sorted if numeric), the groups side by side
        points = sorted(info["points"]) if is_numeric(info) else list(info["points"])
        labels = [fmt(p) for p in points]
        x = _spread(np.array([labels.index(fmt(v)) for v in rows[name]], float),
                    rows["group"].tolist())
        ticks = labels
    y = rows["objective_mean"].to_numpy(float)
    err = rows["objective_std"].fillna(0.0).to_numpy(float)
    feasible = np.isfinite(y)
    stopped = stopped_at_a_rung(rows, context)
    eligible = feasible & ~stopped  # with rungs: the best is a trial that trained fully
    best = int(np.nanargmin(np.where(eligible, y, np.inf))) if eligible.any() else None
    low, high = _ylim(y[feasible], err[feasible])
    return {
        "name": name, "role": info["role"], "objective": context["objective"],
        "trials": rows["trial"].tolist(), "groups": rows["group"].tolist(),
        "x": x, "y": y, "err": err, "feasible": feasible, "best": best,
        "log_x": info["scaling"] == "log" and numeric, "ticks": ticks,
        "range": (info["low"], info["high"]) if info["kind"] in ("continuous", "integer") else None,
        "ylim": (low, high), "clipped": feasible & (y > high), "stopped": stopped,
        # drawn by an adaptive round (search.then): not a uniform sample of the range
        "adaptive": (rows["phase"] == "adaptive").to_numpy() if "phase" in rows.columns
        else np.zeros(len(rows), bool),
    }


def _spread(x: np.ndarray, groups: list[str], width: float = 0.4) -> np.ndarray:
    """Trials that share a feasible point side by side (groups in their own lanes), so their error
    bars do not hide each other."""
    out = x.copy()
    cells: dict = {}
    for i, key in enumerate(zip(x, groups, strict=True)):
        cells.setdefault(key, []).append(i)
    for (pos, group), members in cells.items():
        lanes = sorted({g for p, g in cells if p == pos}, key=natural_key)
        lane_width = width / len(lanes)
        lane = pos - width / 2 + lanes.index(group) * lane_width
        for k, i in enumerate(members):
            out[i] = lane + lane_width * (k + 0.5) / len(members)
    return out


def _ylim(y: np.ndarray, err: np.ndarray) -> tuple[float, float]:
    """Show every trial near the best; clip far-off ones (a diverging corner) at the top."""
    if len(y) == 0:
        return 0.0, 1.0
    best, median = float(np.min(y)), float(np.median(y))
    hi = float(np.max(y + err))
    if len(y) >= 5 and median > best:
        hi = min(hi, median + 2.0 * (median - best))
    # error bars may reach below the best point, but not by more than half the span shown above it
    lo = max(float(np.min(y - err)), best - 0.5 * max(hi - best, 1e-12))
    pad = 0.06 * max(hi - lo, abs(hi) * 1e-3, 1e-12)
    return lo - pad, hi + pad


def next_range(info: dict, side: str) -> tuple[float, float] | None:
    """The search range extended past `side` by half its width (in its scaling), or None if it
    cannot go further (a fraction already at 0 or 1)."""
    low, high = info["low"], info["high"]
    if info["scaling"] == "log":
        factor = math.sqrt(high / low)
        new = (low / factor, high) if side == "lower" else (low, high * factor)
    else:
        half = (high - low) / 2
        new = (low - half, high) if side == "lower" else (low, high + half)
        if low >= 0:
            new = (max(new[0], 0.0), new[1])
        if low >= 0 and high <= 1 and info["kind"] == "continuous":
            new = (new[0], min(new[1], 1.0))  # a fraction (dropout, momentum) stays a fraction
    if info["kind"] == "integer":
        new = (math.floor(new[0]), math.ceil(new[1]))
    else:
        new = (round_sig(new[0], 2), round_sig(new[1], 2))
    return None if new == (low, high) else new


def boundary_check(trials: pd.DataFrame, context: dict, edge: float = EDGE) -> list[dict]:
    """For each group's best trial: the numeric hyperparameters whose best value is near an edge.

    In a per-scientific study the nuisance hyperparameters are checked per scientific value (the
    scientific values are the question, not a range to widen); in a joint study every searched one.
    """
    rows = overall(trials).dropna(subset=["objective_mean"])
    per_group = context["mode"] == "per_scientific" and context["scientific"]
    names = [n for n, i in context["space"].items()
             if is_numeric(i) and not (per_group and i["role"] == "scientific")
             and (i["kind"] != "categorical" or len(i["points"]) >= 3)]
    findings = []
    for group, members in rows.groupby("group" if per_group else np.zeros(len(rows)), sort=True):
        members = members.sort_values(["objective_mean", "trial"], kind="stable")
        best, top = members.iloc[0], members.head(TOP)
        for name in names:
            info = context["space"][name]
            if pd.isna(best.get(name)):
                continue
            u = unit_position(best[name], info)
            side = "lower" if u <= edge else "upper" if u >= 1 - edge else None
            if side is None:
                continue
            near = [unit_position(v, info) for v in top[name].dropna()]
            near = sum((p <= 0.25) if side == "lower" else (p >= 0.75) for p in near)
            findings.append(_finding(name, info, str(group) if per_group else "", best, u, side,
                                     near, len(top)))
    return findings


def _finding(name, info, group, best, u, side, near, top) -> dict:
    value = best[name]
    distance = u if side == "lower" else 1 - u
    suggestion = next_range(info, side) if info["kind"] != "categorical" else None
    if info["kind"] == "categorical":
        edge_value = min(info["points"]) if side == "lower" else max(info["points"])
        rng = f"feasible points {info['points']}"
        advice = f"try values {'below' if side == 'lower' else 'above'} {fmt(edge_value)}"
    else:
        rng = f"range {fmt(info['low'])} to {fmt(info['high'])}" + (
            " (log)" if info["scaling"] == "log" else "")
        advice = (f"try {fmt(suggestion[0])} to {fmt(suggestion[1])}" if suggestion else
                  f"the {side} edge is the natural limit of {name}; the range cannot be extended")
    where = f"{group}: " if group else ""
    message = (f"{where}the best trial {best['trial']} has {name} = {fmt(value)}, "
               f"{100 * distance:.0f}% of the {rng} from its {side} edge; {near} of the best "
               f"{top} trials {'is' if near == 1 else 'are'} in the outer quarter there (the "
               f"best trial {'alone' if near == 1 else 'among them'}). The best value may lie beyond the "
               f"edge: {advice}.")
    return {"hp": name, "group": group, "trial": best["trial"], "value": value, "edge": side,
            "distance": distance, "top_near": near, "top": top,
            "suggest": list(suggestion) if suggestion else None, "message": message}


def plot_axis(info: dict, path, baseline: float | None = None,
              simple: tuple[str, float] | None = None) -> None:
    """Draw one axis plot from `_get_axis_info`'s data; `simple`: the best simple forecast's level."""
    from tunelab.analysis.plotting import draw_simple, figure, group_colors, group_label

    with figure(path, figsize=(6.4, 4.0)) as fig:
        ax = fig.add_subplot()
        colors = group_colors(info["groups"])
        x, y, err, ok = info["x"], info["y"], info["err"], info["feasible"]
        low, high = info["ylim"]
        shown = ok & ~info["clipped"]
        for group, color in colors.items():
            sel = shown & (np.array(info["groups"]) == group)
            if sel.any():
                ax.errorbar(x[sel], y[sel], yerr=err[sel], fmt="o", ms=5, color=color, alpha=0.85,
                            elinewidth=1, capsize=2, label=group_label(group) if len(colors) > 1
                            else "trial (± retrain std)")
        _draw_marks(ax, info, shown, baseline)
        if info["range"]:
            for edge in info["range"]:
                ax.axvline(edge, color="0.6", ls="--", lw=0.8)
        if info["log_x"]:
            ax.set_xscale("log")
        if info["ticks"] is not None:
            ax.set_xticks(range(len(info["ticks"])), info["ticks"])
            ax.set_xlim(-0.5, len(info["ticks"]) - 0.5)
        ax.set_ylim(low, high)
        draw_simple(ax, simple)
        ax.set_xlabel(f"{info['name']} ({info['role']}" + (", log scale)" if info["log_x"] else ")"))
        ax.set_ylabel(f"{info['objective']}, mean over periods (lower is better)")
        ax.set_title(f"Axis plot: {info['name']}  ({int(ok.sum())} feasible, "
                     f"{int((~ok).sum())} infeasible trials)")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))


def _draw_marks(ax, info: dict, shown, baseline: float | None) -> None:
    """What marks a trial beyond its point: adaptive, stopped at a rung, off the scale, infeasible,
    the best; and the baseline's level."""
    from tunelab.analysis.plotting import INFEASIBLE, short

    x, y, ok = info["x"], info["y"], info["feasible"]
    low, high = info["ylim"]
    adaptive = shown & info.get("adaptive", np.zeros(len(x), bool))
    if adaptive.any():
        ax.plot(x[adaptive], y[adaptive], "o", mfc="none", mec="black", ms=9, mew=1.0,
                label="adaptive round (not uniform)")
    stopped = shown & info.get("stopped", np.zeros(len(x), bool))
    if stopped.any():
        ax.plot(x[stopped], y[stopped], "D", mfc="none", mec="0.3", ms=10, mew=1.0,
                label="stopped at a rung (its last rung's value)")
    top = high - 0.03 * (high - low)
    if info["clipped"].any():
        ax.plot(x[info["clipped"]], np.full(info["clipped"].sum(), top), "^", color="0.4",
                ms=6, label="off the scale (worse)")
    if (~ok).any():
        ax.plot(x[~ok], np.full((~ok).sum(), top), "X", color=INFEASIBLE, ms=8,
                label="infeasible")
    if info["best"] is not None:
        b = info["best"]
        ax.plot(x[b], y[b], "*", color="gold", mec="black", ms=15, zorder=5,
                label=f"best: {short(info['trials'][b])}")
    if baseline is not None and np.isfinite(baseline):
        ax.axhline(baseline, color="0.35", ls=":", lw=1.2, label="baseline")


def axis_file(trials_csv: str, context: dict, name: str, output: str, baselines=None) -> dict:
    """For the plots rule (tunelab.analysis.figures): trials.csv (+ baselines.csv) -> plots/axis.<name>.png."""
    from tunelab.analysis.plotting import simple_level

    info = _get_axis_info(read_table(trials_csv), name, context)
    plot_axis(info, output, simple=simple_level(baselines, context["objective"]))
    print(f"axis plot of {name}: {len(info['trials'])} trials")
    return info
