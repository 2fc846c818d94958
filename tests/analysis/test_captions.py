"""Each figure's caption in `snakemake --report` (workflow/report/*.rst) names the marks its plot
draws, and only those: every marker shape and colour drawn is named, and every shape or colour named
is drawn. The isolation caption once described "small coloured marks" for the per-period means,
which the plot draws as panels of black diamonds: the colour check catches that kind of drift."""

from __future__ import annotations

import re
from contextlib import contextmanager

import matplotlib.pyplot as plt
import numpy as np
import pytest
from analysis_data import LR, PERIODS, WIDTH, context, periods_frame, tables, trial
from conftest import REPO
from matplotlib.colors import to_rgb
from tunelab.analysis import plotting
from tunelab.analysis.axis import _get_axis_info, plot_axis
from tunelab.analysis.convergence import _get_convergence_info, plot_convergence
from tunelab.analysis.isolation import isolation_info, plot_isolation
from tunelab.analysis.timeline import _get_periods_info, plot_periods

CAPTIONS = REPO / "workflow" / "report"
SHAPES = {"D": "diamond", "*": "star", "^": "triangle", "X": "X", "o": "dot"}
HOLLOW = {"o": "ring", "D": "hollow diamond"}  # markers drawn with no face
HOLLOW_DIAMOND = r"hollow (?:\w+ )?diamonds?"
SHAPE_WORDS = {"diamond": r"\bdiamonds?\b", "star": r"\bstars?\b", "triangle": r"\btriangles?\b",
               "X": r"\bX\b", "dot": r"\b(dot|point)s?\b", "ring": r"\bring"}
COLOUR_WORDS = {"black": r"black", "grey": r"gr[ae]y", "gold": r"gold", "red": r"\bred\b",
                "coloured": r"colou?r"}


def colour_name(rgb) -> str:
    r, g, b = to_rgb(rgb)
    if np.allclose(to_rgb("gold"), (r, g, b), atol=0.02):
        return "gold"
    if np.allclose(to_rgb(plotting.INFEASIBLE), (r, g, b), atol=0.02):
        return "red"
    if max(r, g, b) < 0.15:
        return "black"
    if max(r, g, b) - min(r, g, b) < 0.02:
        return "grey"
    return "coloured"


def drawn_marks(fig) -> tuple[set[str], set[str]]:
    """(marker shapes, marker colours) of every visible data marker of the figure (error-bar caps
    and plain lines are not marks)."""
    shapes, colours = set(), set()
    for ax in fig.axes:
        for line in ax.get_lines():
            marker = line.get_marker()
            if marker in SHAPES and line.get_visible() and len(line.get_xdata()):
                face = line.get_markerfacecolor()
                hollow = isinstance(face, str) and face.lower() == "none"
                shapes.add(HOLLOW[marker] if hollow else SHAPES[marker])
                colours.add(colour_name(line.get_markeredgecolor() if hollow else face))
    return shapes, colours


def named_marks(caption: str) -> tuple[set[str], set[str]]:
    shapes = {"hollow diamond"} if re.search(HOLLOW_DIAMOND, caption) else set()
    rest = re.sub(HOLLOW_DIAMOND, "", caption)
    return (shapes | {s for s, rx in SHAPE_WORDS.items() if re.search(rx, rest)},
            {c for c, rx in COLOUR_WORDS.items() if re.search(rx, caption, flags=re.IGNORECASE)})


@contextmanager
def kept_figure(figures: list, path, *args, **kwargs):
    """plotting.figure without saving or closing: the test looks at what was drawn."""
    with plt.rc_context(plotting.STYLE):
        fig = plt.figure(*args, **kwargs)
        yield fig
        figures.append(fig)


@pytest.fixture
def figures(monkeypatch):
    kept: list = []
    monkeypatch.setattr(plotting, "figure", lambda path, *a, **k: kept_figure(kept, path, *a, **k))
    yield kept
    for fig in kept:
        plt.close(fig)


def rich_search():
    """Two widths over a log learning-rate range: six close trials, one far off (clipped at the
    top of an axis plot), one diverged: every kind of mark the plots can draw."""
    trials = [trial(i, 0.40 + 0.01 * i, group=f"hidden_size={w}", learning_rate=1e-3 * (i + 1),
                    hidden_size=w) for i, w in enumerate([16, 64, 16, 64, 16, 64])]
    trials.append(trial(8, 50.0, group="hidden_size=16", learning_rate=0.09, hidden_size=16))
    trials.append(trial(9, 0.5, group="hidden_size=64", infeasible=True, learning_rate=0.08, hidden_size=64))
    return tables(trials)[1], context({"learning_rate": LR, "hidden_size": WIDTH})


def caption(name: str) -> str:
    return (CAPTIONS / f"{name}.rst").read_text()


def test_axis_caption_names_what_the_axis_plot_draws(figures):
    trials, ctx = rich_search()
    info = _get_axis_info(trials, "learning_rate", ctx)
    assert info["clipped"].any() and not info["feasible"].all()  # the fixture draws every mark
    shown = np.flatnonzero(info["feasible"] & ~info["clipped"])
    info["adaptive"] = np.isin(np.arange(len(info["y"])), shown[:2])  # drawn by an adaptive round
    info["stopped"] = np.isin(np.arange(len(info["y"])), shown[2:3])  # stopped at a rung
    plot_axis(info, "unused.png")
    assert drawn_marks(figures[0]) == named_marks(caption("axis"))
    assert "dashed" in caption("axis") and any(line.get_linestyle() == "--" for line in figures[0].axes[0].lines)


def test_isolation_caption_names_what_the_isolation_plot_draws(figures):
    trials, ctx = rich_search()
    plot_isolation(isolation_info(trials, "hidden_size", ctx), "unused.png")
    fig = figures[0]
    assert drawn_marks(fig) == named_marks(caption("isolation"))
    # one panel for the mean over periods, then one per period, as the caption says
    assert [ax.get_title() for ax in fig.axes] == ["mean over periods", *PERIODS]
    assert "each further panel is one" in " ".join(caption("isolation").split())


def test_periods_caption_names_what_the_periods_plot_draws(figures):
    trials, ctx = rich_search()
    periods = periods_frame(tests=(("", ""), ("", "")))
    plot_periods(_get_periods_info(periods, trials, None, ctx), "unused.png")
    assert drawn_marks(figures[0]) == named_marks(caption("periods"))


def test_convergence_caption_names_what_the_convergence_plot_draws(figures):
    trials, ctx = rich_search()
    ids = sorted(trials["trial"].unique())
    rounds = {t: (0 if i < 5 else 1) for i, t in enumerate(ids)}  # exploration, then one round
    trials = trials.assign(round=trials["trial"].map(rounds),
                           phase=["adaptive" if rounds[t] else "exploration" for t in trials["trial"]])
    plot_convergence(_get_convergence_info(trials, ctx), "unused.png")
    assert drawn_marks(figures[0]) == named_marks(caption("convergence"))
