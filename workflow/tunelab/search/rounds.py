"""The adaptive phase's bookkeeping, light enough for parse time: settings, groups, round files.

A study with `search.then` runs, after its exploration trials, `rounds` rounds of Bayesian
optimisation per group (one group per scientific value in per_scientific mode, one group `all` in
joint mode). Round k of a group is the file `results/<study>/rounds/<group>/round<k>.csv`, written
by the `suggest` checkpoint from the finished runs of the exploration and of rounds 1..k-1 of that
group (tunelab.search.adaptive). Everything here is plain Python (csv, json): no torch, no pandas.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import re
from typing import Any

from tunelab.io import read_cached
from tunelab.search.plan import Trial
from tunelab.search.samplers import GridSampler
from tunelab.search.warmstart import carried_history
from tunelab.study import Study, StudyError

EXPLORATION, ADAPTIVE = "exploration", "adaptive"
ROUND_COLUMNS = ["trial", "group", "phase", "round", "position", "acquisition", "values"]


def searched_names(study: Study) -> list[str]:
    """The dimensions the adaptive search moves: the nuisance ones per scientific value, or all."""
    return [hp.name for hp in study.adaptive_dimensions]


def group_id(label: str) -> str:
    """A group's folder name: `all` in a joint search, else its label made path-safe."""
    return re.sub(r"[^A-Za-z0-9_.]+", "-", label) if label else "all"


def groups(study: Study) -> dict[str, tuple[str, dict[str, Any]]]:
    """group id -> (label, the scientific values it holds fixed), in the exploration's order."""
    if study.search.then is None:
        return {}
    if not searched_names(study):
        raise StudyError(f"{study.path}: search.then: the adaptive phase has nothing to search "
                         "(no nuisance hyperparameter is searched); drop `then` or add one")
    if study.joint:
        return {"all": ("", {})}
    grid = GridSampler(study.scientific, points_per_range=study.search.points_per_range)
    out = {}
    for values in grid.suggest():
        label = ",".join(f"{k}={v}" for k, v in values.items())
        out[group_id(label)] = (label, values)
    return out


def round_path(study: str, group: str, k: int) -> str:
    return f"results/{study}/rounds/{group}/round{k}.csv"


def round_rows(trials: list[Trial], k: int, acquisitions: list[str]) -> list[dict]:
    """The rows of a round file: ids and provenance, the values as JSON (exact types) and as
    columns for people."""
    return [{"trial": t.id, "group": t.group, "phase": ADAPTIVE, "round": k, "position": t.position,
             "acquisition": a, "values": json.dumps(t.values, sort_keys=True), **t.values}
            for t, a in zip(trials, acquisitions, strict=True)]


def read_round(path: str) -> list[dict]:
    """The rows of a round file, `values` parsed (read once while it is unchanged)."""
    return read_cached(path, lambda fh: [
        {**row, "round": int(row["round"]), "position": int(row["position"]), "values": json.loads(row["values"])}
        for row in csv.DictReader(fh)])


def round_trials(path: str) -> list[Trial]:
    return [Trial(id=r["trial"], values=r["values"], group=r["group"], position=r["position"])
            for r in read_round(path)]


def find_trial(study: str, trial: str) -> Trial | None:
    """An adaptive trial of `study` by id, from whichever round file holds it (a trial id is a hash
    of its values, so any file that names it gives the same values)."""
    root = f"results/{study}/rounds"
    if not os.path.isdir(root):
        return None
    for group in sorted(os.listdir(root)):
        folder = os.path.join(root, group)
        for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
            if re.fullmatch(r"round[0-9]+\.csv", name):
                for t in round_trials(os.path.join(folder, name)):
                    if t.id == trial:
                        return t
    return None


def phase_table(round_paths: list[str]) -> dict[str, tuple[str, int]]:
    """trial -> (phase, round) of the adaptive trials in these round files (others: exploration, 0)."""
    out = {}
    for path in round_paths:
        for row in read_round(str(path)):
            out[row["trial"]] = (ADAPTIVE, row["round"])
    return out


def suggest_spec(study: Study, group: str, k: int, plan=None) -> dict:
    """Everything a round's suggestion depends on besides the finished runs (the `suggest` rule's
    params): a change here re-suggests the round, a change elsewhere in the study does not.
    With a warm start's history (`plan.carried`, warm_start.history), the rotation month and last
    month's finished trials of the group, which the round learns from beside this month's."""
    label, fixed = groups(study)[group]
    spec = {
        "study": study.name, "group": group, "label": label, "round": k,
        "architecture": study.architecture, "hyperparameters": study.hyperparameters,
        "searched": searched_names(study), "fixed": fixed, "objective": study.objective,
        "then": _then_params(study),
    }
    carried = carried_history(plan.carried if plan else None, study, label)
    return {**spec, "month": plan.month, "carried": carried} if carried else spec


def _then_params(study: Study) -> dict:
    """search.then (resolved) in the key order earlier releases wrote it (the keys with a default
    first, then the others as the study gives them): Snakemake compares params by their repr, and
    another order would re-suggest every finished round of a study."""
    then = dataclasses.asdict(study.search.then)
    first = ["rounds", "batch", "acquisition", "ucb_beta"]
    given = [k for k in study.json["search"]["then"] if k not in first]
    order = first + given + [k for k in then if k not in first + given]
    return {k: then[k] for k in order}
