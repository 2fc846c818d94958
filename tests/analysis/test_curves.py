"""Training-curve tables and plots, and the periods plot."""

import json

import numpy as np
import pandas as pd
import pytest
from analysis_data import PERIODS, context, curves_frame, periods_frame, tables, tid, trial
from tunelab.analysis.curves import (
    _get_best_curves_info,
    _get_curves_info,
    curves_plot_file,
    mean_curves,
)
from tunelab.analysis.tables import overall
from tunelab.analysis.timeline import _get_periods_info, plot_periods
from tunelab.collect import collect_curves_file, collect_part_file


def test_collect_reads_period_and_trial_from_the_block_path_and_merges_the_parts(tmp_path):
    parts = []
    for period, trial_id in (("v2020-03", tid(1)), ("v2020-06", tid(2))):  # one part per phase
        block = tmp_path / "results/s/runs" / period / trial_id / "s0-1"
        block.mkdir(parents=True)
        (block / "metrics.json").write_text(json.dumps({"trial": trial_id, "runs": []}))
        pd.DataFrame({"seed": [0, 0, 1], "epoch": [1, 2, 1], "train_loss": [1.0, 0.5, 0.9],
                      "valid_loss": [1.1, 0.7, 1.0]}).to_csv(block / "curves.csv", index=False)
        part = tmp_path / f"collected/{period}"
        collect_part_file([str(block / "metrics.json")], [str(block / "curves.csv")],
                          f"{part}.blocks.jsonl", f"{part}.curves.parquet")
        parts.append(f"{part}.curves.parquet")
    table = collect_curves_file(parts, str(tmp_path / "curves.parquet"))
    again = pd.read_parquet(tmp_path / "curves.parquet")
    assert len(table) == len(again) == 6
    assert list(again["period"]) == ["v2020-03"] * 3 + ["v2020-06"] * 3  # the parts in order
    pairs = set(zip(again["period"], again["trial"], strict=True))
    assert pairs == {("v2020-03", tid(1)), ("v2020-06", tid(2))}
    means = mean_curves(again)
    first = means[(means["trial"] == tid(1)) & (means["epoch"] == 1)]
    assert first["valid_loss"].item() == pytest.approx(1.05)


def test_curves_info_highlights_the_best_trials_and_clips_outliers():
    ranks = [trial(i, 0.4 + 0.01 * i) for i in range(6)]
    _, trials = tables(ranks)
    curves = curves_frame({tid(i): "healthy" for i in range(6)})
    curves.loc[(curves["trial"] == tid(5)) & (curves["epoch"] == 1), "valid_loss"] = 1e6  # a blow-up
    info = _get_curves_info(curves, trials, highlight=3)
    assert info["highlight"] == [tid(0), tid(1), tid(2)]
    assert info["periods"] == list(PERIODS) and info["trials"] == 6
    assert len(info["lines"][PERIODS[0]]) == 6
    low, high, _ = info["ylim"][PERIODS[0]]["valid"]
    assert high < 1e6  # the blow-up does not flatten everything else
    assert 0 < info["alpha"] <= 0.7


def test_many_periods_show_the_first_few():
    periods = tuple(f"v2020-{m:02d}" for m in range(1, 8))
    _, trials = tables([trial(1, 0.5)], periods=periods)
    info = _get_curves_info(curves_frame({tid(1): "healthy"}, periods=periods), trials, max_periods=4)
    assert info["periods"] == list(periods[:4]) and info["all_periods"] == list(periods)


def test_best_curves_are_the_best_trial_of_each_group(search_tables):
    _, trials = search_tables
    curves = curves_frame({tid(i): "healthy" for i in range(6)})
    curves["valid_loss"] += 0.01 * curves["seed"]  # seeds 0, 1, 2 apart: a band of 0.02
    info = _get_best_curves_info(curves, trials)
    assert {(e["group"], e["trial"]) for e in info["best"]} == {("hidden_size=64", tid(2)),
                                                              ("hidden_size=16", tid(1))}
    band = info["best"][0]["periods"][PERIODS[0]]
    assert band["valid_max"] - band["valid_min"] == pytest.approx(np.full(20, 0.02))
    assert band["valid"] - band["valid_min"] == pytest.approx(np.full(20, 0.01))


def test_curve_plots_are_written(tmp_path, search_tables):
    _, trials = search_tables
    trials.to_csv(tmp_path / "trials.csv", index=False)
    curves_frame({tid(i): s for i, s in enumerate(["healthy", "overfit", "noisy", "saturated",
                                                   "still_improving", "healthy"])}
                 ).to_parquet(tmp_path / "curves.parquet")
    curves_plot_file(str(tmp_path / "curves.parquet"), str(tmp_path / "trials.csv"),
                     str(tmp_path / "all.png"), str(tmp_path / "best.png"))
    assert (tmp_path / "all.png").stat().st_size > 1000 and (tmp_path / "best.png").stat().st_size > 1000


def test_periods_info_and_plot(tmp_path, search_tables):
    _, trials = search_tables
    periods = periods_frame()
    info = _get_periods_info(periods, trials, None, context())
    assert info["best"] == tid(2)
    assert info["best_scores"] == pytest.approx({PERIODS[0]: 0.45, PERIODS[1]: 0.45})
    assert len(info["scores"][PERIODS[0]]) == 5  # the diverged trial has no score
    assert info["windows"][1]["test"] is None
    assert info["windows"][0]["valid"] == (pd.Timestamp("2020-03-01"), pd.Timestamp("2020-04-01"))
    monthly = pd.DataFrame({"month": pd.date_range("2019-12-01", periods=8, freq="MS"),
                            "mean": np.arange(8.0), "target": "load"})
    plot_periods({**info, "monthly": monthly}, tmp_path / "periods.png")
    assert (tmp_path / "periods.png").stat().st_size > 1000


def _three_periods():
    periods = ("v2020-03", "v2020-06", "v2020-09")
    level = {"v2020-03": 1.0, "v2020-06": 1.0, "v2020-09": 2.8}  # the hard month: ~3x the others
    search = [trial(i, {p: level[p] + 0.05 * i for p in periods}) for i in range(5)]
    _, trials = tables(search, periods=periods)
    frame = pd.DataFrame({
        "period": list(periods), "month": ["2026-11"] * 3,
        **{f"{part}_start": [""] * 3 for part in ("train", "valid", "test")},
        **{f"{part}_end": [""] * 3 for part in ("train", "valid", "test")}})
    return periods, trials, frame


def test_periods_plot_shows_every_period_on_its_own_scale():
    """A period whose objective sits far above the others' must not be drawn off the chart."""
    periods, trials, frame = _three_periods()
    info = _get_periods_info(frame, trials, None, context())
    for period in periods:
        lo, hi = info["panels"][period]["ylim"]
        values = info["scores"][period]
        inside = (values >= lo) & (values <= hi)
        assert inside.sum() + info["panels"][period]["clipped"] == len(values)
        assert lo <= info["best_scores"][period] <= hi  # the best trial's point is on the chart
        assert lo <= values.min() and np.median(values) <= hi


def test_periods_plot_marks_a_clipped_trial():
    periods, trials, frame = _three_periods()
    trials = trials.copy()
    far = (trials["trial"] == tid(4)) & (trials["period"] == periods[0])
    trials.loc[far, "objective_mean"] = 50.0  # one trial nearly diverged on one period
    info = _get_periods_info(frame, trials, None, context())
    panel = info["panels"][periods[0]]
    assert panel["clipped"] == 1 and panel["ylim"][1] < 50.0
    assert all(info["panels"][p]["clipped"] == 0 for p in periods[1:])


def _early_stopped_seed():
    """Three seeds; seed 0 sits 0.3 above the others and stops at epoch 10, seeds 1, 2 run 20."""
    _, trials = tables([trial(0, 0.5)])
    curves = curves_frame({tid(0): "healthy"})
    curves.loc[curves["seed"] == 0, ["train_loss", "valid_loss"]] += 0.3
    return trials, curves[(curves["seed"] != 0) | (curves["epoch"] <= 10)].reset_index(drop=True)


def test_curves_all_does_not_average_seeds_that_stopped_at_different_epochs():
    trials, curves = _early_stopped_seed()
    line = _get_curves_info(curves, trials)["lines"][PERIODS[0]][0]
    # the old mean fell by 0.1 at epoch 11, where seed 0 dropped out; now the mean stops there
    whole = curves[(curves["period"] == PERIODS[0]) & (curves["epoch"] <= 10)]
    assert line["valid"] == pytest.approx(whole.groupby("epoch")["valid_loss"].mean().to_numpy())
    assert line["epoch"].max() == 10 and set(line["seeds"]) == {3}  # a mean of all three seeds
    tails = {t["seed"]: t for t in line["tails"]}  # after that: the seeds still running, each alone
    assert set(tails) == {1, 2} and tails[1]["epoch"].min() == 11 and tails[1]["epoch"].max() == 20


def test_best_curves_band_covers_only_epochs_every_seed_reached():
    trials, curves = _early_stopped_seed()
    info = _get_best_curves_info(curves, trials)
    band = info["best"][0]["periods"][PERIODS[0]]
    assert band["epoch"].max() == 10 and band["valid_max"] - band["valid_min"] == pytest.approx(
        np.full(10, 0.3))  # the band spans all three seeds at every epoch it is drawn
    assert {t["seed"] for t in band["tails"]} == {1, 2}


def test_curves_of_a_mae_study_are_drawn_in_target_units():
    """objective: valid_mae: the validation curves are the MAE (target units), labelled so."""
    _, trials = tables([trial(0, 0.5)])
    curves = curves_frame({tid(0): "healthy"})
    curves["valid_mae"] = curves["valid_loss"] * 40.0  # target units
    info = _get_curves_info(curves, trials, objective="valid_mae")
    line = info["lines"][PERIODS[0]][0]
    assert line["valid"] == pytest.approx(curves.groupby("epoch")["valid_mae"].mean().to_numpy())
    assert "MAE" in info["labels"]["valid"] and "MSE" in info["labels"]["train"]
    best = _get_best_curves_info(curves, trials, objective="valid_mae")
    assert best["best"][0]["periods"][PERIODS[0]]["valid"].min() > 10
    assert "MAE" in best["labels"]["valid"]


def test_curve_plots_of_a_mae_study_with_early_stopped_seeds_are_written(tmp_path):
    trials, curves = _early_stopped_seed()
    curves["valid_mae"] = curves["valid_loss"] * 40.0
    trials.to_csv(tmp_path / "trials.csv", index=False)
    curves.to_parquet(tmp_path / "curves.parquet")
    curves_plot_file(str(tmp_path / "curves.parquet"), str(tmp_path / "trials.csv"),
                     str(tmp_path / "all.png"), str(tmp_path / "best.png"), "valid_mae")
    assert (tmp_path / "all.png").stat().st_size > 1000 and (tmp_path / "best.png").stat().st_size > 1000


def test_best_curves_draw_each_period_on_its_own_scale(tmp_path, monkeypatch):
    """One period's errors ten times another's: a shared y-axis cut off the whole curve of the
    easy period's neighbour. Read back from the drawing: every panel shows its own curve's best
    and last epochs."""
    import matplotlib.figure
    from tunelab.analysis.curves import plot_curves_best

    _, trials = tables([trial(0, 0.5)])
    curves = curves_frame({tid(0): "healthy"})
    hard = curves["period"] == PERIODS[1]
    curves.loc[hard, ["valid_loss", "train_loss"]] *= 10.0
    curves["valid_loss"] += curves["valid_loss"].max()  # validation well above training everywhere
    drawn = []
    save = matplotlib.figure.Figure.savefig
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig",
                        lambda fig, *a, **k: (drawn.append(fig), save(fig, *a, **k)))
    plot_curves_best(_get_best_curves_info(curves, trials), tmp_path / "best.png")
    panels = {ax.get_title(): ax for ax in drawn[0].axes if ax.get_title() in PERIODS}
    assert set(panels) == set(PERIODS)
    for period, ax in panels.items():
        valid = curves[curves["period"] == period].groupby("epoch")["valid_loss"].mean()
        low, high = ax.get_ylim()
        assert low <= valid.min() and valid.iloc[-1] <= high, (period, low, high, valid.min())
        both = curves[curves["period"] == period][["valid_loss", "train_loss"]].to_numpy()
        assert high - low <= 1.5 * (both.max() - both.min())  # the curve fills its panel


def test_curves_all_legend_swatches_have_the_colours_of_their_groups_lines(tmp_path, monkeypatch):
    """Read back from the drawing: each group's legend swatch has the colour of every line drawn
    for that group's trials (a swatch of another colour named the wrong group)."""
    import matplotlib.colors
    import matplotlib.figure
    from tunelab.analysis.curves import plot_curves_all

    _, trials = tables([trial(i, 0.5 + 0.01 * i, group=f"hidden_size={w}") for i, w in enumerate((8, 8, 16, 16, 32))])
    curves = curves_frame({tid(i): "healthy" for i in range(5)})
    drawn = []
    save = matplotlib.figure.Figure.savefig
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig",
                        lambda fig, *a, **k: (drawn.append(fig), save(fig, *a, **k)))
    info = _get_curves_info(curves, trials, highlight=0)
    plot_curves_all(info, tmp_path / "all.png")
    legend = next(ax.get_legend() for ax in drawn[0].axes if ax.get_legend())
    swatch = {t.get_text(): matplotlib.colors.to_hex(h.get_color())
              for t, h in zip(legend.get_texts(), legend.legend_handles, strict=True)}
    groups = overall(trials)["group"].to_dict()
    lines = [line for ax in drawn[0].axes for line in ax.get_lines() if line.get_gid() in groups]
    assert len(lines) >= 2 * len(groups)  # train and valid of every trial
    for line in lines:
        assert matplotlib.colors.to_hex(line.get_color()) == swatch[groups[line.get_gid()]]
    assert {"hidden_size=8", "hidden_size=16", "hidden_size=32"} <= set(swatch)
