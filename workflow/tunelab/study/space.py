"""Hyperparameters: their roles, their search spaces, and the built-in defaults per architecture.

A search-space entry is one of (the shapes of OSS Vizier / AlgoPerf):
    {min, max, scaling: log|linear}          a continuous range
    {min, max, type: int, scaling: ...}      an integer range
    {feasible_points: [...]}                 a finite set
    {value: v}  (or a bare scalar)           a fixed value

Every entry also has a `role` (scientific, nuisance, fixed) and may have `when: {other: [values]}`,
which makes it conditional: it exists only when `other` takes one of those values.

Samplers work in the unit cube; `Hyperparameter.from_unit(u)` maps a coordinate in [0, 1) to a value,
respecting log scaling. Values are rounded to 4 significant digits, so a trial reads well in a table
and its id does not depend on float noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

OPTIMIZERS = ("sgd", "nesterov", "adam", "adamw")
SCHEDULES = ("constant", "step", "cosine")
ARCHITECTURES = ("linear", "mlp", "lstm", "cnn")  # built in; `custom` is a user's factory (model.factory)
CUSTOM = "custom"
COMMAND = "command"  # trained by trainer.command: tunelab knows none of its hyperparameters
OPEN = (CUSTOM, COMMAND)  # the architectures that take hyperparameters of any name

# Training hyperparameters every architecture has. Conditional ones say when they exist.
TRAINING_DEFAULTS: dict[str, dict] = {
    "optimizer": {"role": "fixed", "value": "adam"},
    "learning_rate": {"role": "nuisance", "min": 1.0e-4, "max": 3.0e-2, "scaling": "log"},
    "momentum": {"role": "fixed", "value": 0.9, "when": {"optimizer": ["sgd", "nesterov"]}},
    "beta1": {"role": "fixed", "value": 0.9, "when": {"optimizer": ["adam", "adamw"]}},
    "beta2": {"role": "fixed", "value": 0.999, "when": {"optimizer": ["adam", "adamw"]}},
    "eps": {"role": "fixed", "value": 1.0e-8, "when": {"optimizer": ["adam", "adamw"]}},
    "weight_decay": {"role": "fixed", "value": 0.0},
    "l1": {"role": "fixed", "value": 0.0},
    "l2": {"role": "fixed", "value": 0.0},
    "batch_size": {"role": "fixed", "value": 128},
    "epochs": {"role": "fixed", "value": 20},
    "schedule": {"role": "fixed", "value": "cosine"},
    "warmup_epochs": {"role": "fixed", "value": 1},
    "step_size": {"role": "fixed", "value": 5, "when": {"schedule": ["step"]}},
    "decay_factor": {"role": "fixed", "value": 0.5, "when": {"schedule": ["step"]}},
    "patience": {"role": "fixed", "value": 5},
    "clip_norm": {"role": "fixed", "value": 1.0},
}

# Architecture hyperparameters, with sensible defaults: a study that names only the architecture
# tunes the learning rate of a reasonably sized model.
ARCHITECTURE_DEFAULTS: dict[str, dict[str, dict]] = {
    "linear": {},
    "mlp": {
        "hidden_size": {"role": "fixed", "value": 64},
        "num_layers": {"role": "fixed", "value": 2},
        "dropout": {"role": "fixed", "value": 0.0},
    },
    "lstm": {
        "hidden_size": {"role": "fixed", "value": 32},
        "num_layers": {"role": "fixed", "value": 1},
        "dropout": {"role": "fixed", "value": 0.0},
    },
    "cnn": {
        "channels": {"role": "fixed", "value": 32},
        "kernel_size": {"role": "fixed", "value": 3},
        "num_layers": {"role": "fixed", "value": 2},
        "dropout": {"role": "fixed", "value": 0.0},
    },
}

# Categorical hyperparameters whose values the trainer understands.
CHOICES = {"optimizer": OPTIMIZERS, "schedule": SCHEDULES}


class SpaceError(ValueError):
    """A search-space entry that breaks a rule; the message names the key, the value and the rule."""


def known_hyperparameters(architecture: str) -> dict[str, dict]:
    """The built-in entries for `architecture`: training ones first, then the model's own (a
    custom model has no model ones built in; a command trainer has none at all: its
    hyperparameters are whatever the study names, all passed to the command)."""
    if architecture == COMMAND:
        return {}
    return {**TRAINING_DEFAULTS, **ARCHITECTURE_DEFAULTS.get(architecture, {})}


def user_hyperparameters(architecture: str, names) -> list[str]:
    """The names tunelab does not know for `architecture`: a custom model's own hyperparameters."""
    known = known_hyperparameters(architecture)
    return [name for name in names if name not in known]


def round_sig(x: float, digits: int = 4) -> float:
    """Round to `digits` significant digits (0 stays 0)."""
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - math.floor(math.log10(abs(x))))


@dataclass(frozen=True)
class Hyperparameter:
    """One resolved search-space entry."""

    name: str
    role: str
    kind: str  # "fixed" | "continuous" | "integer" | "categorical"
    value: Any = None
    low: float | None = None
    high: float | None = None
    scaling: str = "linear"
    points: tuple = ()
    when: dict[str, tuple] = field(default_factory=dict)

    @property
    def searched(self) -> bool:
        return self.kind != "fixed"

    def from_unit(self, u: float) -> Any:
        """Map a unit-cube coordinate u in [0, 1) to a value of this hyperparameter."""
        u = min(max(u, 0.0), 1.0 - 1e-12)
        if self.kind == "fixed":
            return self.value
        if self.kind == "categorical":
            return self.points[int(u * len(self.points))]
        if self.kind == "integer":
            lo, hi = self.low, self.high + 1  # half-open so every integer gets an equal share
            x = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo))) if self.scaling == "log" \
                else lo + u * (hi - lo)
            return int(min(math.floor(x), self.high))
        if self.scaling == "log":
            x = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            x = self.low + u * (self.high - self.low)
        return round_sig(x)

    def grid(self, points_per_range: int) -> list:
        """The grid search's values: every feasible point, or evenly spaced (in scaling) points."""
        if self.kind == "fixed":
            return [self.value]
        if self.kind == "categorical":
            return list(self.points)
        if self.kind == "integer" and self.high - self.low + 1 <= points_per_range:
            return list(range(int(self.low), int(self.high) + 1))
        n = max(points_per_range, 2)
        values = []
        for i in range(n):
            t = i / (n - 1)
            if self.scaling == "log":
                x = math.exp(math.log(self.low) + t * (math.log(self.high) - math.log(self.low)))
            else:
                x = self.low + t * (self.high - self.low)
            values.append(int(round(x)) if self.kind == "integer" else round_sig(x))
        return list(dict.fromkeys(values))

    def contains(self, value: Any) -> bool:
        if self.kind == "fixed":
            return value == self.value
        if self.kind == "categorical":
            return value in self.points
        return self.low <= value <= self.high

    def is_active(self, values: dict[str, Any]) -> bool:
        """A conditional hyperparameter exists only when its parents take one of the listed values."""
        return all(values.get(parent) in allowed for parent, allowed in self.when.items())


def parse_entry(name: str, entry: Any) -> Hyperparameter:
    """Turn one study-file entry (already schema-checked) into a Hyperparameter, or say what is wrong."""
    if not isinstance(entry, dict):
        entry = {"role": "fixed", "value": entry}
    where = f"hyperparameters.{name}"
    role = entry.get("role", "fixed" if "value" in entry else "nuisance")
    when = {k: tuple(v if isinstance(v, list) else [v]) for k, v in entry.get("when", {}).items()}
    common = {"name": name, "role": role, "when": when}
    if "value" in entry:
        if role != "fixed":
            raise SpaceError(f"{where}.role: {role!r} has a single `value`; a searched "
                             "hyperparameter needs min/max or feasible_points")
        _check_choice(name, entry["value"], where + ".value")
        return Hyperparameter(kind="fixed", value=entry["value"], **common)
    if "feasible_points" in entry:
        points = tuple(entry["feasible_points"])
        if len(set(map(repr, points))) != len(points):
            raise SpaceError(f"{where}.feasible_points: {list(points)!r} repeats a value; "
                             "each point must be listed once")
        for p in points:
            _check_choice(name, p, where + ".feasible_points")
        if role == "fixed":
            if len(points) != 1:
                raise SpaceError(f"{where}.role: 'fixed' with {len(points)} feasible_points; "
                                 "a fixed hyperparameter has exactly one value")
            return Hyperparameter(kind="fixed", value=points[0], **common)
        return Hyperparameter(kind="categorical", points=points, **common)
    low, high = entry["min"], entry["max"]
    scaling = entry.get("scaling", "linear")
    is_int = entry.get("type") == "int"
    if not low < high:
        raise SpaceError(f"{where}: min {low!r} >= max {high!r}; a range needs min < max")
    if scaling == "log" and low <= 0:
        raise SpaceError(f"{where}.min: {low!r} with scaling 'log'; a log range needs min > 0")
    if is_int and not (float(low).is_integer() and float(high).is_integer()):
        raise SpaceError(f"{where}: min {low!r} / max {high!r} with type 'int'; bounds must be integers")
    if role == "fixed":
        raise SpaceError(f"{where}.role: 'fixed' with a range; give `value` instead")
    kind = "integer" if is_int else "continuous"
    return Hyperparameter(kind=kind, low=low, high=high, scaling=scaling, **common)


def _check_choice(name: str, value: Any, where: str) -> None:
    if name in CHOICES and value not in CHOICES[name]:
        raise SpaceError(f"{where}: {value!r} is not one of {list(CHOICES[name])}")


def resolve_space(architecture: str, entries: dict[str, Any]) -> dict[str, Hyperparameter]:
    """Merge the study's entries over the architecture's defaults and check the whole space."""
    known = known_hyperparameters(architecture)
    unknown = sorted(set(entries) - set(known))
    if unknown and architecture not in OPEN:
        raise SpaceError(f"hyperparameters.{unknown[0]}: not a hyperparameter of architecture "
                         f"{architecture!r}; known: {', '.join(sorted(known))}. A model of your own "
                         "takes any name: architecture: custom, with model.factory; or any training "
                         "command: trainer.command")
    known = {**known, **{name: entries[name] for name in unknown}}
    space = {}
    for name, default in known.items():
        entry = entries.get(name, default)
        if not isinstance(entry, dict):
            entry = {"role": "fixed", "value": entry}
        if "when" not in entry and isinstance(default, dict) and "when" in default:
            entry = {**entry, "when": default["when"]}
        space[name] = parse_entry(name, entry)
    for hp in space.values():
        for parent in hp.when:
            if parent not in space:
                raise SpaceError(f"hyperparameters.{hp.name}.when: {parent!r} is not a "
                                 "hyperparameter of this study")
    return space


def active_values(space: dict[str, Hyperparameter], values: dict[str, Any]) -> dict[str, Any]:
    """Drop conditional hyperparameters that do not exist for these values (e.g. beta2 under SGD)."""
    return {name: v for name, v in values.items() if space[name].is_active(values)}


def model_hyperparameters(values: dict) -> dict:
    """The model's own hyperparameters of a trial, without regularisation (dropout 0)."""
    hps = {k: v for k, v in values.items() if k not in TRAINING_DEFAULTS}
    if "dropout" in hps:
        hps["dropout"] = 0.0
    return hps


def model_configs(trial_values: list[dict], limit: int = 8) -> list[dict]:
    """The distinct models of a study's trials (at most `limit`, in plan order)."""
    seen, out = set(), []
    for values in trial_values:
        hps = model_hyperparameters(values)
        key = repr(sorted(hps.items()))
        if key not in seen:
            seen.add(key)
            out.append(hps)
    return out[:limit]


def model_size(values: dict) -> float:
    """A rough measure of one member's compute, to order training jobs by (not a time): the
    product of the model's integer hyperparameters (widths, layers, channels; dropout and the
    training keys aside), so a width-256 trial comes before a width-32 one."""
    size = 1.0
    for value in model_hyperparameters(values).values():
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            size *= value
    return size


def shape_key(architecture: str, values: dict) -> tuple:
    """What trials must share to be trained together as one batched model (trials_per_job): the
    architecture, the model's shape (its hyperparameters but dropout), the batch size (the steps)
    and the optimizer's family (its state). Learning rate, weight decay, dropout, schedule,
    epochs and patience may differ."""
    shape = tuple(sorted((k, v) for k, v in model_hyperparameters(values).items() if k != "dropout"))
    family = "sgd" if values.get("optimizer", "adam") in ("sgd", "nesterov") else "adam"
    return architecture, shape, values.get("batch_size", TRAINING_DEFAULTS["batch_size"]["value"]), family
