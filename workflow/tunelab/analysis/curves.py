"""Training curves, plotted (tunelab.collect gathers them into curves.parquet): two plots.

- curves.all.png: train and validation loss of every trial (mean over seeds), one row per period,
  coloured by scientific value, faint when there are many; the best few trials stand out.
- curves.best.png: on their own, the best trial of each scientific value: validation loss (solid,
  with the band between its best and worst seed) and training loss (dashed), one panel per period.

Seeds stop at different epochs (early stopping). A mean over "the seeds that got there" jumps
where a seed stops, so the mean (and the band) is drawn only over the epochs every seed reached;
after that each seed still running is drawn on its own, thin. With `objective: valid_mae` the
validation curves are the MAE in target units (the objective's own), the training loss stays the
MSE of the scaled target, and each axis says which.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tunelab.analysis.tables import overall, ranked, read_table

HIGHLIGHT = 3  # trials drawn bold in curves.all.png
MAX_PERIODS = 4  # periods drawn in curves.all.png (the first ones, in time order)


def mean_curves(curves: pd.DataFrame) -> pd.DataFrame:
    """Per period, trial and epoch: mean train and validation loss over the seeds that got there,
    and how many seeds that is (`seeds`)."""
    columns = [c for c in ("train_loss", "valid_loss", "valid_mae") if c in curves.columns]
    grouped = curves.groupby(["period", "trial", "epoch"], sort=True)
    return grouped[columns].mean().join(grouped["seed"].nunique().rename("seeds")).reset_index()


def valid_column(curves: pd.DataFrame, objective: str) -> str:
    """The validation curve in the objective's units: valid_mae when it is the objective (and the
    curves have it: curves from before it was recorded do not), else valid_loss."""
    return "valid_mae" if objective == "valid_mae" and "valid_mae" in curves.columns else "valid_loss"


def curve_labels(column: str) -> dict:
    valid = ("validation MAE (target units)" if column == "valid_mae"
             else "validation loss (MSE, scaled target)")
    return {"valid": valid, "train": "training loss (MSE, scaled target)"}


def seed_lines(g: pd.DataFrame, valid: str) -> tuple[dict, list[dict]]:
    """One trial on one period (its curves rows): the mean, best and worst seed over the epochs
    every seed reached, and each seed's own line after that (`tails`)."""
    seeds = g["seed"].nunique()
    by_epoch = g.groupby("epoch", sort=True)
    count = by_epoch["seed"].nunique()
    common = count.index[count == seeds]
    last = int(common.max()) if len(common) else 0
    head = g[g["epoch"] <= last].groupby("epoch", sort=True)
    mean = {"epoch": head["epoch"].first().to_numpy(), "seeds": head["seed"].nunique().to_numpy(),
            "train": head["train_loss"].mean().to_numpy(float),
            "valid": head[valid].mean().to_numpy(float),
            "valid_min": head[valid].min().to_numpy(float),
            "valid_max": head[valid].max().to_numpy(float)}
    tails = [{"seed": int(seed), "epoch": t["epoch"].to_numpy(),
              "train": t["train_loss"].to_numpy(float), "valid": t[valid].to_numpy(float)}
             for seed, t in g[g["epoch"] > last].sort_values("epoch").groupby("seed", sort=True)]
    return mean, tails


def _with_tails(ax, line: dict, kind: str, **style) -> None:
    """A mean line, then each still-running seed's own line from the mean's last point on."""
    style = {"gid": line.get("trial"), **style}  # the trial, for a reader of the drawing (tests)
    ax.plot(line["epoch"], line[kind], **style)
    style = {**style, "lw": style.get("lw", 1.0) * 0.5, "label": None}
    for tail in line["tails"]:
        join = len(line["epoch"]) > 0
        ax.plot(np.r_[line["epoch"][-1:], tail["epoch"]] if join else tail["epoch"],
                np.r_[line[kind][-1:], tail[kind]] if join else tail[kind], **style)


def robust_limits(values: np.ndarray, quantile: float = 0.9) -> tuple[float, float, bool]:
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
                     max_periods: int = MAX_PERIODS, objective: str = "valid_mse") -> dict:
    """The data of curves.all.png."""
    groups = overall(trials)["group"].to_dict()
    best = [t for t in ranked(trials).dropna(subset=["objective_mean"])["trial"].head(highlight)]
    valid = valid_column(curves, objective)
    periods = sorted(curves["period"].unique())
    shown = periods[:max_periods]
    lines, ylim = {}, {}
    for period in shown:
        part = curves[curves["period"] == period]
        lines[period] = []
        for trial, g in part.groupby("trial", sort=True):
            mean, tails = seed_lines(g, valid)
            lines[period].append({"trial": trial, "group": groups.get(trial, ""), **mean,
                                  "tails": tails})
        # per period and loss: periods differ in level, and each panel should be readable
        ylim[period] = {kind: robust_limits(np.concatenate(
            [line[kind] for line in lines[period]] + [t[kind] for line in lines[period]
                                                      for t in line["tails"]] or [np.array([])]))
            for kind in ("train", "valid")}
    n_trials = curves["trial"].nunique()
    return {
        "periods": shown, "all_periods": periods, "lines": lines, "highlight": best,
        "groups": sorted(set(groups.values())), "trials": n_trials,
        "alpha": float(np.clip(6.0 / max(n_trials, 1), 0.12, 0.7)), "ylim": ylim,
        "labels": curve_labels(valid),
    }


def _get_best_curves_info(curves: pd.DataFrame, trials: pd.DataFrame,
                          objective: str = "valid_mse") -> dict:
    """The data of curves.best.png: the best trial of each group, per period, with seed bands."""
    rows = ranked(trials).dropna(subset=["objective_mean"])
    best = rows.groupby("group", sort=False).head(1)
    valid = valid_column(curves, objective)
    periods = sorted(curves["period"].unique())
    entries = []
    for row in best.itertuples():
        part = curves[curves["trial"] == row.trial]
        per_period = {}
        for period, g in part.groupby("period", sort=True):
            mean, tails = seed_lines(g, valid)
            per_period[period] = {**mean, "tails": tails}
        entries.append({"trial": row.trial, "group": row.group, "objective": row.objective_mean,
                        "periods": per_period})

    def values(kind, period):
        return np.concatenate([np.concatenate([p[kind]] + [t[kind] for t in p["tails"]])
                               for e in entries for q, p in e["periods"].items() if q == period]
                              or [np.array([])])

    # Each period on its own scale: periods differ by multiples in error, and one shared axis cut
    # off the whole curve of the hardest period.
    shared = valid == "valid_loss"
    return {"periods": periods, "best": entries, "labels": curve_labels(valid),
            "ylim": {q: robust_limits(np.concatenate([values("valid", q), values("train", q)])
                                      if shared else values("valid", q), 0.98) for q in periods},
            "train_ylim": {q: robust_limits(values("train", q), 0.98) for q in periods}}


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
                    _with_tails(ax, line, kind, color=colors.get(line["group"], "0.5"), lw=0.9,
                                alpha=info["alpha"])
                for k, trial in enumerate(info["highlight"]):
                    for line in info["lines"][period]:
                        if line["trial"] == trial:
                            _with_tails(ax, line, kind, color=colors.get(line["group"], "0.5"),
                                        lw=2.2, ls=["-", "--", ":"][k % 3], zorder=3,
                                        label=f"#{k + 1} {short(trial)}" if r == 0 and c == 1
                                        else None)
                lo, hi, log = info["ylim"][period][kind]
                if log:
                    _log_axis(ax)
                ax.set_ylim(lo, hi)
                ax.set_title(f"{period}: {info['labels'][kind]}")
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
                if r == rows - 1:
                    ax.set_xlabel("epoch")
        handles = [_line(colors[g], group_label(g)) for g in colors] if len(colors) > 1 else []
        axes[0][1].legend(handles=axes[0][1].get_legend_handles_labels()[0] + handles,
                          loc="upper left", bbox_to_anchor=(1.01, 1.0), title="best trials / groups")
        note = "" if len(info["all_periods"]) == len(periods) else \
            f" (first {len(periods)} of {len(info['all_periods'])} periods)"
        fig.suptitle(f"Training curves of all {info['trials']} trials{note}: thick, the best "
                     f"{len(info['highlight'])}; each line the mean over seeds while every seed runs, "
                     "then a half-width line per seed still running", y=1.0)
        fig.tight_layout()


def plot_curves_best(info: dict, path) -> None:
    from matplotlib.ticker import MaxNLocator

    from tunelab.analysis.plotting import figure, group_colors, group_label, short

    periods = info["periods"]
    cols = min(len(periods), 3) or 1
    rows = -(-len(periods) // cols) or 1
    colors = group_colors([e["group"] for e in info["best"]])
    with figure(path, figsize=(3.9 * cols + 1.8, 3.0 * rows + 0.6)) as fig:
        axes = fig.subplots(rows, cols, squeeze=False)
        # One axis when validation and training are both the scaled MSE; with a MAE objective the
        # training loss (MSE) gets its own right-hand axis, labelled, so no one compares the two.
        shared = info["labels"]["valid"].endswith("(MSE, scaled target)")
        train_axes = [axes[k // cols][k % cols] if shared else axes[k // cols][k % cols].twinx()
                      for k in range(len(periods))]
        for k, period in enumerate(periods):
            ax = axes[k // cols][k % cols]
            for entry in info["best"]:
                data = entry["periods"].get(period)
                if data is None:
                    continue
                color = colors[entry["group"]]
                ax.fill_between(data["epoch"], data["valid_min"], data["valid_max"], color=color,
                                alpha=0.18, lw=0)
                _with_tails(ax, data, "valid", color=color, lw=1.8,
                            label=f"{group_label(entry['group'])} ({short(entry['trial'])})")
                _with_tails(train_axes[k], data, "train", color=color, lw=1.2, ls="--")
            _set_limits(ax, None if shared else train_axes[k], info, period)
            ax.set_title(period)
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        for k in range(len(periods), rows * cols):
            axes[k // cols][k % cols].set_visible(False)
        axes[0][0].set_ylabel("loss (MSE, scaled target)" if shared else info["labels"]["valid"])
        if not shared:
            train_axes[-1].set_ylabel(info["labels"]["train"] + ", dashed")
        handles, labels = axes[0][0].get_legend_handles_labels()
        handles += [_line("0.3", f"{info['labels']['valid']} (band: seeds)"),
                    _line("0.3", info["labels"]["train"], "--")]
        axes[0][cols - 1].legend(handles=handles, loc="upper left",
                                 bbox_to_anchor=(1.02 if shared else 1.3, 1.0))
        scientific = any(e["group"] for e in info["best"])  # no scientific hyperparameter: one best
        fig.suptitle("Best trial of each scientific value: training curves" if scientific else
                     "Best trial: training curves (the study has no scientific hyperparameter)", y=1.0)
        fig.tight_layout()


def _set_limits(ax, train_ax, info: dict, period: str) -> None:
    """The period's y-limits: one axis (train_ax None) holds both curves within its limits."""
    limits = [(ax, info["ylim"][period])] + ([(train_ax, info["train_ylim"][period])] if train_ax else [])
    for axis, (lo, hi, log) in limits:
        if log:
            _log_axis(axis)
        axis.set_ylim(lo, hi)


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


def curves_plot_file(curves_parquet: str, trials_csv: str, output_all: str, output_best: str,
                     objective: str = "valid_mse") -> None:
    """For the plots rule (tunelab.analysis.figures): curves.parquet + trials.csv ->
    plots/curves.all.png, curves.best.png, the validation curves in the units of `objective`."""
    curves, trials = pd.read_parquet(curves_parquet), read_table(trials_csv)
    curves["period"], curves["trial"] = curves["period"].astype(str), curves["trial"].astype(str)
    plot_curves_all(_get_curves_info(curves, trials, objective=objective), output_all)
    plot_curves_best(_get_best_curves_info(curves, trials, objective=objective), output_best)
    print(f"curves of {curves['trial'].nunique()} trials on {curves['period'].nunique()} periods")
