"""Training curves: every run's per-epoch losses gathered into one table, and two plots.

- curves.all.png: train and validation loss of every trial (mean over seeds), one row per period,
  coloured by scientific value, faint when there are many; the best few trials stand out.
- curves.best.png: on their own, the best trial of each scientific value: validation loss (solid,
  with the band between its best and worst seed) and training loss (dashed), one panel per period.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tunelab.analysis.tables import overall, ranked, read_table

HIGHLIGHT = 3  # trials drawn bold in curves.all.png
MAX_PERIODS = 4  # periods drawn in curves.all.png (the first ones, in time order)


def read_curves_file(path: str | Path) -> pd.DataFrame:
    """One block's curves.csv, with its period and trial (from the path .../<period>/<trial>/<block>/)."""
    path = Path(path)
    frame = pd.read_csv(path)
    frame.insert(0, "trial", path.parent.parent.name)
    frame.insert(0, "period", path.parent.parent.parent.name)
    return frame


def curves_table(paths: list[str | Path]) -> pd.DataFrame:
    frames = [read_curves_file(p) for p in paths]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=["period", "trial", "seed", "epoch", "train_loss", "valid_loss"])
    return pd.concat(frames, ignore_index=True)


def collect_curves_file(paths: list[str], output: str) -> pd.DataFrame:
    """The collect_curves rule: every block's curves.csv -> curves.parquet (columnar, one file)."""
    from tunelab.io import atomic_path

    table = curves_table(paths)
    with atomic_path(output) as tmp:
        table.to_parquet(tmp, index=False)
    runs = table.groupby(["period", "trial", "seed"]).ngroups
    print(f"{len(paths)} blocks, {len(table)} epochs of {runs} runs")
    return table


def mean_curves(curves: pd.DataFrame) -> pd.DataFrame:
    """Per period, trial and epoch: mean train and validation loss over the seeds that got there."""
    return (curves.groupby(["period", "trial", "epoch"], sort=True)[["train_loss", "valid_loss"]]
            .mean().reset_index())


def _robust_limits(values: np.ndarray, quantile: float = 0.9) -> tuple[float, float, bool]:
    """y-limits that keep the low end readable: the top 10% of the values (first epochs, trials
    that nearly diverged) run off the top; a log axis if what is left still spans a lot."""
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return 0.0, 1.0, False
    lo, hi = float(values.min()), float(np.quantile(values, quantile))
    log = lo > 0 and hi / lo > 8
    if log:
        return lo / 1.1, hi * 1.1, True
    pad = 0.05 * max(hi - lo, 1e-9)
    return lo - pad, hi + pad, False


def _get_curves_info(curves: pd.DataFrame, trials: pd.DataFrame, highlight: int = HIGHLIGHT,
                     max_periods: int = MAX_PERIODS) -> dict:
    """The data of curves.all.png."""
    groups = overall(trials)["group"].to_dict()
    best = [t for t in ranked(trials).dropna(subset=["objective_mean"])["trial"].head(highlight)]
    means = mean_curves(curves)
    periods = sorted(means["period"].unique())
    shown = periods[:max_periods]
    lines = {}
    for period in shown:
        part = means[means["period"] == period]
        lines[period] = [
            {"trial": trial, "group": groups.get(trial, ""), "epoch": g["epoch"].to_numpy(),
             "train": g["train_loss"].to_numpy(float), "valid": g["valid_loss"].to_numpy(float)}
            for trial, g in part.groupby("trial", sort=True)]
    n_trials = means["trial"].nunique()
    ylim = {}  # per period and loss: periods differ in level, and each panel should be readable
    for period in shown:
        part = means[means["period"] == period]
        ylim[period] = {"train": _robust_limits(part["train_loss"].to_numpy(float)),
                        "valid": _robust_limits(part["valid_loss"].to_numpy(float))}
    return {
        "periods": shown, "all_periods": periods, "lines": lines, "highlight": best,
        "groups": sorted(set(groups.values())), "trials": n_trials,
        "alpha": float(np.clip(6.0 / max(n_trials, 1), 0.12, 0.7)), "ylim": ylim,
    }


def _get_best_curves_info(curves: pd.DataFrame, trials: pd.DataFrame) -> dict:
    """The data of curves.best.png: the best trial of each group, per period, with seed bands."""
    rows = ranked(trials).dropna(subset=["objective_mean"])
    best = rows.groupby("group", sort=False).head(1)
    periods = sorted(curves["period"].unique())
    entries = []
    for row in best.itertuples():
        part = curves[curves["trial"] == row.trial]
        per_period = {}
        for period, g in part.groupby("period", sort=True):
            by_epoch = g.groupby("epoch")
            per_period[period] = {
                "epoch": np.array(sorted(g["epoch"].unique())),
                "valid": by_epoch["valid_loss"].mean().to_numpy(float),
                "valid_min": by_epoch["valid_loss"].min().to_numpy(float),
                "valid_max": by_epoch["valid_loss"].max().to_numpy(float),
                "train": by_epoch["train_loss"].mean().to_numpy(float),
            }
        entries.append({"trial": row.trial, "group": row.group, "objective": row.objective_mean,
                        "periods": per_period})
    values = np.concatenate([np.concatenate([p["valid"], p["train"]]) for e in entries
                             for p in e["periods"].values()]) if entries else np.array([])
    return {"periods": periods, "best": entries, "ylim": _robust_limits(values, 0.98)}


def plot_curves_all(info: dict, path) -> None:
    from matplotlib.ticker import MaxNLocator

    from tunelab.analysis.plotting import figure, group_colors, group_label, short

    periods = info["periods"]
    colors = group_colors(info["groups"])
    rows = max(len(periods), 1)
    with figure(path, figsize=(10, 2.5 * rows + 0.8)) as fig:
        axes = fig.subplots(rows, 2, squeeze=False, sharex=True)
        for r, period in enumerate(periods):
            for c, kind in enumerate(("train", "valid")):
                ax = axes[r][c]
                for line in info["lines"][period]:
                    if line["trial"] in info["highlight"]:
                        continue
                    ax.plot(line["epoch"], line[kind], color=colors.get(line["group"], "0.5"),
                            lw=0.9, alpha=info["alpha"])
                for k, trial in enumerate(info["highlight"]):
                    for line in info["lines"][period]:
                        if line["trial"] == trial:
                            ax.plot(line["epoch"], line[kind], color=colors.get(line["group"], "0.5"),
                                    lw=2.2, ls=["-", "--", ":"][k % 3], zorder=3,
                                    label=f"#{k + 1} {short(trial)}" if r == 0 and c == 1 else None)
                lo, hi, log = info["ylim"][period][kind]
                if log:
                    _log_axis(ax)
                ax.set_ylim(lo, hi)
                ax.set_title(f"{period}: {'training' if kind == 'train' else 'validation'} loss")
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
                if r == rows - 1:
                    ax.set_xlabel("epoch")
        handles = [_line(colors[g], group_label(g)) for g in colors] if len(colors) > 1 else []
        axes[0][1].legend(handles=axes[0][1].get_legend_handles_labels()[0] + handles,
                          loc="upper left", bbox_to_anchor=(1.01, 1.0), title="best trials / groups")
        note = "" if len(info["all_periods"]) == len(periods) else \
            f" (first {len(periods)} of {len(info['all_periods'])} periods)"
        fig.suptitle(f"Training curves of all {info['trials']} trials, mean over seeds{note}", y=1.0)
        fig.tight_layout()


def plot_curves_best(info: dict, path) -> None:
    from matplotlib.ticker import MaxNLocator

    from tunelab.analysis.plotting import figure, group_colors, group_label, short

    periods = info["periods"]
    cols = min(len(periods), 3) or 1
    rows = -(-len(periods) // cols) or 1
    colors = group_colors([e["group"] for e in info["best"]])
    with figure(path, figsize=(3.9 * cols + 1.8, 3.0 * rows + 0.6)) as fig:
        axes = fig.subplots(rows, cols, squeeze=False, sharey=True)
        for k, period in enumerate(periods):
            ax = axes[k // cols][k % cols]
            for entry in info["best"]:
                data = entry["periods"].get(period)
                if data is None:
                    continue
                color = colors[entry["group"]]
                ax.fill_between(data["epoch"], data["valid_min"], data["valid_max"], color=color,
                                alpha=0.18, lw=0)
                ax.plot(data["epoch"], data["valid"], color=color, lw=1.8,
                        label=f"{group_label(entry['group'])} ({short(entry['trial'])})")
                ax.plot(data["epoch"], data["train"], color=color, lw=1.2, ls="--")
            lo, hi, log = info["ylim"]
            if log:
                _log_axis(ax)
            ax.set_ylim(lo, hi)
            ax.set_title(period)
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        for k in range(len(periods), rows * cols):
            axes[k // cols][k % cols].set_visible(False)
        axes[0][0].set_ylabel("loss (MSE, scaled target)")
        handles, labels = axes[0][0].get_legend_handles_labels()
        handles += [_line("0.3", "validation (band: seeds)"), _line("0.3", "training", "--")]
        axes[0][cols - 1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0))
        fig.suptitle("Best trial of each scientific value: training curves", y=1.0)
        fig.tight_layout()


def _log_axis(ax) -> None:
    """A log y-axis labelled with plain numbers at 1, 2, 5 x 10^k (0.5, 1, 2), not powers of ten."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _line(color, label, ls="-"):
    from matplotlib.lines import Line2D

    return Line2D([], [], color=color, ls=ls, lw=1.8, label=label)


def curves_plot_file(curves_parquet: str, trials_csv: str, output_all: str, output_best: str) -> None:
    """The curves_plot rule: curves.parquet + trials.csv -> plots/curves.all.png, curves.best.png."""
    curves, trials = pd.read_parquet(curves_parquet), read_table(trials_csv)
    curves["period"], curves["trial"] = curves["period"].astype(str), curves["trial"].astype(str)
    plot_curves_all(_get_curves_info(curves, trials), output_all)
    plot_curves_best(_get_best_curves_info(curves, trials), output_best)
    print(f"curves of {curves['trial'].nunique()} trials on {curves['period'].nunique()} periods")
