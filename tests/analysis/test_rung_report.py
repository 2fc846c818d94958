"""With rungs: the tables carry how far each trial got, a stopped trial is never the candidate,
axis plots mark stopped trials, and the curves through the rungs are drawn."""

import numpy as np
import pandas as pd
from analysis_data import LR, context, runs_frame, summarise, tid, trial
from tunelab.analysis.axis import _get_axis_info, plot_axis
from tunelab.analysis.decision import select_candidates
from tunelab.analysis.rungcurves import _get_rung_curves_info, plot_rung_curves
from tunelab.collect import hyperparameter_columns


def rung_tables():
    """Four trials; t0 (best value) stopped at the 3-epoch rung, t1..t3 reached all 9."""
    trials = [trial(0, 0.10, learning_rate=1.0e-3), trial(1, 0.20, learning_rate=3.0e-3),
              trial(2, 0.30, learning_rate=1.0e-2), trial(3, 0.40, learning_rate=3.0e-2)]
    runs = runs_frame(trials)
    runs.insert(runs.columns.get_loc("valid_examples") + 1, "rung_epochs",
                np.where(runs["trial"] == tid(0), 3, 9))
    return runs, summarise(runs, "valid_mse")


def test_trials_table_says_how_far_each_trial_got():
    runs, trials = rung_tables()
    overall = trials[trials["period"] == "all"].set_index("trial")
    assert overall["rung_epochs"].to_dict() == {tid(0): 3, tid(1): 9, tid(2): 9, tid(3): 9}
    assert hyperparameter_columns(runs) == ["learning_rate"]  # a rung is not a hyperparameter


def test_a_trial_stopped_at_a_rung_is_never_the_candidate():
    _, trials = rung_tables()
    ctx = context(space={"learning_rate": LR}, mode="joint", full_epochs=9)
    assert select_candidates(trials, ctx)["candidate"]["trial"] == tid(1)
    # a trial trained outside the rungs (an adaptive round's: no rung_epochs) may be the candidate
    runs, _ = rung_tables()
    runs.loc[runs["trial"] == tid(1), "rung_epochs"] = np.nan
    runs.loc[runs["trial"] == tid(1), "valid_mse"] -= 0.05
    assert select_candidates(summarise(runs, "valid_mse"), ctx)["candidate"]["trial"] == tid(1)
    # without rungs in the context the table's best is the candidate, as before
    assert select_candidates(trials, context(space={"learning_rate": LR}, mode="joint"))[
        "candidate"]["trial"] == tid(0)


def test_axis_plot_marks_stopped_trials_and_stars_a_full_budget_one(tmp_path):
    _, trials = rung_tables()
    ctx = context(space={"learning_rate": LR}, mode="joint", full_epochs=9)
    info = _get_axis_info(trials, "learning_rate", ctx)
    stopped = dict(zip(info["trials"], info["stopped"], strict=True))
    assert stopped == {tid(0): True, tid(1): False, tid(2): False, tid(3): False}
    assert info["trials"][info["best"]] == tid(1)
    plot_axis(info, tmp_path / "axis.png")
    assert (tmp_path / "axis.png").stat().st_size > 0
    # the axis plot and the candidate agree on "stopped": measured against the full budget, not
    # the longest rung the table holds (here 9 of 27 epochs: every trial stopped, none starred)
    info = _get_axis_info(trials, "learning_rate", {**ctx, "full_epochs": 27})
    assert all(info["stopped"]) and info["best"] is None
    assert select_candidates(trials, {**ctx, "full_epochs": 27})["candidate"] is None


def test_rung_curves_follow_each_trial_to_its_last_rung(tmp_path):
    curves = pd.DataFrame([{"period": p, "trial": t, "seed": s, "epoch": e, "train_loss": 1 / e,
                            "valid_loss": 1 / e + 0.1 * s}
                           for p in ("v1", "v2") for t, last in (("ta", 3), ("tb", 9))
                           for s in (0, 1) for e in range(1, last + 1)])
    rungs = pd.DataFrame({"trial": ["ta", "tb", "tb"], "rung": [0, 0, 1], "epochs": [3, 3, 9]})
    info = _get_rung_curves_info(curves, rungs, "valid_mse")
    assert info["rungs"] == [3, 9]
    lines = {entry["trial"]: entry for entry in info["lines"]}
    assert lines["ta"]["reached"] == 3 and list(lines["ta"]["epoch"]) == [1, 2, 3]
    assert lines["tb"]["reached"] == 9 and lines["tb"]["valid"][0] == 1.05  # mean over seeds, periods
    plot_rung_curves(info, tmp_path / "curves.rungs.png")
    assert (tmp_path / "curves.rungs.png").stat().st_size > 0
