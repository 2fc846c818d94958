"""The resolved study: every section typed, every default filled, every derived number computed
here, once. Stages read attributes (`study.search.budget`, `study.confirm_seeds`), never the raw
file; `study.json` is the filled file as plain values, the form jobs and DVC receive.

A new study key: add it to the schema (its default, its description), to its section below, and,
if the schema cannot state its rule, to tunelab.study.checks.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
from dataclasses import dataclass
from typing import Any

from tunelab.study.space import Hyperparameter, user_hyperparameters


def _section(cls, values: dict):
    """A section dataclass from its filled dict (lists become tuples: the section is immutable)."""
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items() if k in names})


@dataclass(frozen=True)
class Dataset:
    name: str
    path: str | None = None  # None: a span of data only the training command reads
    time: str | tuple[str, ...] | None = None
    target: str | None = None
    span: tuple[str, str] | None = None
    features: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    na_values: tuple[str, ...] = ()
    duplicates: str = "error"
    encoding: str = "utf-8"
    separator: str = ","
    time_format: str | None = None

    @property
    def is_file(self) -> bool:
        """Whether tunelab reads the data (a file), or only the study's command does (a span)."""
        return self.span is None

    @property
    def time_columns(self) -> list[str]:
        if self.time is None:  # a span: no file, no columns
            return []
        return [self.time] if isinstance(self.time, str) else list(self.time)


@dataclass(frozen=True)
class Task:
    horizon: int
    lags: int


@dataclass(frozen=True)
class Periods:
    train_months: int
    valid_months: int
    test_months: int
    count: int
    min_examples: int
    month: str | None = None
    ranges: tuple[dict, ...] = ()


@dataclass(frozen=True)
class Adaptive:
    """search.then: the adaptive phase's rounds (seed: the optimiser's, default search.seed)."""
    algorithm: str
    rounds: int
    batch: int
    acquisition: str
    ucb_beta: float
    seed: int

    @property
    def trials_per_group(self) -> int:
        return self.rounds * self.batch


@dataclass(frozen=True)
class Rungs:
    """search.fidelity: successive halving over epochs."""
    min_epochs: int
    eta: int
    brackets: int
    stop_hopeless: bool


@dataclass(frozen=True)
class Search:
    algorithm: str
    budget: int
    seed: int
    mode: str
    points_per_range: int
    then: Adaptive | None = None
    fidelity: Rungs | None = None


@dataclass(frozen=True)
class Resources:
    mem_mb: int
    runtime: int
    cpus_per_task: int
    slurm_extra: str
    gpu: int | None = None


@dataclass(frozen=True)
class Decision:
    alpha: float
    min_gain: float


@dataclass(frozen=True)
class FastMode:
    """fast, fast_train, fast_epochs, fast_periods: the cheap rehearsal of a study."""
    on: bool
    train: str
    epochs: int
    periods: int


@dataclass(frozen=True)
class FidelityStudy:
    """The top-level `fidelity:` section (defaults filled even when the study leaves it out)."""
    train: tuple[str, ...]
    epochs: tuple[int | str, ...]
    periods: str
    threshold: float
    given: bool  # the study names the section itself: `snakemake` (rule all) builds it


@dataclass(frozen=True)
class Trainer:
    """trainer: a training program of the user's, run once per job (tunelab.train.command)."""
    command: str
    resume: bool = False


@dataclass(frozen=True)
class WarmStart:
    """warm_start: what this month takes from the last month the study ran (tunelab.search.warmstart)."""
    baseline: str = "adopted"
    carry: int = 3
    history: bool = True


@dataclass(frozen=True)
class Study:
    """A validated study. Build it with tunelab.study.load_study (or study_from_dict)."""

    name: str
    path: str
    json: dict  # the study file with every default filled in: what jobs and DVC receive
    space: dict[str, Hyperparameter]

    # -- the sections, typed ------------------------------------------------------------------
    @functools.cached_property
    def dataset(self) -> Dataset:
        return _section(Dataset, self.json["dataset"])

    @functools.cached_property
    def task(self) -> Task:
        return _section(Task, self.json["task"])

    @functools.cached_property
    def periods(self) -> Periods:
        return _section(Periods, self.json["periods"])

    @functools.cached_property
    def search(self) -> Search:
        raw = self.json["search"]
        then = raw.get("then") and _section(Adaptive, {"seed": raw["seed"], **raw["then"]})
        fidelity = raw.get("fidelity") and _section(Rungs, raw["fidelity"])
        return _section(Search, {**raw, "then": then or None, "fidelity": fidelity or None})

    @functools.cached_property
    def resources(self) -> Resources:
        return _section(Resources, self.json["resources"])

    @functools.cached_property
    def decision(self) -> Decision:
        return _section(Decision, self.json["decision"])

    @functools.cached_property
    def fast(self) -> FastMode:
        j = self.json
        return FastMode(on=bool(j["fast"]), train=str(j["fast_train"]), epochs=int(j["fast_epochs"]),
                        periods=int(j["fast_periods"]))

    @functools.cached_property
    def fidelity(self) -> FidelityStudy:
        from tunelab.study.schema import fill_defaults

        given = self.json.get("fidelity")
        filled = given if given is not None else fill_defaults({"fidelity": {}})["fidelity"]
        return _section(FidelityStudy, {**filled, "given": given is not None})

    @functools.cached_property
    def trainer(self) -> Trainer | None:
        """The study's training command, or None: tunelab's loop trains."""
        raw = self.json.get("trainer")
        return _section(Trainer, raw) if raw else None

    @functools.cached_property
    def warm_start(self) -> WarmStart | None:
        """The study's warm start across months, or None: every month starts cold."""
        raw = self.json.get("warm_start")
        return _section(WarmStart, raw) if raw is not None else None

    def section(self, key: str) -> Any:
        """A copy of one section as plain values (its JSON form), for a job or a cache key."""
        return copy.deepcopy(self.json[key])

    def fast_variant(self, name: str) -> Study:
        """The same study in fast mode under another name (results/<name>/)."""
        return dataclasses.replace(self, name=name, json={**self.json, "fast": True})

    @property
    def model_builder(self) -> str:
        """What builds a trial's model: a built-in architecture's name, the custom factory, or
        `command` (the training command builds its own)."""
        return self.model_factory or self.architecture

    @property
    def user_hyperparameters(self) -> list[str]:
        """The hyperparameters only the user's model knows (architecture: custom)."""
        return user_hyperparameters(self.architecture, self.space)

    # -- single keys ----------------------------------------------------------------------------
    question = property(lambda self: str(self.json["question"]))
    architecture = property(lambda self: self.json["architecture"])
    hyperparameters = property(lambda self: self.json["hyperparameters"])  # the entries as written
    model_factory = property(lambda self: self.json.get("model", {}).get("factory"))  # custom only
    baseline = property(lambda self: dict(self.json["baseline"]))  # the values given, maybe none
    objective = property(lambda self: self.json["objective"])
    device = property(lambda self: self.json["device"])
    cpu_numerics = property(lambda self: self.json["cpu_numerics"])  # tunelab.train.numerics
    seeds_per_job = property(lambda self: int(self.json["seeds_per_job"]))

    @property
    def trials_per_job(self) -> int:
        """As written; else 4 where a job's members train as one batched model (linear and mlp in
        tunelab's own loop: tunelab.train.batched.ARCHITECTURES), 1 elsewhere (a training command,
        a custom factory, lstm and cnn train one member after another: grouping would only coarsen
        recomputation)."""
        given = self.json.get("trials_per_job")
        if given is not None:
            return int(given)
        return 4 if self.trainer is None and self.architecture in ("linear", "mlp") else 1

    study_repeats = property(lambda self: int(self.json["study_repeats"]))
    max_runs = property(lambda self: int(self.json["max_runs"]))

    # -- derived quantities, computed here only ------------------------------------------------
    @property
    def seeds(self) -> list[int]:
        """The retraining seeds of every trial: 0 .. seeds-1."""
        return list(range(self.json["seeds"]))

    @property
    def confirm_seeds(self) -> list[int]:
        """The extra seeds that confirm the baseline and the candidates: after the study's own."""
        first = self.json["seeds"]
        return list(range(first, first + self.json["confirm_seeds"]))

    def role(self, role: str) -> list[Hyperparameter]:
        return [hp for hp in self.space.values() if hp.role == role and hp.searched]

    @property
    def scientific(self) -> list[Hyperparameter]:
        return self.role("scientific")

    @property
    def nuisance(self) -> list[Hyperparameter]:
        return self.role("nuisance")

    @property
    def searched(self) -> list[Hyperparameter]:
        return [hp for hp in self.space.values() if hp.searched]

    @property
    def joint(self) -> bool:
        """One search over everything: mode joint, or nothing scientific to search per value."""
        return self.search.mode == "joint" or not self.scientific

    @property
    def adaptive_dimensions(self) -> list[Hyperparameter]:
        """What the adaptive phase moves: the nuisance ones per scientific value, or all."""
        return self.scientific + self.nuisance if self.joint else self.nuisance

    @property
    def group_count(self) -> int:
        """Searches side by side: one per scientific value (per_scientific mode), else one."""
        ppr = self.search.points_per_range
        return 1 if self.joint else math.prod(len(hp.grid(ppr)) for hp in self.scientific)

    @property
    def trials_per_group(self) -> int:
        """The exploration's trials per group and repeat: the budget, or the whole grid."""
        if self.search.algorithm != "grid":
            return self.search.budget
        dims = [hp for hp in self.searched if self.joint or hp.role != "scientific"]
        return math.prod(len(hp.grid(self.search.points_per_range)) for hp in dims)

    @property
    def adaptive_trials(self) -> int:
        """The adaptive phase's trials per group (0 without search.then)."""
        return self.search.then.trials_per_group if self.search.then else 0

    @property
    def trial_count(self) -> int:
        """The most trials the study can train (before duplicates are merged)."""
        return (self.trials_per_group * self.study_repeats + self.adaptive_trials) * self.group_count

    @property
    def period_count(self) -> int:
        return len(self.periods.ranges) or self.periods.count

    @property
    def run_count(self) -> int:
        """The most training runs: periods x trials x seeds, confirmation seeds included."""
        return self.period_count * self.trial_count * (len(self.seeds) + len(self.confirm_seeds))
