"""plots/periods.png: when each period's windows lie in the data, and how the trials score on each.

Left: the target's monthly mean over the whole data, and below it one bar per period (train,
validation, test windows). Right: each trial's objective on each period (the data variance), with
the study's best trial joined across periods: a best trial that is not the best everywhere shows.
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
    return {"windows": windows, "scores": scores, "best": best, "best_scores": best_scores,
            "period_best": period_best, "month": context.get("month", ""),
            "objective": context["objective"], "monthly": monthly}


def plot_periods(info: dict, path) -> None:
    from tunelab.analysis.plotting import figure, short

    windows = info["windows"]
    with figure(path, figsize=(11, 2.2 + 0.45 * len(windows))) as fig:
        grid = fig.add_gridspec(2, 2, width_ratios=[2.2, 1], height_ratios=[1, max(len(windows), 1) * 0.5],
                                hspace=0.08, wspace=0.25)
        top = fig.add_subplot(grid[0, 0])
        bars = fig.add_subplot(grid[1, 0], sharex=top)
        strip = fig.add_subplot(grid[:, 1])
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
        names = [w["period"] for w in windows]
        rng = np.random.default_rng(0)
        for i, period in enumerate(names):
            values = info["scores"].get(period, np.array([]))
            strip.plot(i + rng.uniform(-0.15, 0.15, len(values)), values, "o", color="0.6", ms=4,
                       label="trials" if i == 0 else None)
        if info["best_scores"]:
            xs = [i for i, p in enumerate(names) if p in info["best_scores"]]
            strip.plot(xs, [info["best_scores"][names[i]] for i in xs], "-*", color="black",
                       mfc="gold", ms=12, label=f"best trial {short(info['best'])}")
        strip.set_xticks(range(len(names)), names, rotation=30 if len(names) > 3 else 0)
        strip.set_xlim(-0.5, len(names) - 0.5)
        strip.set_ylabel(f"{info['objective']} (lower is better)")
        strip.set_title("Objective per period")
        values = np.concatenate(list(info["scores"].values())) if info["scores"] else np.array([])
        medians = [np.median(v) for v in info["scores"].values() if len(v)]
        if medians and min(medians) > 0 and max(medians) / min(medians) > 3:
            from matplotlib.ticker import FuncFormatter

            strip.set_yscale("log")  # periods on different scales (data variance): show them all
            plain = FuncFormatter(lambda v, _: f"{v:g}")
            strip.yaxis.set_major_formatter(plain)
            strip.yaxis.set_minor_formatter(  # label 2, 3 and 5 between decades, not every minor tick
                FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "235" else ""))
            strip.set_title("Objective per period (log scale)")
        elif len(values) >= 5:  # clip far-off trials so the best ones stay readable
            lo, med = float(values.min()), float(np.median(values))
            strip.set_ylim(lo - 0.1 * (med - lo + 1e-9), min(values.max(), med + 2.5 * (med - lo)) + 1e-9)
        strip.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncols=2, frameon=False)


def periods_file(periods_csv: str, trials_csv: str, prepared: str, context: dict, output: str) -> dict:
    """The periods_plot rule: periods.csv + trials.csv (+ the prepared data) -> plots/periods.png."""
    info = _get_periods_info(read_table(periods_csv), read_table(trials_csv),
                             monthly_target(prepared), context)
    plot_periods(info, output)
    print(f"{len(info['windows'])} periods")
    return info
