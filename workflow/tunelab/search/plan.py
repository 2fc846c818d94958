"""The plan: which periods, which trials, and how seeds are split into training jobs.

A plan is a pure function of the study file, the dataset's time span and the rotation month, so
`snakemake` can build it at parse time (no file is written then) and the `plan` rule writes the same
plan to `periods.csv` and `plan.csv` for people to read.

A trial's id is a short hash of its resolved hyperparameter values (and architecture) alone: a re-plan
that draws the same configuration reuses its finished runs, and a changed configuration gets a new id.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from tunelab.data.periods import Period, choose_periods, current_month
from tunelab.search.baseline import baseline_group, baseline_values, confirm_seeds
from tunelab.search.samplers import GridSampler, make_sampler
from tunelab.search.space import active_values
from tunelab.study import Study

MONTH_RE = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Trial:
    id: str
    values: dict[str, Any]  # active hyperparameters only, in the space's order
    group: str  # the scientific values this trial belongs to ("" in a joint or purely nuisance study)
    position: int  # index in the sampler's sequence (-1: the baseline, not drawn by the search)
    repeats: tuple[int, ...] = (0,)  # the search repeats (study_repeats) that drew it; () if none


@dataclass(frozen=True)
class Plan:
    study: str
    month: str
    periods: list[Period]
    trials: list[Trial]
    seed_blocks: list[tuple[int, ...]]
    sampler: str
    sampler_seed: int
    columns: list[str] = field(default_factory=list)  # hyperparameter columns of plan.csv
    # The baseline: trained on the confirmation blocks only (and by the search, if it drew it).
    baseline_trial: Trial | None = None
    confirm_blocks: list[tuple[int, ...]] = field(default_factory=list)  # confirm_seeds, in blocks

    @property
    def baseline(self) -> str | None:
        return self.baseline_trial.id if self.baseline_trial else None

    @cached_property
    def period_by_id(self) -> dict[str, Period]:
        return {p.id: p for p in self.periods}

    @cached_property
    def trial_by_id(self) -> dict[str, Trial]:
        extra = [self.baseline_trial] if self.baseline_trial else []
        return {t.id: t for t in [*extra, *self.trials]}

    def jobs(self) -> list[tuple[str, str, str]]:
        """(period, trial, block) for every training job."""
        blocks = [block_name(b) for b in self.seed_blocks]
        return [(p.id, t.id, b) for p in self.periods for t in self.trials for b in blocks]

    def confirm_jobs(self, trials: list[str]) -> list[tuple[str, str, str]]:
        """(period, trial, block) of the runs that compare the baseline and the candidates: the
        confirmation blocks, or the study's own blocks when confirm_seeds is 0."""
        blocks = [block_name(b) for b in (self.confirm_blocks or self.seed_blocks)]
        return [(p.id, t, b) for p in self.periods for t in trials for b in blocks]

    def plan_rows(self) -> list[dict]:
        return [{"trial": t.id, "group": t.group, "phase": "exploration", "round": 0,
                 "sampler": self.sampler,
                 "sampler_seed": self.sampler_seed + t.repeats[0], "position": t.position,
                 "repeats": " ".join(map(str, t.repeats)), **t.values}
                for t in self.trials]

    def plan_columns(self) -> list[str]:
        return ["trial", "group", "phase", "round", "sampler", "sampler_seed", "position", "repeats",
                *self.columns]

    def period_rows(self) -> list[dict]:
        return [p.row(self.month) for p in self.periods]


def trial_id(architecture: str, values: dict[str, Any]) -> str:
    canonical = json.dumps({"architecture": architecture, **values}, sort_keys=True, default=str)
    return "t" + hashlib.sha1(canonical.encode()).hexdigest()[:8]


def block_name(seeds: tuple[int, ...]) -> str:
    return f"s{seeds[0]}" if len(seeds) == 1 else f"s{seeds[0]}-{seeds[-1]}"


def block_seeds(name: str) -> list[int]:
    first, _, last = name[1:].partition("-")
    return list(range(int(first), int(last or first) + 1))


def seed_blocks(seeds: list[int], per_job: int) -> list[tuple[int, ...]]:
    """Consecutive blocks of `per_job` seeds: adding a seed adds (or extends) only the last block."""
    return [tuple(seeds[i:i + per_job]) for i in range(0, len(seeds), per_job)]


def resolve_month(study: Study, override: str | None = None, today: dt.date | None = None) -> str:
    """--config month wins, then the study's periods.month, then the current month."""
    month = override or study["periods"].get("month") or current_month(today)
    month = str(month)
    if not MONTH_RE.match(month):
        raise ValueError(f"month: {month!r} is not a month; write YYYY-MM, e.g. 2024-05")
    return month


def make_trials(study: Study, seed: int | None = None) -> list[Trial]:
    """Sample the search: per scientific value (same nuisance draws for each) or jointly."""
    space, search = study.space, study["search"]
    fixed = {name: hp.value for name, hp in space.items() if not hp.searched}
    scientific, nuisance = study.scientific, study.nuisance
    alg, budget = search["algorithm"], search["budget"]
    seed = search["seed"] if seed is None else seed
    ppr = search["points_per_range"]
    if search["mode"] == "joint" or not scientific:
        groups = [{}]
        searched = scientific + nuisance
    else:
        groups = GridSampler(scientific, points_per_range=ppr).suggest()
        searched = nuisance
    sampler = make_sampler(alg, searched, seed, ppr)
    draws = sampler.suggest(None if alg == "grid" else budget)
    trials, seen = [], set()
    for group in groups:
        label = ",".join(f"{k}={v}" for k, v in group.items())
        for position, draw in enumerate(draws):
            merged = {**fixed, **group, **draw}
            ordered = {name: merged[name] for name in space}
            values = active_values(space, ordered)
            tid = trial_id(study["architecture"], values)
            if tid in seen:
                continue  # the sampler repeated a configuration (e.g. few feasible points)
            seen.add(tid)
            trials.append(Trial(id=tid, values=values, group=label, position=position))
    return trials


def search_trials(study: Study) -> list[Trial]:
    """The search, drawn `study_repeats` times with sampler seeds seed, seed+1, ... (the study
    variance); a configuration drawn by several repeats is one trial that records them all."""
    seed, merged = study["search"]["seed"], {}
    for repeat in range(study.config.get("study_repeats", 1)):
        for t in make_trials(study, seed + repeat):
            old = merged.get(t.id)
            repeats = old.repeats + (repeat,) if old else (repeat,)
            merged[t.id] = dataclasses.replace(old or t, repeats=repeats)
    return list(merged.values())


def make_plan(study: Study, span_start, span_end, month: str, fits=None) -> Plan:
    """`fits` (a period -> why the data cannot fill it, or None) keeps unfillable periods out."""
    periods = choose_periods(study["periods"], _naive(span_start), _naive(span_end), month, fits)
    trials = search_trials(study)
    values, _ = baseline_values(study)  # a trial id like any other: shared if the search drew it
    baseline = Trial(id=trial_id(study["architecture"], values), values=values,
                     group=baseline_group(study, values), position=-1, repeats=())
    columns = [name for name in study.space if any(name in t.values for t in trials)]
    return Plan(
        study=study.name,
        month=month,
        periods=periods,
        trials=trials,
        seed_blocks=seed_blocks(study.seeds, study["seeds_per_job"]),
        sampler=study["search"]["algorithm"],
        sampler_seed=study["search"]["seed"],
        columns=columns,
        baseline_trial=baseline,
        confirm_blocks=seed_blocks(confirm_seeds(study), study["seeds_per_job"]),
    )


def _naive(ts) -> dt.datetime:
    """pandas Timestamp or datetime -> naive datetime (data times are wall-clock)."""
    if hasattr(ts, "to_pydatetime"):
        ts = ts.to_pydatetime()
    return ts.replace(tzinfo=None)


def job_spec(study: Study, plan: Plan, period_id: str, trial_id_: str, block: str,
             trial: Trial | None = None) -> dict:
    """Everything one training job needs, as plain JSON-able values. `trial`: one the plan does
    not hold (an adaptive round's, tunelab.search.rounds)."""
    period = plan.period_by_id[period_id]
    trial = trial or plan.trial_by_id[trial_id_]
    return {
        "study": study.name,
        "period": period.id,
        "windows": period.windows(),
        "trial": trial.id,
        "group": trial.group,
        "architecture": study["architecture"],
        "hyperparameters": trial.values,
        "seeds": block_seeds(block),
        "task": study["task"],
        "device": study["device"],
    }
