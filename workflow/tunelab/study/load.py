"""Read a study file: strict YAML, a path-safe name, overrides, then the schema and the checks.

`load_study(path)` either returns a `Study` or raises `StudyError` with one message that names the
file, the key, the value and the rule it breaks. Nothing is written either way.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml

from tunelab.study.checks import check_study
from tunelab.study.resolved import Study
from tunelab.study.schema import StudyError, fill_defaults, validate
from tunelab.study.space import COMMAND, SpaceError, resolve_space

STUDY_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


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
    """The resolved study of a parsed study file (`raw`), checked; StudyError if it cannot run."""
    config = _dates_to_strings(copy.deepcopy(raw))
    if overrides:
        config = deep_merge(config or {}, overrides)
    validate(config, path)
    check_dataset_kind(config, path)
    config = fill_defaults(resolve_architecture(config, path))
    try:
        space = resolve_space(config["architecture"], config["hyperparameters"])
    except SpaceError as exc:
        raise StudyError(f"{path}: {exc}") from None
    study = Study(name=name, path=path, json=config, space=space)
    check_study(study)
    return study


FILE_KEYS = ("path", "time", "target")


def check_dataset_kind(config: dict, path: str) -> None:
    """A dataset is a file tunelab reads (path, time, target) or, for a training command that
    reads its own data, a span; not both, and a span only with trainer.command."""
    dataset = config["dataset"]
    given = [k for k in FILE_KEYS if k in dataset]
    if "span" not in dataset:
        missing = [k for k in FILE_KEYS if k not in dataset]
        if missing:
            raise StudyError(f"{path}: dataset.{missing[0]}: required key is missing (or, for a "
                             "training command that reads its own data, give dataset.span instead)")
        return
    if given:
        raise StudyError(f"{path}: dataset.span: given with dataset.{given[0]}; a dataset is a file "
                         "(path, time, target) or a span [start, end] of data only your command "
                         "reads, not both")
    if "trainer" not in config:
        raise StudyError(f"{path}: dataset.span: only a training command (trainer.command) reads its "
                         "own data; tunelab's loop needs a file: give dataset.path, time and target")
    start, end = dataset["span"]
    if start >= end:
        raise StudyError(f"{path}: dataset.span: {start} is not before {end}; give [first day, end day]")


def resolve_architecture(config: dict, path: str) -> dict:
    """A study with trainer.command is trained by it (architecture: command); any other names
    its architecture."""
    arch = config.get("architecture")
    if "trainer" in config:
        if arch not in (None, COMMAND):
            raise StudyError(f"{path}: architecture: {arch!r} with trainer.command; the command "
                             "trains the model, so leave architecture out (or write command)")
        return {**config, "architecture": COMMAND}
    if arch is None:
        raise StudyError(f"{path}: architecture: required key is missing; one of linear, mlp, lstm, "
                         "cnn, custom (model.factory: a torch module of yours), or leave it out and "
                         "give trainer.command (any training program)")
    if arch == COMMAND:
        raise StudyError(f"{path}: architecture: 'command' needs trainer.command, the program that "
                         "trains (trainer: {command: python train.py})")
    return config


def _dates_to_strings(value: Any) -> Any:
    """YAML reads 2012-01-01 as a date; the schema and the planner want ISO strings."""
    if isinstance(value, dict):
        return {k: _dates_to_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_to_strings(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def deep_merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out
