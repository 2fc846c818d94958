"""report.md and summary.json assembled from the other rules' outputs (hand-made study)."""

import json

import pandas as pd
from analysis_data import PERIODS, curves_frame, runs_frame, tid, trial
from tunelab.analysis.checklist import checklist_file
from tunelab.analysis.decision import decide, decision_markdown
from tunelab.analysis.tables import jsonable
from tunelab.analysis.variance import variance_file
from tunelab.io import write_text
from tunelab.report.markdown import plot_links, report_file


def build(tmp_path, search_tables, ctx, verdict_runs, baselines=None, extra_plots=()):
    runs, trials = search_tables
    out = tmp_path / "results/hand"
    out.mkdir(parents=True)
    runs.to_csv(out / "runs.csv", index=False)
    trials.to_csv(out / "trials.csv", index=False)
    pd.DataFrame({"trial": trials["trial"].unique(), "repeats": "0"}).to_csv(out / "plan.csv", index=False)
    pd.DataFrame({"period": list(PERIODS), "month": "2026-11",
                  "train_start": ["2019-12-01T00:00:00", "2020-03-01T00:00:00"],
                  "train_end": ["2020-03-01T00:00:00", "2020-06-01T00:00:00"],
                  "valid_start": ["2020-03-01T00:00:00", "2020-06-01T00:00:00"],
                  "valid_end": ["2020-04-01T00:00:00", "2020-07-01T00:00:00"],
                  "test_start": ["2020-04-01T00:00:00", "2020-07-01T00:00:00"],
                  "test_end": ["2020-05-01T00:00:00", "2020-08-01T00:00:00"]}).to_csv(out / "periods.csv",
                                                                                       index=False)
    variance_file(str(out / "trials.csv"), str(out / "plan.csv"), ctx, str(out / "variance.csv"),
                  str(out / "variance.json"))
    curves_frame({tid(i): "healthy" for i in range(6)}).to_parquet(out / "curves.parquet")
    checklist_file(str(out / "trials.csv"), str(out / "runs.csv"), str(out / "curves.parquet"), ctx,
                   str(out / "checklist.md"), str(out / "checklist.json"))
    chosen = {"baseline": {"trial": tid(100), "group": "", "source": ctx["baseline"]["source"]},
              "candidate": {"trial": tid(2), "group": "hidden_size=64", "objective_mean": 0.45},
              "per_group": [{"group": "hidden_size=16", "trial": tid(1), "objective_mean": 0.52},
                            {"group": "hidden_size=64", "trial": tid(2), "objective_mean": 0.45}]}
    values = {tid(100): {"learning_rate": 1e-3}, tid(1): {"learning_rate": 3e-3},
              tid(2): {"learning_rate": 3e-3, "hidden_size": 64}}
    d = decide(verdict_runs, chosen, ctx, values, verdict_runs.assign(test_mse=0.5))
    write_text(out / "decision.md", decision_markdown(d, ctx))
    write_text(out / "decision.json", json.dumps(jsonable(d)))
    plots = [str(out / "plots" / f) for f in ("periods.png", "curves.all.png", "curves.best.png",
                                               "axis.learning_rate.png", "isolation.hidden_size.png",
                                               *extra_plots)]
    inputs = {k: str(out / f) for k, f in [
        ("trials", "trials.csv"), ("runs", "runs.csv"), ("periods", "periods.csv"),
        ("variance", "variance.json"), ("checklist", "checklist.md"),
        ("checklist_json", "checklist.json"), ("decision", "decision.md"),
        ("decision_json", "decision.json")]}
    if baselines is not None:
        baselines.to_csv(out / "baselines.csv", index=False)
        inputs["baselines"] = str(out / "baselines.csv")
    summary = report_file(inputs, plot_links(plots, str(out / "report.md")), ctx, str(out / "report.md"),
                          str(out / "summary.json"))
    return out, summary


def test_report_and_summary_of_an_adopted_candidate(tmp_path, search_tables, ctx):
    confirm = runs_frame([trial(100, 0.55, std=0.01), trial(2, 0.45, std=0.01),
                          trial(1, 0.52, std=0.01)], seeds=(3, 4, 5))
    out, summary = build(tmp_path, search_tables, ctx, confirm)
    text = (out / "report.md").read_text()
    for heading in ("# Study report: study", "## Periods", "## Leaderboard", "## Variance",
                    "## Axis plots", "## Isolation plots", "## Training curves", "## Checklist",
                    "## Decision", "### The study's question", "### Test windows"):
        assert heading in text, heading
    assert "> Is a wider MLP better?" in text and "**Verdict: ADOPT.**" in text
    assert "**Where the gain comes from:** The candidate changes" in text.split("## Periods")[0]
    assert "![axis plot of learning_rate](plots/axis.learning_rate.png)" in text
    assert "| 1 | t00000002 | hidden_size=64 | 0.45 |" in text
    assert "infeasible" in text.split("## Leaderboard")[1].split("## Variance")[0]  # t4's rank
    assert summary["verdict"] == "ADOPT" and summary["adopt"] == 1 and summary["verdict_code"] == 1
    assert summary["best_trial"] == tid(2) and summary["best_objective"] == 0.45
    assert summary["candidate_trial"] == tid(2) and summary["baseline_trial"] == tid(100)
    assert abs(summary["relative_gain"] - 0.1 / 0.55) < 1e-9
    assert summary["periods_better"] == 2 and summary["candidate_test"] == 0.5
    assert summary["infeasible_runs"] == 6 and summary["runs"] == 36
    assert summary["question_winner"] == "hidden_size=64"
    assert json.loads((out / "summary.json").read_text()) == summary
    numbers = [v for v in summary.values() if isinstance(v, int | float) and not isinstance(v, bool)]
    assert len(numbers) >= 20  # `dvc metrics show` material


def test_summary_of_a_rejected_candidate_has_no_test_numbers(tmp_path, search_tables, ctx):
    confirm = runs_frame([trial(100, 0.40, std=0.01), trial(2, 0.45, std=0.01),
                          trial(1, 0.52, std=0.01)], seeds=(3, 4, 5))
    out, summary = build(tmp_path, search_tables, ctx, confirm)
    assert summary["verdict"] == "REJECT" and summary["verdict_code"] == -1
    assert summary["candidate_test"] is None and summary["periods_worse"] == 2
    assert "Not evaluated" in (out / "report.md").read_text()


def test_the_leaderboard_shows_the_simple_baselines_and_who_loses_to_them(tmp_path, search_tables,
                                                                          ctx):
    from test_skill import BASELINES, baselines_frame

    confirm = runs_frame([trial(100, 0.55, std=0.01), trial(2, 0.45, std=0.01),
                          trial(1, 0.52, std=0.01)], seeds=(3, 4, 5))
    out, summary = build(tmp_path, search_tables, ctx, confirm, baselines_frame(BASELINES))
    assert summary["best_simple_baseline"] == "linear"
    assert summary["trials_worse_than_simple_baseline"] == 3
    assert abs(summary["best_skill"] - ((1 - 0.45 / 0.55) + (1 - 0.45 / 0.50)) / 2) < 1e-9
    board = (out / "report.md").read_text().split("## Leaderboard")[1].split("## Variance")[0]
    for name in ("persistence", "training mean", "linear"):
        assert f"| simple | {name} |" in board
    assert "| skill |" in board.splitlines()[4]  # the header row of the table
    assert "| 1 | t00000002 | hidden_size=64 | 0.45 | 0.14" in board  # skill (0.18 + 0.10) / 2
    assert f"worse than linear) | {tid(0)}" in board  # 0.60 > linear's 0.54
    assert f"| 2 | {tid(1)}" in board  # 0.52 beats it: no mark
    assert "**3 of 5 feasible trials are worse than linear**" in board


def test_an_adaptive_study_shows_phase_and_round_on_the_leaderboard_and_its_convergence(
        tmp_path, search_tables, ctx):
    """Issue 9: which phase and round drew each trial, in the report itself."""
    runs, trials = search_tables
    adaptive = {tid(2): 1}  # the best trial came from adaptive round 1
    for frame in (runs, trials):
        frame["phase"] = ["adaptive" if t in adaptive else "exploration" for t in frame["trial"]]
        frame["round"] = [adaptive.get(t, 0) for t in frame["trial"]]
    confirm = runs_frame([trial(100, 0.55, std=0.01), trial(2, 0.45, std=0.01),
                          trial(1, 0.52, std=0.01)], seeds=(3, 4, 5))
    out, _ = build(tmp_path, (runs, trials), ctx, confirm, extra_plots=("convergence.png",))
    text = (out / "report.md").read_text()
    board = text.split("## Leaderboard")[1].split("## Convergence")[0]
    assert "| rank | trial | group | phase | round |" in board
    assert f"| 1 | {tid(2)} | hidden_size=64 | adaptive | 1 | 0.45" in board
    assert f"| 2 | {tid(1)} | hidden_size=16 | exploration | 0 |" in board
    assert "![convergence](plots/convergence.png)" in text.split("## Convergence")[1]


def test_skill_sits_beside_the_objective_when_phase_columns_come_first(tmp_path, search_tables, ctx):
    from test_skill import BASELINES, baselines_frame
    from tunelab.report.markdown import leaderboard_table

    _, trials = search_tables
    trials["phase"], trials["round"] = "exploration", 0
    trials.loc[trials["trial"] == tid(2), ["phase", "round"]] = ["adaptive", 1]
    board = leaderboard_table(trials, ctx, baselines=baselines_frame(BASELINES))
    assert list(board.columns[:7]) == ["rank", "trial", "group", "phase", "round", ctx["objective"],
                                       "skill"]


def test_an_exploration_only_study_has_no_phase_columns(tmp_path, search_tables, ctx):
    confirm = runs_frame([trial(100, 0.55, std=0.01), trial(2, 0.45, std=0.01),
                          trial(1, 0.52, std=0.01)], seeds=(3, 4, 5))
    out, _ = build(tmp_path, search_tables, ctx, confirm)
    assert "| phase |" not in (out / "report.md").read_text()


def test_trials_whose_seeds_agree_exactly_are_named_apart_from_the_noisy_ones():
    from tunelab.report.markdown import seeds_agree_lines
    trials = pd.DataFrame({"trial": ["t0", "t1", "t2", "t0"], "period": ["all", "all", "all", "p0"],
                           "objective_std": [0.0, 0.01, 0.0, 0.0], "seeds": [3, 3, 1, 3]})
    lines = seeds_agree_lines(trials)
    assert lines and "1 trial(s) (t0)" in lines[0] and "seeds agree exactly" in lines[0]
    assert "t1" not in lines[0] and "t2" not in lines[0]  # noisy, and one seed measures nothing
    assert seeds_agree_lines(trials.assign(objective_std=0.02)) == []
