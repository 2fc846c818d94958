"""A study file: load it, validate it against the schema, fill defaults, resolve its search space.

`load_study(path)` either returns a `Study` or raises `StudyError` with one message that names the
file, the key, the value and the rule it breaks. Nothing is written either way.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import re
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
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=StrictLoader)  # noqa: S506 (safe)
    except UnicodeDecodeError as exc:
        raise StudyError(f"{path}: not UTF-8 text (byte offset {exc.start}); save the study as "
                         "UTF-8") from None
    except DuplicateKeyError as exc:
        raise StudyError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise StudyError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None
    check_study_name(path.stem, str(path))
    return study_from_dict(raw, name=path.stem, path=str(path), overrides=overrides)


STUDY_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def check_study_name(name: str, path: str) -> None:
    """A study's name is its file's stem and names results/<study>/: it must be a path-safe word."""
    if not STUDY_NAME.match(name):
        raise StudyError(f"{path}: study name {name!r} may hold only letters, digits, '_', '.' and "
                         "'-' (it names results/<study>/); rename the file")


class DuplicateKeyError(yaml.YAMLError):
    pass


class StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key given twice in one mapping is an error (PyYAML keeps
    the last one silently)."""

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                hashable = key in seen
            except TypeError:
                continue  # an unhashable key; the base class reports it
            if hashable:
                raise DuplicateKeyError(
                    f"line {key_node.start_mark.line + 1}: key {key!r} appears twice in one mapping "
                    f"(first on line {seen[key] + 1}); YAML would keep the last one silently")
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


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
    _check_space(config, space, path)
    _check_size(config, space, path)
    return Study(name=name, path=path, config=config, space=space)


@functools.cache
def _validator():
    """Draft 2020-12, except that `integer` means an int: JSON Schema counts 2.0 as an integer,
    and `seeds: 2.0` then crashes range() far from the study file."""
    import jsonschema

    base = jsonschema.Draft202012Validator
    checker = base.TYPE_CHECKER.redefine(
        "integer", lambda _, v: isinstance(v, int) and not isinstance(v, bool))
    return jsonschema.validators.extend(base, type_checker=checker)(schema())


def _validate(config: Any, path: str) -> None:
    import jsonschema

    if not isinstance(config, dict):
        raise StudyError(f"{path}: the study file must be a mapping of keys (dataset:, task:, ...), "
                         f"not {type(config).__name__}")
    bad_keys = [k for k in _all_keys(config) if not isinstance(k, str)]
    if bad_keys:
        raise StudyError(f"{path}: key {bad_keys[0]!r} is a {type(bad_keys[0]).__name__}; every key "
                         "must be a name (text)")
    error = jsonschema.exceptions.best_match(_validator().iter_errors(config))
    if error is not None:
        raise StudyError(f"{path}: {describe_error(error)}")


def _all_keys(value: Any):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _all_keys(v)
    elif isinstance(value, list):
        for v in value:
            yield from _all_keys(v)


def describe_error(error) -> str:
    """One line: the key, the value, the rule (as jsonschema phrases it, made specific)."""
    key = ".".join(str(p) for p in error.absolute_path) or "(top level)"
    rule = error.validator
    if rule == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(map(str, error.instance)) - set(allowed))
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
    if rule == "type" and error.validator_value == "integer" and isinstance(value, float) \
            and value.is_integer():
        return f"{key}: {value!r} is written as a float; write {int(value)} (an integer)"
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
    if ds["target"] in ds["categorical"]:
        raise StudyError(f"{path}: dataset.categorical: {ds['target']!r} is the target; a target is "
                         "numeric and its history is always an input, do not list it")
    time_cols = [ds["time"]] if isinstance(ds["time"], str) else ds["time"]
    for key in ("target", "features", "categorical"):
        cols = [ds[key]] if key == "target" else ds[key]
        clash = [c for c in cols if c in time_cols]
        if clash:
            raise StudyError(f"{path}: dataset.{key}: {clash[0]!r} is also a time column "
                             "(dataset.time); a column is either time or data")
    if len(time_cols) == 2 and "time_format" not in ds:
        pass  # two text columns [date, time] read as ISO 8601 unless time_format says otherwise
    if len(time_cols) > 2 and "time_format" in ds:
        raise StudyError(f"{path}: dataset.time_format: {ds['time_format']!r} applies to a text "
                         f"time; dataset.time {time_cols} are numeric parts [year, month, day, ...]")
    if "time_format" in ds and "%" not in ds["time_format"]:
        raise StudyError(f"{path}: dataset.time_format: {ds['time_format']!r} has no strftime code; "
                         "write e.g. '%d/%m/%Y %H:%M:%S'")
    for i, rng in enumerate(config["periods"].get("ranges", [])):
        _check_range(rng, f"periods.ranges.{i}", path)


def _check_space(config: dict, space: dict, path: str) -> None:
    """Values the trainer can use (tunelab.search.limits), and no searched hyperparameter that its
    condition makes unused in every trial."""
    from tunelab.search.limits import check_range, check_value

    entries = config["hyperparameters"]
    for name, hp in space.items():
        key = f"hyperparameters.{name}"
        if hp.kind == "fixed":
            values, where = [hp.value], key
        elif hp.kind == "categorical":
            values, where = list(hp.points), f"{key}.feasible_points"
        else:
            reason = check_range(name, hp.low, hp.high, hp.kind == "integer")
            if reason:
                raise StudyError(f"{path}: {key}: {reason}")
            values, where = [], key
        for value in values:
            reason = check_value(name, value)
            if reason and (name in entries or hp.kind != "fixed"):
                raise StudyError(f"{path}: {where}: {reason}")
        if hp.searched and hp.when:
            _check_active(hp, space, key, path)
    for name, value in config.get("baseline", {}).items():
        if name not in space:
            raise StudyError(f"{path}: baseline.{name}: not a hyperparameter of architecture "
                             f"{config['architecture']!r}")
        reason = check_value(name, value)
        if reason:
            raise StudyError(f"{path}: baseline.{name}: {reason}")


def _check_active(hp, space: dict, key: str, path: str) -> None:
    """A searched conditional hyperparameter must exist for some value its parents can take."""
    for parent, allowed in hp.when.items():
        other = space[parent]
        possible = [other.value] if other.kind == "fixed" else list(other.points)
        if other.kind in ("fixed", "categorical") and not set(map(repr, possible)) & set(map(repr, allowed)):
            raise StudyError(f"{path}: {key}: searched, but it exists only when {parent} is one of "
                             f"{list(allowed)} and {parent} is {_show(possible)} here; it would never "
                             f"be used: search {parent} too, or make {hp.name} fixed")


def _show(values: list) -> str:
    return repr(values[0]) if len(values) == 1 else f"one of {values}"


def _check_size(config: dict, space: dict, path: str) -> None:
    """A plan no machine here can finish is refused unless the study opts in with max_runs."""
    from tunelab.search.samplers import GridSampler

    search = config["search"]
    scientific = [hp for hp in space.values() if hp.searched and hp.role == "scientific"]
    searched = [hp for hp in space.values() if hp.searched]
    ppr = search["points_per_range"]
    if search["mode"] == "joint" or not scientific:
        groups = 1
    else:
        groups = GridSampler(scientific, points_per_range=ppr).size()
        searched = [hp for hp in searched if hp.role != "scientific"]
    per_group = GridSampler(searched, points_per_range=ppr).size() if search["algorithm"] == "grid" \
        else search["budget"]
    then = search.get("then") or {}
    adaptive = then.get("rounds", 3) * then.get("batch", 4) if then else 0  # search.then's rounds
    trials = (per_group * config.get("study_repeats", 1) + adaptive) * groups
    periods = len(config["periods"].get("ranges") or []) or config["periods"]["count"]
    runs = periods * trials * (config["seeds"] + config.get("confirm_seeds", 0))
    if runs > config["max_runs"]:
        raise StudyError(
            f"{path}: max_runs: this study would train up to {runs:,} runs ({periods} periods x "
            f"{trials:,} trials x {config['seeds'] + config.get('confirm_seeds', 0)} seeds, "
            f"confirmation included), above max_runs {config['max_runs']:,}, more than a machine here "
            f"finishes; lower search.budget or seeds, or set max_runs: {runs} to run it anyway")


def _check_range(rng: dict, key: str, path: str) -> None:
    previous_end = None
    for part in ("train", "valid", "test"):
        if part not in rng:
            continue
        start, end = (_date(d, f"{key}.{part}", path) for d in rng[part])
        if not start < end:
            raise StudyError(f"{path}: {key}.{part}: {rng[part]!r} ends before it starts")
        if previous_end is not None and start < previous_end:
            raise StudyError(f"{path}: {key}.{part}: {rng[part]!r} starts before the previous "
                             "window ends; windows must be chronological (train, valid, test)")
        previous_end = end


def _date(text: str, key: str, path: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise StudyError(f"{path}: {key}: {text!r} is not a calendar date (YYYY-MM-DD)") from None


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
