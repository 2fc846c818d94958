"""Warm start across months: what this month's tuning takes from the last month the study ran.

Every run of a study leaves a record of its month, `results/<study>/months/<YYYY-MM>.json`
(`month_record`; the month_record rule writes it, tunelab.analysis.month): each finished search trial with its values
(exact types, from the runs' metrics.json), its leaderboard objective (the mean over that month's
periods of the mean over seeds), its retrain variance, and the month's verdict. With the study key
`warm_start`, the plan of month M reads the latest record of a month before M (`previous_record`,
at parse time: one small JSON file) and takes from it (`carry_over`):

- the baseline (`warm_start.baseline`): last month's adopted candidate, else last month's baseline
  (`adopted`); last month's best trial (`best`); or the study's own (`study`);
- its best `warm_start.carry` trials per group, planned beside the exploration: they retrain on
  this month's periods, and their runs on periods the two months share are reused (a run's path
  is its period and trial);
- for the adaptive phase (`warm_start.history`), every finished trial of the month as extra
  history, tagged with its month: the model gets the month as an input and proposes for this one.

A carried configuration keeps last month's values of the hyperparameters searched now; the others
take the study's values of today, so a trial that changed its fixed epochs is this month's
configuration, not last month's. One whose values fall outside today's space is left behind, and
the plan's notes say so. No record on disk (a fresh clone): a cold start, said in the notes.

Deterministic: the record is sorted and rounded, the carried trials are chosen by (objective, id),
so the same two months' results give the same plan. Parse-time code: no pandas, no torch.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tunelab.search.baseline import baseline_group, baseline_values
from tunelab.study.space import active_values

MONTH_FILE = re.compile(r"^([0-9]{4}-[0-9]{2})\.json$")


def record_path(study: str, month: str, root: str | Path = ".") -> Path:
    return Path(root) / "results" / study / "months" / f"{month}.json"


@dataclass(frozen=True)
class Carried:
    """What the plan took from an earlier month's record (`carry_over`)."""
    month: str  # the month carried from
    baseline: dict[str, Any] | None = None  # the baseline's values, or None: the study's own
    baseline_source: str = ""
    winner: str = ""  # last month's best trial (its candidate): does it still win this month?
    winner_values: dict[str, Any] = field(default_factory=dict)
    trials: tuple[tuple[dict[str, Any], int], ...] = ()  # (values, last month's rank in its group)
    history: tuple[dict, ...] = ()  # last month's finished trials, for the adaptive phase
    left_behind: tuple[str, ...] = ()  # trials whose values today's space no longer holds

    def context(self) -> dict:
        """What the report says about it (study_context's `warm_start`)."""
        return {"month": self.month, "baseline_source": self.baseline_source, "winner": self.winner,
                "carried": len(self.trials), "history": len(self.history),
                "left_behind": list(self.left_behind)}


# --- the record, written at the end of a month's run ------------------------------------------


def month_record(history: list[dict], decision: dict, month: str, study: str) -> dict:
    """The month's record: `history` as tunelab.collect.trial_history gives it (with each trial's
    group), the verdict and trials of decision.json."""
    trials = sorted(history, key=lambda t: (t["objective"] is None, t["objective"] or 0.0, t["trial"]))
    candidate = decision.get("candidate") or {}
    return {
        "study": study, "month": month, "objective": decision.get("objective"),
        "verdict": decision.get("verdict"),
        "baseline": {k: decision["baseline"][k] for k in ("trial", "values")},
        "candidate": {k: candidate[k] for k in ("trial", "values")} if candidate else None,
        "trials": [{k: t.get(k) for k in ("trial", "group", "values", "feasible", "objective", "var")}
                   for t in trials],
    }


# --- read back at parse time -------------------------------------------------------------------


def previous_record(study: str, month: str, root: str | Path = ".") -> dict | None:
    """The record of the latest month before `month` that this study ran, or None."""
    folder = Path(root) / "results" / study / "months"
    months = sorted(m.group(1) for p in (folder.iterdir() if folder.is_dir() else [])
                    if (m := MONTH_FILE.match(p.name)) and m.group(1) < month)
    return json.loads((folder / f"{months[-1]}.json").read_text()) if months else None


def today_values(study, values: dict[str, Any]) -> dict[str, Any] | None:
    """A carried configuration in today's space: its values of today's searched hyperparameters,
    the study's values for the rest; None if a searched value falls outside today's range."""
    given = {name: values[name] for name, hp in study.space.items() if hp.searched and name in values}
    if not all(study.space[name].contains(value) for name, value in given.items()):
        return None
    try:
        merged, _ = baseline_values(study, given)
    except ValueError:
        return None
    return active_values(study.space, merged)


def carry_over(study, record: dict) -> Carried:
    """What `study` (with warm_start) takes from last month's `record`."""
    warm = study.warm_start
    feasible = [t for t in record["trials"] if t.get("feasible")]
    converted = [(t, today_values(study, t["values"])) for t in feasible]
    kept = [(t, v) for t, v in converted if v is not None]
    left = tuple(t["trial"] for t, v in converted if v is None)
    baseline, source = _carried_baseline(study, record, kept)
    candidate = (record.get("candidate") or {}).get("trial")
    winner = next((k for k in kept if k[0]["trial"] == candidate), kept[0] if kept else None)
    return Carried(
        month=record["month"], baseline=baseline, baseline_source=source,
        winner=winner[0]["trial"] if winner else "", winner_values=winner[1] if winner else {},
        trials=_best_per_group(study, kept, warm.carry),
        history=tuple({**t, "values": v, "month": record["month"]} for t, v in kept) if warm.history else (),
        left_behind=left,
    )


def _carried_baseline(study, record: dict, kept: list) -> tuple[dict | None, str]:
    month, how = record["month"], study.warm_start.baseline
    if how == "study":
        return None, ""
    if how == "best":
        if not kept:
            return None, ""
        return kept[0][1], f"{month}'s best trial {kept[0][0]['trial']} (warm_start.baseline: best)"
    adopted = record.get("verdict") == "ADOPT" and record.get("candidate")
    chosen = record["candidate"] if adopted else record["baseline"]
    values = today_values(study, chosen["values"])
    if values is None:
        return None, ""
    what = "adopted candidate" if adopted else "baseline (it adopted no candidate)"
    return values, f"{month}'s {what} {chosen['trial']} (warm_start.baseline: adopted)"


def _best_per_group(study, kept: list, carry: int) -> tuple:
    ranks: dict[str, int] = {}
    chosen = []
    for _, values in kept:  # sorted by objective, then id
        group = baseline_group(study, values)
        ranks[group] = ranks.get(group, 0) + 1
        if ranks[group] <= carry:
            chosen.append((values, ranks[group]))
    return tuple(chosen)


def carried_history(carried: Carried | None, study, label: str) -> list[dict]:
    """Last month's finished trials of the adaptive group `label`, for its rounds."""
    if carried is None:
        return []
    return [dict(h) for h in carried.history if baseline_group(study, h["values"]) == label]


def warm_notes(study, month: str, carried: Carried | None) -> list[str]:
    """What a person should know about the warm start, for the plan's notes."""
    where = f"results/{study.name}/months/"
    if carried is None:
        return [f"{study.path}: warm_start: no record of a month before {month} under {where}: a cold "
                "start (with DVC, `tunelab restore` brings earlier results back)"]
    notes = [f"{study.path}: warm_start: from {carried.month}: {len(carried.trials)} trials carried over"
             + (f"; baseline: {carried.baseline_source}" if carried.baseline_source else "")]
    if carried.left_behind:
        notes.append(f"{study.path}: warm_start: {len(carried.left_behind)} of {carried.month}'s trials "
                     f"fall outside today's space and are left behind ({', '.join(carried.left_behind[:3])})")
    return notes
