"""What a change did to a study's answer: the comment CI posts on a pull request.

`tunelab compare BASE` reads the study's results at git revision BASE (summary.json from git, the
runs and periods tables from DVC: its cache, else the remote) and in the working tree, and writes
one Markdown file:

- the verdict before and after;
- the best trial and its objective before and after, the difference, and the retrain noise beside
  it (twice the pooled retrain std, the report's rule for seed noise): "within retrain noise" or not;
- the trials added, removed and retrained (new runs, or the same runs trained again), each with its
  objective before and after;
- the periods of the rotation month, and which are new; when the month changed (the monthly CI
  run), whether the adopted configuration still wins on the new periods;
- the metric diff of summary.json (the numbers `dvc metrics diff BASE` shows).

`restore` is CI's first step: it puts the base's results in the workspace from the DVC cache or
remote and marks them up to date for Snakemake, so that `dvc repro` trains only what changed.
"""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tunelab.collect import hyperparameter_columns, summarise
from tunelab.fmt import fmt, signed

NOISE_FACTOR = 2  # differences within twice the pooled retrain std are seed noise (report.md says so)
RUN_KEY = ["period", "seed"]


@dataclass
class Side:
    """One revision's results: summary.json and the runs and periods tables (None when unavailable)."""

    label: str
    summary: dict | None
    runs: pd.DataFrame | None
    periods: pd.DataFrame | None


# --- reading a revision --------------------------------------------------------------------------

def git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)


def read_at(root: Path, path: str, rev: str | None) -> str | None:
    """A file's text at a revision (git if it is in git, else DVC's cache or remote), or in the
    working tree when `rev` is None; None when no copy can be found."""
    if rev is None:
        file = root / path
        return file.read_text() if file.exists() else None
    shown = git(root, "show", f"{rev}:{path}")
    if shown.returncode == 0:
        return shown.stdout
    try:
        import dvc.api

        return dvc.api.read(path, repo=str(root), rev=rev)
    except Exception:  # no lock, no cache, no remote: the side is reported missing
        return None


def _csv(text: str | None) -> pd.DataFrame | None:
    return None if text is None else pd.read_csv(io.StringIO(text))


def load_side(root: Path, study: str, rev: str | None) -> Side:
    summary = read_at(root, f"reports/{study}/summary.json", rev)
    label = rev if rev is not None else "working tree"
    return Side(label=label, summary=json.loads(summary) if summary else None,
                runs=_csv(read_at(root, f"results/{study}/runs.csv", rev)),
                periods=_csv(read_at(root, f"results/{study}/periods.csv", rev)))


# --- comparing -----------------------------------------------------------------------------------

def _number(summary: dict | None, key: str) -> float | None:
    value = (summary or {}).get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def retrain_noise(base: Side, head: Side) -> float | None:
    """Twice the pooled retrain std (the head's, else the base's): the size of seed noise."""
    for side in (head, base):
        std = _number(side.summary, "pooled_retrain_std")
        if std is not None:
            return NOISE_FACTOR * std
    return None


def within_noise(difference: float | None, noise: float | None) -> str:
    if difference is None or noise is None:
        return "retrain noise unknown"
    return "within retrain noise" if abs(difference) <= noise else "larger than retrain noise"


def trial_objectives(runs: pd.DataFrame, objective: str) -> pd.DataFrame:
    """Per trial over periods (mean of the period means), as the leaderboard ranks them."""
    trials = summarise(runs, objective)
    return trials[trials["period"].astype(str) == "all"].set_index("trial")


def _runs_by_trial(runs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {trial: frame.set_index(RUN_KEY) for trial, frame in runs.groupby("trial", sort=True)}


def runs(n: int) -> str:
    return f"{n} run" if n == 1 else f"{n} runs"


def _detail(before: pd.DataFrame, after: pd.DataFrame) -> str | None:
    """How a trial present on both sides was retrained, or None if none of its runs was."""
    new = after.index.difference(before.index)
    gone = before.index.difference(after.index)
    same = after.index.intersection(before.index)
    again = [key for key in same if after.loc[key, "train_time"] != before.loc[key, "train_time"]]
    parts = []
    if len(new):
        seeds = sorted({int(s) for _, s in new} - {int(s) for _, s in before.index})
        periods = sorted({p for p, _ in new} - {p for p, _ in before.index})
        what = ([f"seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}"] if seeds else []) \
            + ([f"period{'s' if len(periods) > 1 else ''} {', '.join(periods)}"] if periods else [])
        parts.append(f"+{runs(len(new))}" + (f" ({'; '.join(what)})" if what else ""))
    if again:
        parts.append(f"{runs(len(again))} trained again")
    if len(gone):
        parts.append(f"-{runs(len(gone))}")
    return ", ".join(parts) or None


def trial_changes(base: pd.DataFrame, head: pd.DataFrame, objective: str) -> pd.DataFrame:
    """One row per trial that changed: added, removed or retrained, with its objective before/after."""
    before, after = _runs_by_trial(base), _runs_by_trial(head)
    obj_before, obj_after = trial_objectives(base, objective), trial_objectives(head, objective)
    values = varying_values(base, head)
    rows = []
    for trial in sorted(set(before) | set(after)):
        if trial not in before:
            change, detail = "added", runs(len(after[trial]))
        elif trial not in after:
            change, detail = "removed", runs(len(before[trial]))
        else:
            detail = _detail(before[trial], after[trial])
            if detail is None:
                continue
            change = "retrained"
        old = obj_before["objective_mean"].get(trial) if trial in before else None
        new = obj_after["objective_mean"].get(trial) if trial in after else None
        group = (obj_after if trial in after else obj_before)["group"].get(trial)
        rows.append({"change": change, "trial": trial, "group": group if isinstance(group, str) else "",
                     "values": values.get(trial, ""), "before": _finite(old), "after": _finite(new),
                     "runs": detail})
    order = {"added": 0, "removed": 1, "retrained": 2}
    rows.sort(key=lambda r: (order[r["change"]], r["trial"]))
    return pd.DataFrame(rows, columns=["change", "trial", "group", "values", "before", "after", "runs"])


def varying_values(base: pd.DataFrame, head: pd.DataFrame) -> dict[str, str]:
    """{trial: "learning_rate=0.003, ..."}: the hyperparameters that differ between trials (those of
    the trial's group, its scientific values, aside)."""
    runs = pd.concat([base, head], ignore_index=True).drop_duplicates("trial")
    columns = [c for c in hyperparameter_columns(runs) if runs[c].astype(str).nunique() > 1]
    return {row["trial"]: ", ".join(f"{c}={fmt(row[c])}" for c in columns
                                    if pd.notna(row[c]) and f"{c}=" not in str(row["group"]))
            for _, row in runs.iterrows()}


def _finite(value) -> float | None:
    return float(value) if value is not None and math.isfinite(float(value)) else None


# --- the comment ---------------------------------------------------------------------------------

def verdict_section(base: Side, head: Side) -> list[str]:
    old, new = (s.summary.get("verdict", "-") if s.summary else "-" for s in (base, head))
    change = "unchanged" if old == new else "changed"
    lines = [f"**Verdict:** {old} → {new} ({change})", ""]
    if head.summary:
        s = head.summary
        lines.append(f"Candidate `{s.get('candidate_trial')}` against baseline `{s.get('baseline_trial')}`: "
                     f"relative gain {fmt(_number(s, 'relative_gain'))} (required "
                     f"{fmt(_number(s, 'required_gain'))}), significantly better on {s.get('periods_better', '-')} "
                     f"and worse on {s.get('periods_worse', '-')} of {s.get('periods', '-')} periods.")
        lines.append("")
    return lines


def best_section(base: Side, head: Side) -> list[str]:
    noise = retrain_noise(base, head)
    old, new = (_number(s.summary, "best_objective") for s in (base, head))
    diff = None if old is None or new is None else new - old
    objective = (head.summary or base.summary or {}).get("objective", "objective")

    def best(summary: dict | None, value: float | None) -> str:
        s = summary or {}
        return f"`{s.get('best_trial', '-')}` ({s.get('best_group') or 'best'}) {fmt(value)}"

    same = (base.summary or {}).get("best_trial") == (head.summary or {}).get("best_trial")
    noise_text = f"retrain noise ±{fmt(noise)}" if noise is not None else "retrain noise unknown"
    return [f"**Best trial** ({objective}, mean over seeds and periods): {best(base.summary, old)} → "
            f"{best(head.summary, new)}"
            f"{' (same trial)' if same else ''}",
            "",
            f"Difference {signed(diff)}, {noise_text} (twice the pooled retrain std): "
            f"**{within_noise(diff, noise)}**.", ""]


def trials_section(base: Side, head: Side, objective: str, noise: float | None) -> list[str]:
    if base.runs is None or head.runs is None:
        missing = base.label if base.runs is None else head.label
        return ["### Trials", "",
                f"The runs at {missing} are not available (DVC has them in no cache or remote that this "
                "machine reaches): trials added, removed or retrained cannot be listed.", ""]
    changes = trial_changes(base.runs, head.runs, objective)
    counts = {c: int((changes["change"] == c).sum()) for c in ("added", "removed", "retrained")}
    trials = set(base.runs["trial"]) | set(head.runs["trial"])
    unchanged = len(trials) - len(changes)
    lines = ["### Trials", "",
             f"{counts['added']} added, {counts['removed']} removed, {counts['retrained']} retrained, "
             f"{unchanged} unchanged.", ""]
    if len(changes):
        lines += ["| change | trial | group | hyperparameters | before | after | difference | runs |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in changes.astype(object).where(changes.notna(), None).itertuples(index=False):
            diff = None if r.before is None or r.after is None else r.after - r.before
            beside = f" ({within_noise(diff, noise)})" if diff is not None else ""
            lines.append(f"| {r.change} | `{r.trial}` | {r.group} | {r.values} | {fmt(r.before)} | {fmt(r.after)} | "
                         f"{signed(diff)}{beside} | {r.runs} |")
        lines.append("")
    return lines


def periods_section(base: Side, head: Side) -> list[str]:
    month = (head.summary or {}).get("month", "-")
    old_month = (base.summary or {}).get("month", "-")
    lines = [f"### Periods (rotation month {month}" + (f", was {old_month}" if old_month != month else "") + ")",
             ""]
    if head.periods is None:
        return lines + ["periods.csv is not in the working tree.", ""]
    old = set(base.periods["period"]) if base.periods is not None else None
    lines += ["| period | train | validation | test | |", "|---|---|---|---|---|"]
    for p in head.periods.itertuples(index=False):
        test = f"..{str(p.test_end)[:10]}" if isinstance(p.test_end, str) and p.test_end else "-"
        new = "" if old is None else ("new" if p.period not in old else "")
        lines.append(f"| {p.period} | {str(p.train_start)[:10]}..{str(p.train_end)[:10]} | "
                     f"..{str(p.valid_end)[:10]} | {test} | {new} |")
    if old is not None and (dropped := sorted(old - set(head.periods["period"]))):
        lines.append(f"\nNo longer drawn: {', '.join(dropped)}.")
    return lines + [""]


def adopted(summary: dict) -> tuple[str | None, str]:
    """The configuration in use after the base's decision: its candidate if adopted, else its baseline."""
    if summary.get("verdict") == "ADOPT":
        return summary.get("candidate_trial"), "the candidate the base adopted"
    return summary.get("baseline_trial"), "the baseline (the base adopted no candidate)"


def still_wins(base: Side, head: Side) -> str | None:
    """When the rotation month changed: does the adopted configuration still win on the new periods?"""
    if not base.summary or not head.summary or base.summary.get("month") == head.summary.get("month"):
        return None
    trial, what = adopted(base.summary)
    s = head.summary
    if s.get("verdict") == "ADOPT":  # a candidate beat the baseline on every new period
        wins = s.get("candidate_trial") == trial
        why = "it is adopted again" if wins else f"candidate `{s.get('candidate_trial')}` beats the baseline"
    else:  # nothing beat the baseline on every new period
        wins = s.get("baseline_trial") == trial
        why = "no candidate beats it on every period" if wins else \
            f"it is not confirmed against baseline `{s.get('baseline_trial')}`"
    answer = "still wins" if wins else "no longer wins"
    return (f"**On the new periods of {s.get('month')}:** the adopted configuration `{trial}` ({what}) "
            f"**{answer}**: {why} (verdict {s.get('verdict')}).")


def metrics_section(study: str, base: Side, head: Side) -> list[str]:
    """summary.json's numbers that changed: what `dvc metrics diff BASE` shows."""
    old, new = base.summary or {}, head.summary or {}
    rows = []
    for key in dict.fromkeys([*new, *old]):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        na, nb = _number(old, key), _number(new, key)
        change = signed(nb - na) if na is not None and nb is not None else ""
        rows.append(f"| {key} | {fmt(a)} | {fmt(b)} | {change} |")
    same = len(set(old) | set(new)) - len(rows)
    head_lines = [f"### Metrics (reports/{study}/summary.json against {base.label})", ""]
    if not rows:
        return head_lines + [f"No metric changed ({same} compared).", ""]
    return head_lines + ["| metric | before | after | change |", "|---|---|---|---|", *rows, "",
                         f"{same} metrics unchanged.", ""]


def comment(study: str, base: Side, head: Side) -> str:
    objective = (head.summary or base.summary or {}).get("objective", "valid_mse")
    noise = retrain_noise(base, head)
    lines = [f"## tunelab: study `{study}`, {head.label} against `{base.label}`", ""]
    if base.summary is None:
        lines += [f"`{base.label}` has no reports/{study}/summary.json: nothing to compare against.", ""]
    lines += verdict_section(base, head) + best_section(base, head)
    if rotation := still_wins(base, head):
        lines += [rotation, ""]
    lines += trials_section(base, head, objective, noise) + periods_section(base, head)
    lines += metrics_section(study, base, head)
    return "\n".join(lines).rstrip() + "\n"


def compare(base_rev: str, study: str | None = None, root: str | Path = ".") -> str:
    from tunelab.dvc import default_study

    root = Path(root)
    study = study or default_study(root / "params.yaml")
    resolved = git(root, "rev-parse", "--verify", "--quiet", f"{base_rev}^{{commit}}")
    if resolved.returncode != 0:
        raise ValueError(f"tunelab compare: {base_rev!r} is not a git revision of {root.resolve()}")
    base, head = load_side(root, study, base_rev), load_side(root, study, None)
    if head.summary is None:
        raise ValueError(f"tunelab compare: reports/{study}/summary.json is missing in {head.label}; "
                         "run `dvc repro` first")
    return comment(study, base, head)


# --- restore: the base's results in the workspace, before `dvc repro` -----------------------------

def _run(root: Path, *cmd: str) -> int:
    print("tunelab:", " ".join(cmd), flush=True)
    return subprocess.run(list(cmd), cwd=root).returncode


def restore(base_rev: str, study: str | None = None, root: str | Path = ".") -> int:
    """Results from the DVC cache/remote into the workspace, marked up to date for Snakemake.

    Tried in order, the first that works wins: HEAD's results (its dvc.lock is current and the cache
    or remote holds them: `dvc repro` then has nothing to do); `base_rev`'s; the results of the last
    commit before `base_rev` that changed dvc.lock (a branch whose study moved on without a
    `dvc repro` being committed). For another commit: git checkout; dvc pull; tunelab.dvc touch;
    git checkout back, and `dvc repro` then trains only the runs that the change touches. With none,
    nothing is restored and the study is reproduced from scratch: that is not an error.
    """
    root = Path(root)
    if git(root, "status", "--porcelain", "--untracked-files=no").stdout.strip():
        print("tunelab restore: the git working tree has uncommitted changes; commit or stash them first",
              file=sys.stderr)
        return 1
    head = git(root, "rev-parse", "HEAD").stdout.strip()
    base = git(root, "rev-parse", "--verify", "--quiet", f"{base_rev}^{{commit}}").stdout.strip()
    if not base:
        print(f"tunelab restore: {base_rev!r} is not a git revision here (fetch it: fetch-depth: 0)",
              file=sys.stderr)
        return 1
    locked = git(root, "log", "-1", "--format=%H", base, "--", "dvc.lock").stdout.strip()
    back = git(root, "symbolic-ref", "-q", "--short", "HEAD").stdout.strip() or head
    touch = [sys.executable, "-m", "tunelab.dvc", "touch", *([study] if study else [])]
    for rev in dict.fromkeys(r for r in (head, base, locked) if r):
        if _restore_at(root, rev, None if rev == head else back, touch):
            name = "HEAD" if rev == head else base_rev if rev == base else f"{rev[:8]} (last dvc.lock)"
            print(f"tunelab restore: the results of {name} restored from DVC; dvc repro trains what changed")
            return 0
    print(f"tunelab restore: no DVC cache or remote holds the results of HEAD or {base_rev}; dvc repro "
          "starts from scratch")
    return 0


def _restore_at(root: Path, rev: str, back: str | None, touch: list[str]) -> bool:
    """The results of `rev` (checked out for the time of it, unless `back` is None: HEAD), touched."""
    if back is not None and git(root, "checkout", "-q", "--detach", rev).returncode != 0:
        return False
    try:
        return _pull(root) and _clean(root) and _run(root, *touch) == 0
    finally:
        if back is not None:
            git(root, "checkout", "-q", back)


def _pull(root: Path) -> bool:
    """dvc pull (the remote, else what the local cache holds): True if every output came back."""
    if _run(root, "dvc", "pull", "--quiet") == 0:
        return True
    return _run(root, "dvc", "checkout", "--quiet") == 0


def _clean(root: Path) -> bool:
    """`dvc status` shows nothing to reproduce (stage month aside): the workspace matches dvc.lock."""
    from tunelab.dvc import changed_stages

    proc = subprocess.run(["dvc", "status", "--json"], cwd=root, capture_output=True, text=True)
    return proc.returncode == 0 and not changed_stages(json.loads(proc.stdout or "{}"))
