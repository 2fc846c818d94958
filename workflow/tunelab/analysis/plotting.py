"""Shared drawing helpers: the Agg backend, one style, group colours, saving atomically."""

from __future__ import annotations

import contextlib

import matplotlib
import numpy as np

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from tunelab.analysis.tables import natural_key  # noqa: E402
from tunelab.io import atomic_path  # noqa: E402

STYLE = {
    "figure.dpi": 110,
    "savefig.dpi": 110,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "legend.frameon": False,
}
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]
INFEASIBLE = "#d62728"


def group_colors(groups) -> dict[str, str]:
    """One colour per group, in a stable (sorted) order; the single group "" gets the first."""
    return {g: COLORS[i % len(COLORS)] for i, g in enumerate(sorted(set(groups), key=natural_key))}


def group_label(group: str) -> str:
    return group if group else "all trials"


@contextlib.contextmanager
def figure(path, *args, **kwargs):
    """Create a figure in the house style, save it atomically to `path`, close it."""
    with plt.rc_context(STYLE):
        fig = plt.figure(*args, **kwargs)
        yield fig
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", bbox_inches="tight")
        plt.close(fig)


def short(trial: str) -> str:
    """A trial id as plots show it (ids are short already: t + 8 hex digits)."""
    return str(trial)


SIMPLE_COLOR = "#b2182b"


def draw_simple(ax, simple: tuple[str, float] | None) -> None:
    """The best simple forecast's level (mean over periods) as a dashed line, the y-axis widened
    to show it: a plot where every point is worse than the obvious forecast must say so."""
    if simple is None or not np.isfinite(simple[1]):
        return
    name, level = simple
    low, high = ax.get_ylim()
    if not low <= level <= high:
        pad = 0.05 * (max(high, level) - min(low, level))
        ax.set_ylim(min(low, level - pad), max(high, level + pad))
    ax.axhline(level, color=SIMPLE_COLOR, ls="--", lw=1.1,
               label=f"best simple forecast ({name.replace('_', ' ')}): {level:.4g}")


def simple_level(baselines, objective: str) -> tuple[str, float] | None:
    """(name, mean over periods) of the best simple forecast in baselines.csv (a path, a rule's
    possibly empty input, or None)."""
    from tunelab.analysis.skill import best_simple, read_baselines

    return best_simple(read_baselines(baselines), objective)
