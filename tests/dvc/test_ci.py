"""CI regenerates the report and says what changed (issue 15), with real git, DVC and Snakemake.

A pull request of two commits on the tiny project (conftest.py's `built`, pushed to a local DVC
remote): first a nuisance range changed (learning rates [1e-3, 1e-2] -> [1e-3, 3e-3]), then a seed
added. After each commit, CI's own step runs in a fresh clone, as GitHub Actions would run it: the
`run:` line of .github/workflows/tunelab.yml, read from the file. Its comment must name exactly the
trials that changed, the verdicts and the differences, with "within retrain noise" where it is so,
and the restored results must spare every run the change did not touch.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from dvc_project import ENV, REPO, STUDY, clone, git, run, trained
from tunelab.compare import Side, comment, still_wins

NOISE = 2  # docs/how-to/ci.md: a change within twice the pooled retrain std is retrain noise

WORKFLOW = REPO / ".github" / "workflows" / "tunelab.yml"
OUT = "tunelab-report"
PERIODS = 2
LR = "learning_rate"


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def step(name_or_id: str) -> dict:
    steps = workflow()["jobs"]["report"]["steps"]
    return next(s for s in steps if name_or_id in (s.get("id"), s.get("name")))


def report_command() -> str:
    return step("report")["run"]


# --- the workflow file ---------------------------------------------------------------------------

def test_workflow_is_a_valid_github_actions_workflow(tmp_path):
    """check-jsonschema with the GitHub workflow schema it ships (SchemaStore's): valid, and a
    broken copy (a step with both `uses` and `run`, no runs-on) is caught."""
    checker = shutil.which("check-jsonschema")
    if checker is None:
        pytest.skip("check-jsonschema is not installed (pip install -e .[dev])")
    ok = subprocess.run([checker, "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    broken = workflow()
    del broken["jobs"]["report"]["runs-on"]
    broken["jobs"]["report"]["steps"][0]["run"] = "echo both"
    bad = tmp_path / "bad.yml"
    bad.write_text(yaml.safe_dump(broken))
    assert subprocess.run([checker, "--builtin-schema", "vendor.github-workflows", str(bad)],
                          capture_output=True).returncode == 1


def test_workflow_runs_on_study_code_and_data_changes_and_monthly():
    on = workflow()[True]  # YAML 1.1 reads the key `on` as True
    for path in ("params/**", "workflow/**", "data/**"):
        assert path in on["pull_request"]["paths"]
    assert re.fullmatch(r"\S+ \S+ 1 \* \*", on["schedule"][0]["cron"])  # monthly, on the 1st


def test_workflow_steps_are_the_commands_the_test_runs():
    """Every `run:` step is the install, the remote set-up, the command the e2e test below runs,
    or a publication of its output; the report is published from where that command writes it."""
    runs = [s["run"] for s in workflow()["jobs"]["report"]["steps"] if "run" in s]
    assert report_command() == f'.ci/tunelab-report "$BASE_REV" {OUT}'
    assert runs[0].startswith("python -m pip install torch==2.13.0") and " -e . " in runs[0]
    assert runs[1].startswith("dvc remote add --local --default")
    assert runs[2] == report_command()
    assert len(runs) == 5 and all(f"--body-file {OUT}/comment.md" in r for r in runs[3:5])
    assert step("Publish the report")["with"]["path"] == f"{OUT}/"
    env = workflow()["jobs"]["report"]["env"]
    assert "origin/{0}" in env["BASE_REV"] and "github.base_ref" in env["BASE_REV"]


# --- the comparison on a real repository -------------------------------------------------------------

def ci(project: Path, base: str) -> tuple[str, str]:
    """CI's step, read from the workflow file, run in `project`: (the comment, dvc repro's log)."""
    env = {**ENV, "PYTHONPATH": str(project / "workflow"), "BASE_REV": base}
    proc = subprocess.run(["bash", "-c", report_command()], cwd=project, env=env, text=True, timeout=1200,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.returncode == 0, proc.stdout[-6000:]
    log = proc.stdout.split("== dvc repro", 1)[1]  # before it: `snakemake --touch` of the restore
    return (project / OUT / "comment.md").read_text(), log


def table(text: str) -> dict[str, dict]:
    """The comment's trial table: {trial: {change, group, values, before, after, difference, runs}}."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 8 and cells[0] in ("added", "removed", "retrained"):
            change, trial, group, values, before, after, difference, runs = cells
            rows[trial.strip("`")] = {"change": change, "group": group, "values": values, "before": before,
                                      "after": after, "difference": difference, "runs": runs}
    return rows


def read(project: Path, name: str):
    """A result of the study in a project's workspace (summary.json: the copy under reports/)."""
    if name == "summary.json":
        return json.loads((project / "reports" / STUDY / name).read_text())
    return pd.read_csv(project / "results" / STUDY / name)


def expected_noise_words(before: float, after: float, pooled: float) -> str:
    return "within retrain noise" if abs(after - before) <= NOISE * pooled else "larger than retrain noise"


def check_headline(text: str, base: dict, head: dict) -> None:
    assert f"**Verdict:** {base['verdict']} → {head['verdict']}" in text
    assert f"`{base['best_trial']}`" in text and f"`{head['best_trial']}`" in text
    diff = head["best_objective"] - base["best_objective"]
    noise = NOISE * head["pooled_retrain_std"]
    assert f"Difference {diff:+.4g}, retrain noise ±{noise:.4g}" in text
    words = expected_noise_words(base["best_objective"], head["best_objective"], head["pooled_retrain_std"])
    assert f"**{words}**" in text


@pytest.mark.e2e
def test_ci_comment_names_what_a_nuisance_change_then_a_new_seed_did(built, remote, tmp_path):
    project, _ = built
    base_summary = read(project, "summary.json")
    base_plan = read(project, "plan.csv")
    old_lr = set(base_plan.loc[base_plan[LR] == 0.01, "trial"])
    kept = set(base_plan["trial"]) - old_lr

    # commit 1 of the pull request: a nuisance range changed
    first = clone(project, tmp_path / "first", remote)
    git(first, "checkout", "-q", "-b", "change")
    study = first / "params" / f"{STUDY}.yaml"
    spec = yaml.safe_load(study.read_text())
    spec["hyperparameters"][LR]["feasible_points"] = [1.0e-3, 3.0e-3]
    study.write_text(yaml.safe_dump(spec, sort_keys=False))
    git(first, "commit", "-q", "-am", "learning rates 1e-3 and 3e-3")
    text, log = ci(first, "origin/main")
    plan = read(first, "plan.csv")
    new_lr = set(plan.loc[plan[LR] == 0.003, "trial"])
    assert len(old_lr) == len(new_lr) == 2 and kept == set(plan["trial"]) - new_lr
    assert {job.split("/")[1] for job in trained(log)} == new_lr  # restored: the rest is not retrained
    assert len(trained(log)) == len(new_lr) * PERIODS
    rows = table(text)
    assert {t for t, r in rows.items() if r["change"] == "added"} == new_lr
    assert {t for t, r in rows.items() if r["change"] == "removed"} == old_lr
    assert "2 added, 2 removed, 0 retrained, 2 unchanged." in text
    head_summary = read(first, "summary.json")
    check_headline(text, base_summary, head_summary)
    for trial in new_lr:
        assert rows[trial]["before"] == "-" and rows[trial]["runs"] == "4 runs"  # 2 periods x 2 seeds
        assert "learning_rate=0.003" in rows[trial]["values"]
    for trial in old_lr:
        assert rows[trial]["after"] == "-" and "learning_rate=0.01" in rows[trial]["values"]
    assert f"### Periods (rotation month {head_summary['month']})" in text
    for period in plan_periods(first):
        assert f"| {period} |" in text
    for artefact in ("comment.md", "report.html", "report.md", "summary.json"):
        assert (first / OUT / artefact).stat().st_size > 0

    # commit 2: a seed added; CI runs again from a fresh clone, against the target branch
    git(first, "checkout", "-q", "--", "dvc.lock", "reports")  # CI's outputs are not committed
    spec["seeds"] = 3
    study.write_text(yaml.safe_dump(spec, sort_keys=False))
    git(first, "commit", "-q", "-am", "a third seed")
    second = clone(first, tmp_path / "second", remote)
    text, log = ci(second, "origin/main")
    jobs = trained(log)
    assert {j.split("/")[1] for j in jobs if j.endswith("/s2")} == kept | new_lr  # the new seed, everywhere
    assert {j.split("/")[1] for j in jobs if not j.endswith("/s2")} == new_lr  # only they start from 0
    rows = table(text)
    assert {t for t, r in rows.items() if r["change"] == "retrained"} == kept
    assert {t for t, r in rows.items() if r["change"] == "added"} == new_lr
    assert {t for t, r in rows.items() if r["change"] == "removed"} == old_lr
    head_summary = read(second, "summary.json")
    check_headline(text, base_summary, head_summary)
    before = objectives(read(project, "runs.csv"))
    after = objectives(read(second, "runs.csv"))
    for trial in kept:
        row = rows[trial]
        assert row["runs"] == f"+{PERIODS} runs (seed 2)"
        assert row["before"] == f"{before[trial]:.4g}" and row["after"] == f"{after[trial]:.4g}"
        words = expected_noise_words(before[trial], after[trial], head_summary["pooled_retrain_std"])
        assert row["difference"] == f"{after[trial] - before[trial]:+.4g} ({words})"
    assert any("within retrain noise" in rows[t]["difference"] for t in kept)


@pytest.mark.e2e
def test_restore_falls_back_to_the_last_commit_that_changed_dvc_lock(built, remote, tmp_path):
    """The target branch moved on without a committed `dvc repro` (its dvc.lock is stale): restore
    takes the results of the last commit that changed dvc.lock, and Snakemake then has only the new
    seed's jobs to run."""
    project, _ = built
    locked = git(project, "rev-parse", "HEAD").stdout.strip()
    work = clone(project, tmp_path / "stale", remote)
    study = work / "params" / f"{STUDY}.yaml"
    study.write_text(study.read_text().replace("seeds: 2", "seeds: 3"))
    git(work, "commit", "-q", "-am", "a third seed, no dvc repro committed")
    git(work, "checkout", "-q", "-b", "change")
    out = run(work, sys.executable, "-m", "tunelab.cli", "restore", "main")
    assert f"the results of {locked[:8]} (last dvc.lock) restored" in out.stdout
    assert git(work, "rev-parse", "--abbrev-ref", "HEAD").stdout.strip() == "change"  # back where it was
    assert list((work / "results" / STUDY / "months").glob("*.json"))  # what a warm start reads
    dry = run(work, sys.executable, "-m", "snakemake", "-n", "--config", f"study={STUDY}",
              "--configfile", f"results/{STUDY}.month.yaml")
    jobs = trained(dry.stdout + dry.stderr)
    assert jobs and all(job.endswith("/s2") for job in jobs)  # only the new seed trains
    assert len(jobs) == 4 * PERIODS


def plan_periods(project: Path) -> list[str]:
    return list(read(project, "periods.csv")["period"])


def objectives(runs: pd.DataFrame) -> dict[str, float]:
    """Each trial's objective as the leaderboard has it: mean over periods of the mean over seeds."""
    per_period = runs.groupby(["trial", "period"])["valid_mse"].mean()
    return per_period.groupby("trial").mean().to_dict()


# --- the monthly run: does the adopted configuration still win? ----------------------------------

def side(month: str, verdict: str, candidate: str, baseline: str = "tbase") -> Side:
    summary = {"month": month, "verdict": verdict, "candidate_trial": candidate, "baseline_trial": baseline,
               "best_trial": candidate, "best_objective": 1.0, "pooled_retrain_std": 0.1, "objective": "valid_mse"}
    return Side(label=month, summary=summary, runs=None, periods=None)


@pytest.mark.parametrize(("before", "after", "answer"), [
    (("ADOPT", "tcand"), ("ADOPT", "tcand"), "still wins"),          # adopted again on the new periods
    (("ADOPT", "tcand"), ("ADOPT", "tother"), "no longer wins"),     # another candidate wins now
    (("ADOPT", "tcand"), ("INCONCLUSIVE", "tcand"), "no longer wins"),  # not confirmed on the new periods
    (("REJECT", "tcand"), ("INCONCLUSIVE", "tcand"), "still wins"),  # the baseline holds
    (("REJECT", "tcand"), ("ADOPT", "tcand"), "no longer wins"),     # now a candidate beats the baseline
])
def test_monthly_run_says_whether_the_adopted_configuration_still_wins(before, after, answer):
    base, head = side("2026-10", *before), side("2026-11", *after)
    sentence = still_wins(base, head)
    assert f"**{answer}**" in sentence and "2026-11" in sentence
    assert sentence in comment("default", base, head)


def test_same_month_says_nothing_about_the_rotation():
    assert still_wins(side("2026-11", "ADOPT", "t1"), side("2026-11", "REJECT", "t1")) is None


# --- trial changes from two runs tables ----------------------------------------------------------

def runs_frame(rows: list[tuple]) -> pd.DataFrame:
    """runs.csv rows: (trial, period, seed, valid_mse, train_time, learning_rate)."""
    frame = pd.DataFrame(rows, columns=["trial", "period", "seed", "valid_mse", "train_time", "learning_rate"])
    return frame.assign(study="s", group="", status="ok", reason="", valid_mae=frame["valid_mse"],
                        best_epoch=1, epochs_run=2, train_examples=10, valid_examples=5)


def test_trial_changes_tell_new_periods_new_seeds_and_runs_trained_again():
    from tunelab.compare import trial_changes

    base = runs_frame([("ta", "p1", 0, 1.0, 5.0, 0.1), ("tb", "p1", 0, 2.0, 6.0, 0.2),
                       ("tc", "p1", 0, 3.0, 7.0, 0.3), ("td", "p1", 0, 4.0, 8.0, 0.4)])
    head = runs_frame([("ta", "p1", 0, 1.0, 5.0, 0.1), ("ta", "p2", 0, 3.0, 5.5, 0.1),  # a new period
                       ("tb", "p1", 0, 2.0, 6.5, 0.2),                                   # trained again
                       ("tc", "p1", 0, 3.0, 7.0, 0.3), ("tc", "p1", 1, 5.0, 7.1, 0.3),   # a new seed
                       ("te", "p1", 0, 0.5, 9.0, 0.5)])                                  # td -> te
    changes = trial_changes(base, head, "valid_mse").set_index("trial")
    assert changes["change"].to_dict() == {"te": "added", "td": "removed", "ta": "retrained",
                                           "tb": "retrained", "tc": "retrained"}
    assert changes.loc["ta", "runs"] == "+1 run (period p2)"
    assert changes.loc["tb", "runs"] == "1 run trained again"
    assert changes.loc["tc", "runs"] == "+1 run (seed 1)"
    assert changes.loc["ta", "before"] == 1.0 and changes.loc["ta", "after"] == 2.0  # mean of p1, p2
    assert changes.loc["tc", "after"] == 4.0
    assert changes.loc["te", "values"] == "learning_rate=0.5" and pd.isna(changes.loc["te", "before"])
