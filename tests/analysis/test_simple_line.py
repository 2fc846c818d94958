"""Axis, isolation and convergence plots draw the best simple forecast's level, and widen their
y-axis to show it: where every trial is worse than the obvious forecast, the plot says so."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from tunelab.analysis import axis, convergence, isolation  # noqa: E402
from tunelab.analysis.plotting import SIMPLE_COLOR, draw_simple, simple_level  # noqa: E402


def test_the_line_is_drawn_inside_the_axis_even_below_every_point():
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [0.60, 0.55, 0.58], "o")
    ax.set_ylim(0.54, 0.61)
    draw_simple(ax, ("linear", 0.47))
    low, high = ax.get_ylim()
    assert low < 0.47 < high
    line = next(h for h, lab in zip(*ax.get_legend_handles_labels(), strict=True) if lab.startswith("best simple"))
    assert line.get_ydata()[0] == 0.47 and line.get_color() == SIMPLE_COLOR
    assert "linear" in line.get_label() and "0.47" in line.get_label()
    plt.close(fig)


def test_no_baselines_no_line(tmp_path):
    fig, ax = plt.subplots()
    draw_simple(ax, simple_level([], "valid_mse"))
    assert not ax.get_lines()
    plt.close(fig)


def test_the_level_is_the_best_simple_forecast_over_periods(tmp_path):
    path = tmp_path / "baselines.csv"
    pd.DataFrame([{"study": "s", "baseline": b, "period": p, "valid_mse": v}
                  for p in ("v1", "v2") for b, v in (("linear", 0.4), ("persistence", 0.7))]).to_csv(path)
    assert simple_level(str(path), "valid_mse") == ("linear", 0.4)
    assert simple_level([str(path)], "valid_mse") == ("linear", 0.4)  # a rule's input list


def test_each_plot_draws_the_level_of_its_studys_baselines(monkeypatch, tmp_path, search_tables, ctx):
    """axis, isolation and convergence plots of a study with baselines.csv get its best simple
    forecast's level; without baselines.csv, none."""
    import tunelab.analysis.plotting as plotting

    seen = []
    real = plotting.draw_simple
    monkeypatch.setattr(plotting, "draw_simple", lambda ax, simple: (seen.append(simple), real(ax, simple)))
    _, trials = search_tables
    trials_csv, baselines = tmp_path / "trials.csv", tmp_path / "baselines.csv"
    trials.to_csv(trials_csv, index=False)
    pd.DataFrame([{"study": "s", "baseline": "linear", "period": p, "valid_mse": 0.3}
                  for p in trials["period"].unique() if p != "all"]).to_csv(baselines, index=False)
    axis.axis_file(str(trials_csv), ctx, "learning_rate", str(tmp_path / "a.png"), str(baselines))
    isolation.isolation_file(str(trials_csv), ctx, "hidden_size", str(tmp_path / "i.png"), [str(baselines)])
    convergence.convergence_file(str(trials_csv), ctx, str(tmp_path / "c.png"), str(baselines))
    convergence.convergence_file(str(trials_csv), ctx, str(tmp_path / "c2.png"), [])
    assert seen == [("linear", 0.3)] * 3 + [None]
