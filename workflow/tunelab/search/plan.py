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
from typing import TYPE_CHECKING, Any

from tunelab.data.periods import Period, choose_periods, current_month
from tunelab.search.baseline import baseline_group, baseline_values
from tunelab.search.samplers import GridSampler, make_sampler
from tunelab.search.warmstart import Carried
from tunelab.study import Study
from tunelab.study.space import active_values, model_size, shape_key

if TYPE_CHECKING:
    from tunelab.search.rungs import RungPlan

MONTH_RE = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Trial:
    id: str
    values: dict[str, Any]  # active hyperparameters only, in the space's order
    group: str  # the scientific values this trial belongs to ("" in a joint or purely nuisance study)
    position: int  # index in the sampler's sequence (-1: the baseline, not drawn by the search)
    repeats: tuple[int, ...] = (0,)  # the search repeats (study_repeats) that drew it; () if none
    carried: str = ""  # the month it was carried over from (warm_start), if the search did not draw it


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
    architecture: str = ""
    trials_per_job: int = 1  # trials of one shape trained together by one job (see group_trials)
    carried: Carried | None = None  # what a warm start took from an earlier month
    baseline_source: str = ""  # where the baseline came from, when not the study's own key

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

    @cached_property
    def job_groups(self) -> dict[str, tuple[str, ...]]:
        """Job group id -> its trials (groups of two or more; see group_trials). A trial carried
        over from last month (warm_start) trains alone, as it did in last month's adaptive round,
        so its runs on the periods both months share are reused, not retrained with a new group."""
        drawn = [t for t in self.trials if not t.carried]
        return group_trials(drawn, self.architecture, self.trials_per_job)

    @cached_property
    def job_group_priority(self) -> dict[str, float]:
        """Job group -> its scheduling priority, 1 to 40 (below the sanity checks' 50), the
        costliest highest: started first, a long group does not end alone while the other cores
        idle (longest first). Cost: members x model_size (rough, for the order only)."""
        cost = {g: len(ids) * model_size(self.trial_by_id[ids[0]].values)
                for g, ids in self.job_groups.items()}
        order = sorted(cost, key=lambda g: (cost[g], g))
        top = max(len(order) - 1, 1)
        return {g: 1 + 39 * i / top for i, g in enumerate(order)}

    @cached_property
    def job_group_of(self) -> dict[str, str]:
        return {t: g for g, trials in self.job_groups.items() for t in trials}

    def job_group(self, trial: str, block: str) -> str | None:
        """The job group that trains this trial's `block` (the study's own seed blocks only)."""
        group = self.job_group_of.get(trial)
        return group if group and block in {block_name(b) for b in self.seed_blocks} else None

    def jobs(self) -> list[tuple[str, str, str]]:
        """(period, trial, block) for every training job."""
        blocks = [block_name(b) for b in self.seed_blocks]
        return [(p.id, t.id, b) for p in self.periods for t in self.trials for b in blocks]

    def training_processes(self) -> int:
        """How many training processes `jobs()` start: a job group's trials train in one (the
        other jobs of the group link its files), every other trial in its own."""
        alone = sum(1 for t in self.trials if t.id not in self.job_group_of)
        return len(self.periods) * len(self.seed_blocks) * (len(self.job_groups) + alone)

    def confirm_jobs(self, trials: list[str]) -> list[tuple[str, str, str]]:
        """(period, trial, block) of the runs that compare the baseline and the candidates: the
        confirmation blocks, or the study's own blocks when confirm_seeds is 0."""
        blocks = [block_name(b) for b in (self.confirm_blocks or self.seed_blocks)]
        return [(p.id, t, b) for p in self.periods for t in trials for b in blocks]

    def plan_rows(self) -> list[dict]:
        return [{"trial": t.id, "group": t.group, "phase": "exploration", "round": 0,
                 "sampler": f"carried from {t.carried}" if t.carried else self.sampler,
                 "sampler_seed": "" if t.carried else self.sampler_seed + t.repeats[0],
                 "position": t.position,
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


def group_trials(trials: list[Trial], architecture: str, per_job: int) -> dict[str, tuple[str, ...]]:
    """trials_per_job: trials of one shape (tunelab.study.space.shape_key), in plan order, in
    groups of up to `per_job` that one job trains together. Only groups of two or more are
    listed; a group's id is a hash of its trials, so changing a trial changes its group."""
    if per_job <= 1:
        return {}
    shapes: dict[tuple, list[str]] = {}
    for t in trials:
        shapes.setdefault(shape_key(architecture, t.values), []).append(t.id)
    groups = {}
    for ids in shapes.values():
        for i in range(0, len(ids), per_job):
            chunk = tuple(ids[i:i + per_job])
            if len(chunk) > 1:
                groups["g" + hashlib.sha1(" ".join(chunk).encode()).hexdigest()[:8]] = chunk
    return groups


def seed_blocks(seeds: list[int], per_job: int) -> list[tuple[int, ...]]:
    """Consecutive blocks of `per_job` seeds: adding a seed adds (or extends) only the last block."""
    return [tuple(seeds[i:i + per_job]) for i in range(0, len(seeds), per_job)]


def resolve_month(study: Study, override: str | None = None, today: dt.date | None = None) -> str:
    """--config month wins, then the study's periods.month, then the current month."""
    month = override or study.periods.month or current_month(today)
    month = str(month)
    if not MONTH_RE.match(month):
        raise ValueError(f"month: {month!r} is not a month; write YYYY-MM, e.g. 2024-05")
    return month


def make_trials(study: Study, seed: int | None = None) -> list[Trial]:
    """Sample the search: per scientific value (same nuisance draws for each) or jointly."""
    space, search = study.space, study.search
    fixed = {name: hp.value for name, hp in space.items() if not hp.searched}
    scientific, nuisance = study.scientific, study.nuisance
    alg, budget = search.algorithm, search.budget
    seed = search.seed if seed is None else seed
    ppr = search.points_per_range
    if study.joint:
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
            tid = trial_id(study.architecture, values)
            if tid in seen:
                continue  # the sampler repeated a configuration (e.g. few feasible points)
            seen.add(tid)
            trials.append(Trial(id=tid, values=values, group=label, position=position))
    return trials


def search_trials(study: Study) -> list[Trial]:
    """The search, drawn `study_repeats` times with sampler seeds seed, seed+1, ... (the study
    variance); a configuration drawn by several repeats is one trial that records them all."""
    seed, merged = study.search.seed, {}
    for repeat in range(study.study_repeats):
        for t in make_trials(study, seed + repeat):
            old = merged.get(t.id)
            repeats = old.repeats + (repeat,) if old else (repeat,)
            merged[t.id] = dataclasses.replace(old or t, repeats=repeats)
    return list(merged.values())


def carried_trials(study: Study, carried: Carried | None, drawn: list[Trial]) -> list[Trial]:
    """A warm start's trials from last month that the search did not draw this month."""
    seen, trials = {t.id for t in drawn}, []
    for values, rank in carried.trials if carried else ():
        tid = trial_id(study.architecture, values)
        if tid not in seen:
            seen.add(tid)
            trials.append(Trial(id=tid, values=values, group=baseline_group(study, values),
                                position=rank - 1, repeats=(), carried=carried.month))
    return trials


def make_plan(study: Study, span_start, span_end, month: str, fits=None,
              carried: Carried | None = None) -> Plan:
    """`fits` (a period -> why the data cannot fill it, or None) keeps unfillable periods out;
    `carried`: what a warm start takes from an earlier month (tunelab.search.warmstart)."""
    periods = choose_periods(study.periods, _naive(span_start), _naive(span_end), month, fits)
    drawn = search_trials(study)
    trials = drawn + carried_trials(study, carried, drawn)
    if carried and carried.baseline is not None:
        values = carried.baseline
    else:
        values, _ = baseline_values(study)  # a trial id like any other: shared if the search drew it
    baseline = Trial(id=trial_id(study.architecture, values), values=values,
                     group=baseline_group(study, values), position=-1, repeats=())
    columns = [name for name in study.space if any(name in t.values for t in trials)]
    return Plan(
        study=study.name,
        month=month,
        periods=periods,
        trials=trials,
        seed_blocks=seed_blocks(study.seeds, study.seeds_per_job),
        sampler=study.search.algorithm,
        sampler_seed=study.search.seed,
        columns=columns,
        baseline_trial=baseline,
        confirm_blocks=seed_blocks(study.confirm_seeds, study.seeds_per_job),
        architecture=study.architecture,
        trials_per_job=study.trials_per_job,
        carried=carried,
        baseline_source=carried.baseline_source if carried and carried.baseline is not None else "",
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
    custom = {"model": study.section("model")} if study.model_factory else {}
    if study.trainer:  # the command, and what it must report: a changed command retrains
        custom = {"trainer": study.section("trainer"), "objective": study.objective}
    return {
        "study": study.name,
        "period": period.id,
        "windows": period.windows(),
        "trial": trial.id,
        "group": trial.group,
        "architecture": study.architecture,
        "hyperparameters": trial.values,
        "seeds": block_seeds(block),
        "task": study.section("task"),
        "device": study.device,
        **({"cpu_numerics": study.cpu_numerics} if study.cpu_numerics != "native" else {}),
        **custom,
    }


def group_spec(study: Study, plan: Plan, period_id: str, group: str, block: str) -> dict:
    """The spec of a job that trains a job group's trials together (trials_per_job)."""
    first = job_spec(study, plan, period_id, plan.job_groups[group][0], block)
    drop = ("trial", "group", "hyperparameters")
    trials = [{"trial": t, "group": plan.trial_by_id[t].group, "hyperparameters": plan.trial_by_id[t].values}
              for t in plan.job_groups[group]]
    return {**{k: v for k, v in first.items() if k not in drop}, "job_group": group, "trials": trials}


@dataclass(frozen=True)
class StudyPlan:
    """A study with its plan, as the workflow holds it: what every rule's input function reads."""
    study: Study
    plan: Plan
    notes: tuple[str, ...] = ()  # what a person should know: skipped periods, fewer trials, ...
    rungs: RungPlan | None = None  # successive halving (search.fidelity), else None

    @property
    def dataset(self) -> dict:
        """The dataset section's JSON form: what the data stage (profile, prepare) reads."""
        return self.study.section("dataset")
