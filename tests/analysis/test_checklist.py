"""Each checklist item fires on the hand-made case it is about and stays quiet on a healthy one."""

import numpy as np
import pytest
from analysis_data import LR, WD, context, curves_frame, tables, tid, trial
from tunelab.analysis.checklist import (
    budget_curve,
    checklist_file,
    checklist_markdown,
    curve_items,
    expected_best,
    flag_runs,
    infeasible_item,
    run_checklist,
    run_features,
    sampled_item,
    suspicious_item,
)

SHAPES = ["healthy", "overfit", "still_improving", "saturated", "noisy"]


def items_by_key(items):
    return {i.key: i for i in items}


def test_each_curve_shape_trips_its_own_flag():
    curves = curves_frame({tid(i): s for i, s in enumerate(SHAPES)})
    flags = flag_runs(run_features(curves)).groupby("trial").mean(numeric_only=True)
    assert not flags.loc[tid(0), ["overfitting", "noisy_late", "still_improving", "saturated_early"]].any()
    assert flags.loc[tid(1), "overfitting"] == 1.0
    assert flags.loc[tid(2), "still_improving"] == 1.0
    assert flags.loc[tid(3), "saturated_early"] == 1.0 and flags.loc[tid(3), "overfitting"] == 0.0
    assert flags.loc[tid(4), "noisy_late"] == 1.0


def test_an_overfitting_best_trial_is_a_warning_and_an_overfitting_poor_trial_a_note():
    trials = [trial(i, 0.40 + 0.05 * i) for i in range(6)]  # t0 best ... t5 worst
    _, table = tables(trials)
    best_overfits = curves_frame({tid(0): "overfit", **{tid(i): "healthy" for i in range(1, 6)}})
    item = items_by_key(curve_items(best_overfits, table))["overfitting"]
    assert item.verdict == "warning" and item.trials == [tid(0)]
    assert "one of the best" in item.details[0]
    worst_overfits = curves_frame({tid(5): "overfit", **{tid(i): "healthy" for i in range(5)}})
    item = items_by_key(curve_items(worst_overfits, table))["overfitting"]
    assert item.verdict == "note" and item.trials == [tid(5)]
    healthy = curves_frame({tid(i): "healthy" for i in range(6)})
    assert {i.verdict for i in curve_items(healthy, table)} == {"ok"}


def test_a_run_stopped_early_is_not_still_improving():
    curves = curves_frame({tid(1): "still_improving"})
    assert flag_runs(run_features(curves, planned={tid(1): 20}))["still_improving"].all()
    # planned 40 epochs, stopped at 20 (early stopping or a failure): not "more steps may pay"
    assert not flag_runs(run_features(curves, planned={tid(1): 40}))["still_improving"].any()


def test_infeasible_trials_are_located_at_high_learning_rate():
    trials = [trial(i, 0.5, learning_rate=lr, weight_decay=wd)
              for i, (lr, wd) in enumerate([(1e-4, 1e-3), (3e-4, 1e-5), (1e-3, 1e-4), (3e-3, 1e-3),
                                            (1e-2, 1e-5)])]
    trials += [trial(10 + i, 0.5, infeasible=True, learning_rate=lr, weight_decay=wd)
               for i, (lr, wd) in enumerate([(5e-2, 1e-4), (9e-2, 1e-5)])]
    runs, table = tables(trials)
    item = infeasible_item(runs, table, context({"learning_rate": LR, "weight_decay": WD}))
    assert item.verdict == "warning"  # 2 of 7 trials: more than a fifth
    assert item.trials == [tid(10), tid(11)]
    assert "infeasible trials sit at high learning_rate: 0.05 to 0.09" in item.summary
    assert not any("weight_decay" in d for d in item.details)  # it does not separate them
    assert any("train loss became nan" in d for d in item.details)
    runs, table = tables(trials[:5])
    assert infeasible_item(runs, table, context()).verdict == "ok"


def test_suspicious_best_learning_rate_at_the_top_and_a_lucky_seed():
    space = {"learning_rate": LR}
    top = [trial(1, 0.40, learning_rate=0.095), trial(2, 0.45, learning_rate=1e-3),
           trial(3, 0.47, learning_rate=3e-4)]
    item = suspicious_item(tables(top)[1], context(space))
    assert item.verdict == "warning" and "top of its range" in item.summary
    lucky = [trial(1, 0.40, std=0.2, learning_rate=1e-3)] + [
        trial(i, 0.45 + 0.01 * i, std=0.01, learning_rate=1e-3 * i) for i in range(2, 8)]
    item = suspicious_item(tables(lucky)[1], context(space))
    assert item.verdict == "warning" and "seeds disagree" in item.summary
    fine = [trial(i, 0.40 + 0.01 * i, learning_rate=1e-3 * (i + 1)) for i in range(5)]
    item = suspicious_item(tables(fine)[1], context(space))
    assert item.verdict == "ok" and "below the top of its range" in item.summary
    assert "within 2x the other trials' pooled 0.01" in item.summary


def test_an_unsuspicious_best_at_a_lower_edge_is_not_said_to_be_inside_every_range():
    """The lower edges are the boundary item's to report; the ok sentence claims only what this
    check looked at (a real report said 'inside every range' beside a boundary warning)."""
    space = {"learning_rate": LR}
    edge = [trial(0, 0.40, learning_rate=LR["low"])] + [
        trial(i, 0.40 + 0.01 * i, learning_rate=1e-3 * (i + 1)) for i in range(1, 5)]
    item = suspicious_item(tables(edge)[1], context(space))
    assert item.verdict == "ok" and "inside every range" not in item.summary


def test_expected_best_is_exact():
    values = np.array([0.3, 0.5, 0.9])
    # brute force over all 3^2 ordered draws of two trials with replacement
    brute = np.mean([min(a, b) for a in values for b in values])
    assert expected_best(values, 2) == pytest.approx(brute)
    assert expected_best(values, 1) == pytest.approx(values.mean())
    curve = budget_curve(values)
    assert [c["trials"] for c in curve] == [1, 2, 3]
    assert all(a["expected_best"] >= b["expected_best"] for a, b in zip(curve, curve[1:], strict=False))


def test_sampled_enough_ok_when_trials_are_alike_warning_when_one_stands_out():
    alike = [trial(i, 0.50 + 0.001 * i, std=0.02, group="hidden_size=16") for i in range(8)]
    item = sampled_item(tables(alike)[1], context())
    assert item.verdict == "ok"
    rare = [trial(0, 0.30, std=0.01, group="hidden_size=16")] + [
        trial(i, 0.60, std=0.01, group="hidden_size=16") for i in range(1, 10)]
    item = sampled_item(tables(rare)[1], context())
    assert item.verdict == "warning" and "more trials may pay" in item.summary
    assert len(item.data["curves"]["hidden_size=16"]) == 10


def test_the_page_lists_every_item(tmp_path, search_tables, ctx):
    runs, table = search_tables
    curves = curves_frame({tid(i): "healthy" for i in range(6)})
    items = run_checklist(table, runs, curves, ctx)
    assert [i.key for i in items] == ["overfitting", "noisy_late", "still_improving", "saturated_early",
                                      "infeasible", "boundary", "suspicious_best", "sampled_enough",
                                      "simple_baselines", "cpu_paths"]
    text = checklist_markdown(items, ctx)
    assert text.count("\n| ") == 11 and "Infeasible trials | note" in text
    runs.to_csv(tmp_path / "runs.csv", index=False)
    table.to_csv(tmp_path / "trials.csv", index=False)
    curves.to_parquet(tmp_path / "curves.parquet")
    checklist_file(str(tmp_path / "trials.csv"), str(tmp_path / "runs.csv"),
                   str(tmp_path / "curves.parquet"), ctx, str(tmp_path / "c.md"), str(tmp_path / "c.json"))
    assert (tmp_path / "c.md").read_text() == text


def test_sampled_enough_with_one_seed_has_no_yardstick(ctx):
    from tunelab.analysis.checklist import sampled_item

    _, trials = tables([trial(i, 0.5 + 0.01 * i) for i in range(6)], seeds=(0,))
    item = sampled_item(trials, ctx)
    assert item.verdict == "n/a" and "unmeasured" in item.summary


def test_trials_worse_than_a_simple_baseline_are_a_warning_when_among_the_best(search_tables, ctx):
    from test_skill import BASELINES, baselines_frame
    from tunelab.analysis.checklist import simple_baselines_item

    _, trials = search_tables
    item = simple_baselines_item(trials, baselines_frame(BASELINES), ctx)
    assert item.verdict == "warning" and item.trials == [tid(3), tid(5), tid(0)]
    assert "worse than linear" in item.summary
    easy = baselines_frame({"persistence": {p: 0.9 for p in ("v2020-03", "v2020-06")}})
    assert simple_baselines_item(trials, easy, ctx).verdict == "ok"
    assert simple_baselines_item(trials, None, ctx).verdict == "n/a"


def test_a_period_lost_to_a_simple_forecast_is_a_note_even_when_every_mean_beats_it(ctx):
    from analysis_data import PERIODS, tables, trial
    from test_skill import baselines_frame
    from tunelab.analysis.checklist import simple_baselines_item

    _, trials = tables([trial(1, {PERIODS[0]: 0.40, PERIODS[1]: 3.60}),
                        trial(2, {PERIODS[0]: 0.50, PERIODS[1]: 3.20})])
    item = simple_baselines_item(trials, baselines_frame({"linear": {PERIODS[0]: 0.60, PERIODS[1]: 3.30}}),
                                 dict(ctx, objective="valid_mse"))
    assert item.verdict == "note"
    assert "on average over periods" in item.summary and f"on {PERIODS[1]}: {tid(1)})" in item.summary


def test_trials_a_rung_stopped_are_not_told_fewer_or_more_epochs_would_do():
    """A rung stopped t0 and t1 after a few of their planned epochs: 'saturated early' (fewer
    epochs would do) is about the scheduler's choice, not theirs; the trial trained fully still is."""
    trials = [trial(i, 0.40 + 0.05 * i) for i in range(3)]
    _, table = tables(trials)
    curves = curves_frame({tid(0): "saturated", tid(1): "saturated", tid(2): "saturated"})
    planned = {tid(i): 40 for i in range(3)}
    plain = items_by_key(curve_items(curves, table, planned))["saturated_early"]
    assert set(plain.trials) == {tid(0), tid(1), tid(2)}
    item = items_by_key(curve_items(curves, table, planned, stopped={tid(0), tid(1)}))["saturated_early"]
    assert item.trials == [tid(2)] and "2 a rung stopped are left out" in item.summary


def test_sampled_enough_counts_the_uniform_draws_only():
    """One adaptive trial far better than the exploration: the expected-best-of-n argument is
    about uniform draws, so it is left out (and said to be), not read as 'more trials may pay'."""
    alike = [trial(i, 0.50 + 0.001 * i, std=0.02, group="hidden_size=16") for i in range(8)]
    _, table = tables(alike + [trial(9, 0.30, std=0.02, group="hidden_size=16")])
    table.loc[table["trial"] == tid(9), "phase"] = "adaptive"
    item = sampled_item(table, context())
    assert item.verdict == "ok" and "1 adaptive trial(s) left out" in item.summary


def test_sampled_enough_is_not_read_from_the_survivors_of_the_rungs():
    """With rungs, the trials trained fully were promoted for their rank: their expected best of
    half of them is not what half the budget would find (a report said 'ok' over 3 survivors)."""
    import numpy as np
    from analysis_data import runs_frame, summarise

    runs = runs_frame([trial(i, 0.40 + 0.01 * i, std=0.02) for i in range(9)])
    runs.insert(runs.columns.get_loc("valid_examples") + 1, "rung_epochs",
                np.where(runs["trial"].isin([tid(0), tid(1), tid(2)]), 9, 3))
    item = sampled_item(summarise(runs, "valid_mse"), context(full_epochs=9))
    assert item.verdict == "n/a" and "the rungs stopped 6 trial(s)" in item.summary
    assert "the 3 trained fully were promoted for their rank" in item.summary


def test_runs_on_two_cpu_code_paths_are_a_warning_naming_the_mixed_trials(search_tables):
    from tunelab.analysis.checklist import cpu_paths_item

    runs, _ = search_tables
    assert cpu_paths_item(runs).verdict == "n/a"  # nothing recorded (a training command's runs)
    one = runs.assign(cpu_path="AVX512")
    assert cpu_paths_item(one).verdict == "ok" and "(AVX512)" in cpu_paths_item(one).summary
    two = one.copy()
    first = two["trial"].iloc[0]
    two.loc[(two["trial"] == first) & (two["seed"] == two["seed"].max()), "cpu_path"] = "AVX2"
    item = cpu_paths_item(two)
    assert item.verdict == "warning" and item.trials == [first]
    assert "2 CPU code paths" in item.summary and "cpu_numerics: avx2" in item.summary
