"""A study file: load it, validate it against the schema, fill defaults, resolve its search space.

`load_study(path)` either returns a `Study` or raises `StudyError` with one message that names the
file, the key, the value and the rule it breaks. Nothing is written either way.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tunelab.search.space import Hyperparameter, SpaceError, resolve_space

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "study.schema.yaml"


class StudyError(ValueError):
    """A study file that cannot be run; the message is meant for the person who wrote it."""


@functools.cache
def schema() -> dict:
    return yaml.safe_load(SCHEMA_PATH.read_text())


@dataclass(frozen=True)
class Study:
    name: str
    path: str
    config: dict  # the study file with every default filled in
    space: dict[str, Hyperparameter]

    def role(self, role: str) -> list[Hyperparameter]:
        return [hp for hp in self.space.values() if hp.role == role and hp.searched]

    @property
    def scientific(self) -> list[Hyperparameter]:
        return self.role("scientific")

    @property
    def nuisance(self) -> list[Hyperparameter]:
        return self.role("nuisance")

    @property
    def seeds(self) -> list[int]:
        return list(range(self.config["seeds"]))

    def __getitem__(self, key: str) -> Any:
        return self.config[key]


def load_study(path: str | Path, overrides: dict | None = None) -> Study:
    """Read, validate and resolve a study file. `overrides` (e.g. from --config) win over the file."""
    path = Path(path)
    if not path.is_file():
        raise StudyError(f"{path}: no such study file")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise StudyError(f"{path}: not valid YAML: {exc}") from None
    return study_from_dict(raw, name=path.stem, path=str(path), overrides=overrides)


def study_from_dict(raw: Any, name: str, path: str = "<dict>", overrides: dict | None = None) -> Study:
    config = _dates_to_strings(copy.deepcopy(raw))
    if overrides:
        config = _deep_merge(config or {}, overrides)
    _validate(config, path)
    config = _fill_defaults(config)
    try:
        space = resolve_space(config["architecture"], config["hyperparameters"])
    except SpaceError as exc:
        raise StudyError(f"{path}: {exc}") from None
    _check_semantics(config, path)
    return Study(name=name, path=path, config=config, space=space)


def _validate(config: Any, path: str) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is not None:
        raise StudyError(f"{path}: {describe_error(error)}")


def describe_error(error) -> str:
    """One line: the key, the value, the rule (as jsonschema phrases it, made specific)."""
    key = ".".join(str(p) for p in error.absolute_path) or "(top level)"
    rule = error.validator
    if rule == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        where = f"{key}." if error.absolute_path else ""
        hint = f"; allowed keys: {', '.join(allowed)}" if allowed else ""
        return f"{where}{extra[0] if extra else '?'}: unknown key{hint}"
    if rule == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        where = f"{key}." if error.absolute_path else ""
        return f"{where}{missing}: required key is missing"
    if rule == "oneOf" and isinstance(error.instance, dict):
        return (f"{key}: {error.instance!r} must have exactly one of `value`, `feasible_points` "
                "or `min` and `max`")
    value = error.instance
    if rule == "type" and isinstance(value, str) and _looks_like_number(value):
        return (f"{key}: {value!r} is a string, expected {error.validator_value}; "
                "write floats like 1.0e-4, not 1e-4 (YAML reads 1e-4 as text)")
    return f"{key}: {value!r} breaks rule `{rule}`: {error.message}"


def _looks_like_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _fill_defaults(config: dict) -> dict:
    """Apply the schema's defaults, top level and one level down (that is where they live)."""
    config = copy.deepcopy(config)
    props = schema()["properties"]
    for key, spec in props.items():
        if "default" in spec and key not in config:
            config[key] = copy.deepcopy(spec["default"])
        if spec.get("type") == "object" and isinstance(config.get(key), dict):
            for sub, subspec in spec.get("properties", {}).items():
                if "default" in subspec and sub not in config[key]:
                    config[key][sub] = copy.deepcopy(subspec["default"])
    config.setdefault("periods", {})
    for sub, subspec in props["periods"]["properties"].items():
        if "default" in subspec:
            config["periods"].setdefault(sub, subspec["default"])
    config.setdefault("question", "")
    return config


def _check_semantics(config: dict, path: str) -> None:
    """Rules the schema cannot state."""
    ds = config["dataset"]
    overlap = set(ds["features"]) & set(ds["categorical"])
    if overlap:
        raise StudyError(f"{path}: dataset.categorical: {sorted(overlap)[0]!r} is also in "
                         "dataset.features; a column is numeric or categorical, not both")
    if ds["target"] in ds["features"]:
        raise StudyError(f"{path}: dataset.features: {ds['target']!r} is the target; its history "
                         "is always an input, do not list it as a feature")
    for i, rng in enumerate(config["periods"].get("ranges", [])):
        _check_range(rng, f"periods.ranges.{i}", path)


def _check_range(rng: dict, key: str, path: str) -> None:
    previous_end = None
    for part in ("train", "valid", "test"):
        if part not in rng:
            continue
        start, end = (dt.date.fromisoformat(d) for d in rng[part])
        if not start < end:
            raise StudyError(f"{path}: {key}.{part}: {rng[part]!r} ends before it starts")
        if previous_end is not None and start < previous_end:
            raise StudyError(f"{path}: {key}.{part}: {rng[part]!r} starts before the previous "
                             "window ends; windows must be chronological (train, valid, test)")
        previous_end = end


def _dates_to_strings(value: Any) -> Any:
    """YAML reads 2012-01-01 as a date; the schema and the planner want ISO strings."""
    if isinstance(value, dict):
        return {k: _dates_to_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_to_strings(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _deep_merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out
