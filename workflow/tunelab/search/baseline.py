"""The baseline (the configuration in use today) and the confirmation seeds, resolved at parse time.

A study names its baseline as hyperparameter values (`baseline: {learning_rate: 1.0e-3, ...}`); they
override the study's fixed values. A hyperparameter the baseline does not name takes the study's
fixed value, or, for a searched one, its built-in default (the fixed built-in value, or
`BUILTIN_VALUES` for those whose built-in entry is a range). With no baseline at all the built-in
defaults stand in for it, and the report says so.

The baseline becomes a trial of the plan like any other: its id is the hash of its values, so a
search that draws the same configuration shares its runs. The baseline and the candidates are
confirmed with `confirm_seeds` extra seeds on every period: seeds `seeds .. seeds+confirm_seeds-1`,
in blocks of `seeds_per_job`, named beyond the study's own blocks (e.g. `s3-7`).

Parse-time code: no pandas, no torch, nothing per run.
"""

from __future__ import annotations

from typing import Any

from tunelab.study.space import CHOICES, Hyperparameter, active_values, known_hyperparameters

# Built-in values of hyperparameters whose built-in entry is a search range; they mirror
# tunelab.train.loop.TrainConfig (not imported here: train imports torch, +2 s at parse time).
BUILTIN_VALUES: dict[str, Any] = {"learning_rate": 1.0e-3}


def builtin_value(architecture: str, name: str) -> Any:
    entry = known_hyperparameters(architecture)[name]
    return entry["value"] if "value" in entry else BUILTIN_VALUES[name]


def _coerce(hp: Hyperparameter, value: Any, where: str) -> Any:
    """Give a baseline value the type the search uses, so equal configurations get equal ids."""
    if hp.name in CHOICES and value not in CHOICES[hp.name]:
        raise ValueError(f"{where}: {value!r} is not one of {list(CHOICES[hp.name])}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if hp.kind == "continuous":
        return float(value)
    if hp.kind == "integer":
        if not float(value).is_integer():
            raise ValueError(f"{where}: {value!r} is not an integer, as {hp.name} is")
        return int(value)
    reference = hp.points if hp.kind == "categorical" else (hp.value,)
    for point in reference:  # 64 and 64.0 are the same configuration: take the search's spelling
        if isinstance(point, int | float) and not isinstance(point, bool) and point == value:
            return point
    return value


def baseline_values(study, given: dict[str, Any] | None = None) -> tuple[dict[str, Any], str]:
    """The baseline's active hyperparameter values, and where they came from, in plain words.
    `given`: values to use instead of the study's `baseline` key (a warm start's)."""
    given = study.baseline if given is None else given
    architecture = study.architecture
    unknown = sorted(set(given) - set(study.space))
    if unknown:
        raise ValueError(f"baseline.{unknown[0]}: not a hyperparameter of architecture "
                         f"{architecture!r}; known: {', '.join(sorted(study.space))}")
    merged = {}
    for name, hp in study.space.items():
        if name in given:
            merged[name] = _coerce(hp, given[name], f"baseline.{name}")
        elif hp.searched:
            merged[name] = _coerce(hp, builtin_value(architecture, name), f"baseline.{name}")
        else:
            merged[name] = hp.value
    values = active_values(study.space, merged)
    dropped = sorted(set(given) - set(values))
    if dropped:
        hp = study.space[dropped[0]]
        parents = ", ".join(f"{p} is one of {list(v)}" for p, v in hp.when.items())
        raise ValueError(f"baseline.{dropped[0]}: exists only when {parents}; drop it or change "
                         "its parent")
    if given:
        source = "the study's baseline"
    else:
        source = ("no baseline given: the built-in defaults stand in for it (searched "
                  "hyperparameters at their built-in values, the rest as the study fixes them)")
    return values, source


def baseline_group(study, values: dict[str, Any]) -> str:
    """The baseline's group label, spelled as the search spells its trials' groups."""
    if study.joint:
        return ""
    return ",".join(f"{hp.name}={values.get(hp.name)}" for hp in study.scientific)

