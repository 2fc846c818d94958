"""Does a finished study's report say what its own files say? Checks that run on any study's
results, so the classes of wrong statements a reader found on real data are caught on other data
too (issue 22):

    python -m tunelab.report.truth results/<study>      # prints each finding; exit 1 if any

Each check reads report.md beside decision.json, summary.json, runs.csv and variance.json, and
returns what is not so, in words. A check that does not apply to the study (no adaptive phase, no
simple baselines) finds nothing.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

VERDICT = re.compile(r"\*\*Verdict: (ADOPT|REJECT|INCONCLUSIVE)\.\*\*")
PRODUCT = re.compile(r"(\d+) trials x (\d+) seeds x (\d+) periods = (\d+) runs")
ZERO_STD = re.compile(r"± 0(\.0*)?(?![.\d])(?! \((n=\d+, )?seeds agree exactly\))")
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)]+)\)")
BARE = re.compile(r"(?<![\w`])(nan|NaN|None)(?![\w`])")
EVERY_BEATS = re.compile(r"Every (?:feasible trial|trial trained to the full budget) beats .*?(?:\.(?!\d)|;|$)",
                         re.MULTILINE)
LOST = re.compile(r"[Oo]n ([^.;]+?) the candidate loses to the simplest forecast \(([^)]+)\)")


def verdict_agrees(report: str, files: dict) -> list[str]:
    said = VERDICT.findall(report)
    truth = {files["decision"]["verdict"], files["summary"]["verdict"]}
    if len(truth) > 1:
        return [f"decision.json says {files['decision']['verdict']}, summary.json {files['summary']['verdict']}"]
    wrong = sorted(set(said) - truth)
    return [f"the report says Verdict: {w}, decision.json {truth.pop()}" for w in wrong] if said else \
        ["the report states no verdict"]


def simple_forecast_told(report: str, files: dict) -> list[str]:
    simple = files["decision"].get("simple") or {}
    periods = [p["period"] for p in simple.get("periods", [])]
    loses = (simple.get("loses") or {}).get("candidate", [])
    if periods and sorted(loses) == sorted(periods) and "simplest forecast" not in report.split("\n\n## ")[0]:
        return ["the candidate loses to the simplest forecast on every period, and the summary does not say so"]
    return []


def lost_periods_named(report: str, files: dict) -> list[str]:
    """'On P the candidate loses to the simplest forecast (X)': P is a period the candidate lost and
    X the simple forecast that was best on P (not one that won only on another period)."""
    simple = files["decision"].get("simple") or {}
    best = {p["period"]: p["simple"] for p in simple.get("periods", [])}
    lost = set((simple.get("loses") or {}).get("candidate", []))
    wrong = []
    for m in LOST.finditer(report):
        for period in m.group(1).split(", "):
            for name in m.group(2).split(" / "):
                if period not in lost or best.get(period) != name:
                    wrong.append(f"the report says the candidate loses to {name} on {period}; "
                                 f"decision.json: best simple forecast there {best.get(period)}, "
                                 f"lost {'yes' if period in lost else 'no'}")
    return wrong


def products_add_up(report: str, files: dict) -> list[str]:
    return [f"'{m.group(0)}' does not add up" for m in PRODUCT.finditer(report)
            if int(m.group(1)) * int(m.group(2)) * int(m.group(3)) != int(m.group(4))]


def no_zero_std(report: str, files: dict) -> list[str]:
    """A std of exactly 0 is a missing one shown as a number (one seed), or a copy of one run,
    unless the report says that the seeds agree exactly (a trainer that ignores the seed)."""
    return [f"'{line.strip()[:90]}' shows a std of 0" for line in report.splitlines() if ZERO_STD.search(line)]


def question_agrees(report: str, files: dict) -> list[str]:
    d = files["decision"]
    answer = (d.get("question") or {}).get("answer", "")
    versus = d.get("baseline_verdict", d["verdict"])
    if "keep the baseline" in answer and versus != "REJECT":
        return [f"the question's answer says 'keep the baseline' while the baseline comparison is {versus}"]
    return []


def adaptive_told(report: str, files: dict) -> list[str]:
    runs = files["runs"]
    if runs is None or "phase" not in runs or not (runs["phase"] == "adaptive").any():
        return []
    first = report.split("\n\n**Verdict")[0]
    return [] if "adaptive" in first else ["the study ran adaptive rounds, and the first paragraph does not say so"]


def month_explained(report: str, files: dict) -> list[str]:
    return [] if "Rotation month" not in report or "not a date of the data" in report else \
        ["the rotation month is not said to be the rotation's key rather than a date of the data"]


def images_exist(report: str, files: dict) -> list[str]:
    folder = files["folder"]
    return [f"the report shows {src}, which does not exist" for src in IMAGE.findall(report)
            if not (folder / src).exists()]


def no_bare_missing(report: str, files: dict) -> list[str]:
    """'nan' or 'None' printed where a value belongs (outside code spans)."""
    text = re.sub(r"`[^`]*`", "", report)
    return [f"'{line.strip()[:90]}' prints a missing value as text" for line in text.splitlines()
            if BARE.search(line) and not line.lstrip().startswith("![")]


def rungs_marked(report: str, files: dict) -> list[str]:
    """With successive halving, trials stopped at a rung rank beside fully trained ones: the
    leaderboard must say which is which."""
    trials = files.get("trials")
    if trials is None or "rung_epochs" not in trials or trials["rung_epochs"].nunique(dropna=True) < 2:
        return []
    return [] if "stopped at a rung" in report else \
        ["trials stopped at a rung rank beside fully trained ones, and the report does not mark them"]


def every_trial_beats_qualified(report: str, files: dict) -> list[str]:
    """'Every feasible trial beats the best simple baseline' holds for the mean over periods; where
    the candidate lost a period to a simple forecast, the sentence must say it is the mean."""
    lost = ((files["decision"].get("simple") or {}).get("loses") or {}).get("candidate", [])
    return [f"the report says '{m.group(0)}' without 'on average over periods', and the candidate "
            f"loses to a simple forecast on {', '.join(lost)}"
            for m in EVERY_BEATS.finditer(report) if lost and "on average" not in m.group(0)]


def noiseless_test_told(report: str, files: dict) -> list[str]:
    """A period won or lost where every seed of both sides gave the same value (no retrain noise:
    t is infinite) is decided by the gain's sign; the report must say so, not only 'beyond seed
    noise (Welch p < alpha)'."""
    exact = [p["period"] for p in files["decision"].get("periods") or []
             if min(p.get("n_baseline", 0), p.get("n_candidate", 0)) >= 2 and p.get("se") == 0
             and p.get("outcome") in ("better", "worse")]
    if exact and "agree exactly, so there is no retrain noise" not in report:
        return [f"on {', '.join(exact)} both sides' seeds agree exactly (t = inf), and the report "
                "does not say that the sign of the gain decided"]
    return []


def importance_shown_agrees(report: str, files: dict) -> list[str]:
    """'No hyperparameter is shown to matter' only where every pooled interval reaches NOTHING."""
    from tunelab.analysis.importance import NOTHING

    table = files.get("importance")
    if table is None or "No hyperparameter is shown to matter" not in report:
        return []
    clear = table[(table["scope"] == "all") & (table["low"] > NOTHING)]["hyperparameter"].tolist()
    return [f"the report says no hyperparameter is shown to matter, and importance.csv's interval of "
            f"{', '.join(clear)} stays above {NOTHING}"] if clear else []


def skill_claim_told(report: str, files: dict) -> list[str]:
    """The leaderboard's 'beats' and 'worse than' the simple forecasts are in skill (every period
    counts the same). Where the mean objective it shows says the opposite for a trial, the report
    must say so, or a reader sees a trial beat a baseline with the lower error, or lose to it with
    the higher one: the sentences that name them, from this study's own files, must be in it."""
    from tunelab.analysis.skill import mean_disagreement_lines

    trials, baselines = files["trials"], files.get("baselines")
    if trials is None or baselines is None:
        return []
    return [f"the report does not say: '{line}'"
            for line in mean_disagreement_lines(trials, baselines, files["summary"]["objective"])
            if line not in report]


CHECKS = (verdict_agrees, simple_forecast_told, lost_periods_named, products_add_up, no_zero_std, question_agrees,
          adaptive_told, month_explained, images_exist, no_bare_missing, rungs_marked,
          every_trial_beats_qualified, noiseless_test_told, importance_shown_agrees, skill_claim_told)


def read_study(folder: str | Path) -> tuple[str, dict]:
    import pandas as pd

    from tunelab.analysis.skill import read_baselines

    folder = Path(folder)
    runs, trials, importance = folder / "runs.csv", folder / "trials.csv", folder / "importance.csv"
    files = {"folder": folder,
             "trials": pd.read_csv(trials, keep_default_na=False, na_values=[""]) if trials.exists() else None,
             "decision": json.loads((folder / "decision.json").read_text()),
             "summary": json.loads((folder / "summary.json").read_text()),
             "runs": pd.read_csv(runs, keep_default_na=False, na_values=[""]) if runs.exists() else None,
             "importance": pd.read_csv(importance) if importance.exists() else None,
             "baselines": read_baselines(folder / "baselines.csv")}
    return (folder / "report.md").read_text(), files


def findings(folder: str | Path) -> list[str]:
    """Everything the report of the study in `folder` says that its own files contradict."""
    report, files = read_study(folder)
    return [f"{check.__name__}: {finding}" for check in CHECKS for finding in check(report, files)]


def main(argv: list[str]) -> int:
    found = 0
    for folder in argv or ["results/default"]:
        said = findings(folder)
        for finding in said:
            print(f"{folder}: {finding}")
        if not said:
            print(f"{folder}: the report agrees with its files ({len(CHECKS)} checks)")
        found += len(said)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
