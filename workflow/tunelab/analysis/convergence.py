"""The convergence plot: the best objective so far against the number of trials, phases marked.

Trials are taken in the order the search drew them: the exploration (round 0), then each adaptive
round (within a round, by trial id: a round's trials train in parallel). The band is the retrain
std of the trial that is best so far; the vertical lines are where each round starts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tunelab.analysis.tables import overall, read_table


def _get_convergence_info(trials: pd.DataFrame, context: dict) -> dict:
    rows = overall(trials)
    if "round" not in rows.columns:
        rows = rows.assign(round=0, phase="exploration")
    rows = rows.sort_values(["round", "trial"], kind="stable")
    y = rows["objective_mean"].to_numpy(float)
    err = rows["objective_std"].fillna(0.0).to_numpy(float)
    best, band, current, spread = [], [], np.inf, np.nan
    for value, std in zip(y, err, strict=True):
        if np.isfinite(value) and value < current:
            current, spread = value, std
        best.append(current)
        band.append(spread)
    rounds = rows["round"].astype(int).to_numpy()
    starts = {int(k): int(np.argmax(rounds == k)) for k in sorted(set(rounds))}
    return {"objective": context["objective"], "y": y, "best": np.array(best, float),
            "band": np.array(band, float), "rounds": rounds, "starts": starts,
            "trials": rows["trial"].tolist(), "adaptive": (rows["phase"] == "adaptive").to_numpy()}


def plot_convergence(info: dict, path, simple: tuple[str, float] | None = None) -> None:
    from tunelab.analysis.plotting import COLORS, INFEASIBLE, draw_simple, figure

    with figure(path, figsize=(6.4, 3.8)) as fig:
        ax = fig.add_subplot()
        n = np.arange(1, len(info["y"]) + 1)
        ok = np.isfinite(info["y"])
        explored = ok & ~info["adaptive"]
        ax.plot(n[explored], info["y"][explored], "o", color="0.6", ms=4, label="exploration trial")
        ax.plot(n[ok & info["adaptive"]], info["y"][ok & info["adaptive"]], "o", color=COLORS[1], ms=4,
                label="adaptive trial")
        if (~ok).any():
            top = np.nanmax(info["y"]) if ok.any() else 1.0
            ax.plot(n[~ok], np.full((~ok).sum(), top), "X", color=INFEASIBLE, ms=7, label="infeasible")
        best, band = info["best"], info["band"]
        ax.step(n, best, where="post", color=COLORS[0], lw=2, label="best so far")
        shown = np.isfinite(best)
        ax.fill_between(n[shown], (best - band)[shown], (best + band)[shown], step="post",
                        color=COLORS[0], alpha=0.2, label="± retrain std of the best")
        for k, start in info["starts"].items():
            if k > 0:
                ax.axvline(start + 0.5, color="0.5", ls="--", lw=0.8)
                ax.text(start + 0.6, 1.0, f"round {k}", transform=ax.get_xaxis_transform(),
                        va="top", fontsize=7, color="0.3")
        ax.set_ylim(*_ylim(info["y"][ok], best[shown] - band[shown]))
        draw_simple(ax, simple)
        ax.set_xlabel("trials, in the order drawn (exploration, then rounds)")
        ax.set_ylabel(f"{info['objective']}, mean over periods")
        ax.set_title("Convergence: best objective so far")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))


def _ylim(y: np.ndarray, floor: np.ndarray) -> tuple[float, float]:
    """Room for the best-so-far curve and its band; far-off trials (a diverging corner) clipped."""
    if len(y) == 0:
        return 0.0, 1.0
    lo, median = float(min(np.min(y), np.min(floor, initial=np.inf))), float(np.median(y))
    hi = min(float(np.max(y)), median + 2.0 * (median - lo)) if median > lo else float(np.max(y))
    pad = 0.06 * max(hi - lo, abs(hi) * 1e-3, 1e-12)
    return lo - pad, hi + pad


def convergence_file(trials_csv: str, context: dict, output: str, baselines=None) -> dict:
    """For the plots rule (tunelab.analysis.figures): trials.csv (+ baselines.csv) -> plots/convergence.png."""
    from tunelab.analysis.plotting import simple_level

    info = _get_convergence_info(read_table(trials_csv), context)
    plot_convergence(info, output, simple_level(baselines, context["objective"]))
    print(f"convergence: {len(info['y'])} trials, best {np.nanmin(info['best']):.6g}")
    return info
