"""The study schema (workflow/schemas/study.schema.yaml): validation, error wording, defaults.

Every default a study can leave out lives in the schema and is filled here, once, at every depth
(`fill_defaults`); nothing downstream writes a default of its own.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml

SCHEMA_PATH = Path(__file__).resolve().parent.parent.parent / "schemas" / "study.schema.yaml"


class StudyError(ValueError):
    """A study file that cannot be run; the message is meant for the person who wrote it."""


@functools.cache
def schema() -> dict:
    return yaml.safe_load(SCHEMA_PATH.read_text())


@functools.cache
def _validator():
    """Draft 2020-12, except that `integer` means an int: JSON Schema counts 2.0 as an integer,
    and `seeds: 2.0` then crashes range() far from the study file."""
    import jsonschema

    base = jsonschema.Draft202012Validator
    checker = base.TYPE_CHECKER.redefine(
        "integer", lambda _, v: isinstance(v, int) and not isinstance(v, bool))
    return jsonschema.validators.extend(base, type_checker=checker)(schema())


def validate(config: Any, path: str) -> None:
    """StudyError naming the key, the value and the rule for the first rule `config` breaks."""
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
    return _describe_value(key, rule, error)


def _describe_value(key: str, rule: str, error) -> str:
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


def fill_defaults(config: dict) -> dict:
    """`config` with the schema's defaults filled in at every depth: a key left out takes its
    default; a section given (or defaulted to {}) gets its own keys' defaults. A section with no
    default that the study leaves out (search.then, search.fidelity, fidelity) stays out."""
    filled = _fill(copy.deepcopy(config), schema())
    filled.setdefault("periods", {})
    filled["periods"] = _fill(filled["periods"], schema()["properties"]["periods"])
    filled.setdefault("question", "")
    return filled


def _fill(value: dict, spec: dict) -> dict:
    for key, sub in spec.get("properties", {}).items():
        if key not in value and "default" in sub:
            value[key] = copy.deepcopy(sub["default"])
        if sub.get("type") == "object" and isinstance(value.get(key), dict):
            value[key] = _fill(value[key], sub)
    return value


def default_of(*keys: str) -> Any:
    """The schema's default of a (nested) key, e.g. default_of("fidelity", "threshold")."""
    spec = schema()
    for key in keys:
        spec = spec["properties"][key]
    return copy.deepcopy(spec["default"])
