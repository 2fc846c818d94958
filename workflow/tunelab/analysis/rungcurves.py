"""curves.rungs.png: every trial's validation curve (mean over periods and seeds) with the rung
boundaries drawn, coloured by the last rung the trial reached: where each one was stopped, and
what the promoted ones did next."""

from __future__ import annotations

import pandas as pd

from tunelab.analysis.curves import robust_limits

OUTSIDE = 0  # `reached` of a trial trained outside the rungs (an adaptive round's, at the full budget)


def _get_rung_curves_info(curves: pd.DataFrame, rungs: pd.DataFrame, objective: str) -> dict:
    """The data of curves.rungs.png, from curves.parquet and rungs.csv."""
    column = "valid_mae" if objective == "valid_mae" and "valid_mae" in curves.columns else "valid_loss"
    reached = rungs.groupby("trial")["epochs"].max()
    by_period = curves.groupby(["trial", "period", "epoch"])[column].mean().reset_index()
    mean = by_period.groupby(["trial", "epoch"])[column].mean().reset_index()
    lines = [{"trial": t, "reached": int(reached.get(t, OUTSIDE)),  # not in rungs.csv: a round's
              "epoch": g["epoch"].to_numpy(), "valid": g[column].to_numpy(float)}
             for t, g in mean.groupby("trial", sort=True)]
    return {"lines": lines, "rungs": sorted(int(e) for e in rungs["epochs"].unique()),
            "column": column, "ylim": robust_limits(mean[column].to_numpy(float), 0.95)}


def plot_rung_curves(info: dict, path) -> None:
    from tunelab.analysis.plotting import figure

    with figure(path, figsize=(7.0, 4.2)) as fig:
        ax = fig.add_subplot()
        rungs = info["rungs"]
        cmap = {e: c for e, c in zip(rungs, ["0.65", "tab:blue", "tab:orange", "tab:green", "tab:red",
                                             "tab:purple", "tab:brown"], strict=False)}
        seen = set()
        for line in sorted(info["lines"], key=lambda entry: entry["reached"]):
            e = line["reached"]
            name = "adaptive round (full budget)" if e == OUTSIDE else f"reached {e} epochs"
            label = None if e in seen else name
            seen.add(e)
            ax.plot(line["epoch"], line["valid"], color=cmap.get(e, "black"), ls=":" if e == OUTSIDE else "-",
                    lw=1.0 + 0.5 * rungs.index(e) if e in rungs else 1.2, alpha=0.8, label=label,
                    marker="o" if len(line["epoch"]) < 3 else None, ms=4)  # a 1-epoch rung: a dot
        for e in rungs[:-1]:
            ax.axvline(e, color="0.3", ls="--", lw=0.8)
        low, high, log = info["ylim"]
        if log:
            ax.set_yscale("log")
        ax.set_ylim(low, high)
        ax.set_xlabel("epoch (dashed: rung boundaries, where promotions happen)")
        label = "valid_mse (the validation loss)" if info["column"] == "valid_loss" else info["column"]
        ax.set_ylabel(f"{label}, mean over periods and seeds")
        ax.set_title(f"Validation curves of {len(info['lines'])} trials through the rungs {rungs}")
        ax.legend(loc="upper right")


def rung_curves_file(curves_parquet: str, rungs_csv: str, objective: str, output: str) -> dict:
    """The rungs_plot rule: curves.parquet + rungs.csv -> plots/curves.rungs.png."""
    info = _get_rung_curves_info(pd.read_parquet(curves_parquet), pd.read_csv(rungs_csv), objective)
    plot_rung_curves(info, output)
    print(f"rung curves: {len(info['lines'])} trials, rungs {info['rungs']}")
    return info
