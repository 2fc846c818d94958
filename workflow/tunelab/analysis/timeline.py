"""plots/periods.png: when each period's windows lie in the data, and how the trials score on each.

Left: the target's monthly mean over the whole data, and below it one bar per period (train,
validation, test windows). Right: each trial's objective on each period (the data variance), one
panel per period with its own y-scale (periods differ in level: one shared scale pushed a hard month
off the chart), the study's best trial starred in each. Within a panel, trials far above the rest
(near-divergent corners) are clipped and counted at the top edge, so none is silently lost.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tunelab.analysis.tables import per_period, ranked, read_table

WINDOW_COLORS = {"train": "#1f77b4", "valid": "#ff7f0e", "test": "#2ca02c"}


def monthly_target(prepared_path: str) -> pd.DataFrame:
    """month start, mean of the target, from the prepared Parquet file."""
    import json

    import pyarrow.parquet as pq

    schema = pq.read_schema(prepared_path)
    target = json.loads(schema.metadata[b"tunelab"])["target"]
    frame = pd.read_parquet(prepared_path, columns=["time", target])
    monthly = frame.set_index("time")[target].resample("MS").mean()
    return pd.DataFrame({"month": monthly.index, "mean": monthly.to_numpy(), "target": target})


def _get_periods_info(periods: pd.DataFrame, trials: pd.DataFrame, monthly: pd.DataFrame | None,
                      context: dict) -> dict:
    """The data of plots/periods.png."""
    windows = []
    for row in periods.itertuples():
        w = {"period": row.period}
        for part in ("train", "valid", "test"):
            start, end = getattr(row, f"{part}_start"), getattr(row, f"{part}_end")
            w[part] = (pd.Timestamp(start), pd.Timestamp(end)) if isinstance(start, str) and start \
                else None
        windows.append(w)
    rows = per_period(trials)
    rows = rows[rows["feasible"] == rows["seeds"]]
    scores = {p: g["objective_mean"].to_numpy(float) for p, g in rows.groupby("period")}
    board = ranked(trials).dropna(subset=["objective_mean"])
    best = board["trial"].iloc[0] if len(board) else None
    best_scores = {}
    if best is not None:
        mine = rows[rows["trial"] == best].set_index("period")["objective_mean"]
        best_scores = {p: float(v) for p, v in mine.items()}
    period_best = {p: float(np.min(v)) for p, v in scores.items() if len(v)}
    panels = {w["period"]: panel_limits(scores.get(w["period"], np.array([])),
                                        best_scores.get(w["period"])) for w in windows}
    return {"windows": windows, "scores": scores, "best": best, "best_scores": best_scores,
            "period_best": period_best, "month": context.get("month", ""),
            "objective": context["objective"], "monthly": monthly, "panels": panels}


def panel_limits(values: np.ndarray, best: float | None = None) -> dict:
    """One period's y-limits: every trial, except that with 5 or more trials those far above the
    median (more than 2.5x the best-to-median distance) are clipped and counted, so the best
    ones stay readable. The study's best trial is always inside."""
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return {"ylim": (0.0, 1.0), "clipped": 0}
    lo, hi = float(values.min()), float(values.max())
    if len(values) >= 5:
        med = float(np.median(values))
        hi = min(hi, med + 2.5 * (med - lo))
    if best is not None and np.isfinite(best):
        hi = max(hi, best)
    pad = 0.08 * max(hi - lo, 1e-9 * max(abs(hi), 1.0))
    return {"ylim": (lo - pad, hi + pad), "clipped": int((values > hi + pad).sum())}


def plot_periods(info: dict, path) -> None:
    from tunelab.analysis.plotting import figure

    windows = info["windows"]
    with figure(path, figsize=(11, 2.2 + 0.45 * len(windows))) as fig:
        grid = fig.add_gridspec(2, 2, width_ratios=[2.2, 1], height_ratios=[1, max(len(windows), 1) * 0.5],
                                hspace=0.08, wspace=0.25)
        top = fig.add_subplot(grid[0, 0])
        bars = fig.add_subplot(grid[1, 0], sharex=top)
        monthly = info["monthly"]
        if monthly is not None and len(monthly):
            top.plot(monthly["month"], monthly["mean"], color="0.35", lw=1)
            top.set_ylabel(f"{monthly['target'].iloc[0]}\nmonthly mean")
        top.tick_params(labelbottom=False)
        top.set_title(f"Periods of rotation month {info['month']}" if info["month"] else "Periods")
        for i, w in enumerate(windows):
            for part, color in WINDOW_COLORS.items():
                if w[part] is not None:
                    start, end = w[part]
                    bars.barh(i, end - start, left=start, color=color, height=0.6,
                              label=part if i == 0 else None)
        bars.set_yticks(range(len(windows)), [w["period"] for w in windows])
        bars.invert_yaxis()
        bars.legend(loc="upper left", ncols=3, bbox_to_anchor=(0, -0.25 if len(windows) < 3 else -0.12))
        bars.grid(axis="y", visible=False)
        draw_scores(fig, grid[:, 1], info, [w["period"] for w in windows])


def draw_scores(fig, cell, info: dict, names: list[str]) -> None:
    """One small panel per period, each on its own y-scale; clipped trials as a count at the top."""
    from tunelab.analysis.plotting import short

    sub = cell.subgridspec(1, max(len(names), 1), wspace=0.9)
    rng = np.random.default_rng(0)
    for i, period in enumerate(names):
        ax = fig.add_subplot(sub[0, i])
        panel = info["panels"][period]
        lo, hi = panel["ylim"]
        values = info["scores"].get(period, np.array([]))
        shown = values[values <= hi]
        ax.plot(rng.uniform(-0.15, 0.15, len(shown)), shown, "o", color="0.6", ms=4, label="trials")
        if period in info["best_scores"]:
            ax.plot([0], [info["best_scores"][period]], "*", color="black", mfc="gold", ms=12,
                    label=f"best trial {short(info['best'])}")
        if panel["clipped"]:
            ax.plot([0], [hi], "^", color="#d62728", ms=7, clip_on=False)
            ax.annotate(f"{panel['clipped']} above", (0, hi), xytext=(0, 6), ha="center",
                        textcoords="offset points", fontsize=7, color="#d62728")
        ax.set_ylim(lo, hi)
        ax.set_xlim(-0.5, 0.5)
        ax.set_xticks([0], [period], rotation=30 if len(names) > 3 else 0)
        if i == 0:
            ax.set_ylabel(f"{info['objective']} (lower is better)\nown scale per period")
    if names:
        fig.axes[-1].legend(loc="upper left", bbox_to_anchor=(1.05, 1.0), frameon=False)
        fig.text(0.83, 0.98, "Objective per period", ha="center", fontsize=10)


def periods_file(periods_csv: str, trials_csv: str, prepared: str, context: dict, output: str) -> dict:
    """For the plots rule (tunelab.analysis.figures): periods.csv + trials.csv (+ the prepared data)
    -> plots/periods.png."""
    monthly = monthly_target(prepared) if isinstance(prepared, str) and prepared else None  # a span: none
    info = _get_periods_info(read_table(periods_csv), read_table(trials_csv), monthly, context)
    plot_periods(info, output)
    print(f"{len(info['windows'])} periods")
    return info
