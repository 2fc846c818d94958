"""The values each hyperparameter can take and still mean something to the trainer.

The schema says "a number"; these rules say which numbers: a `batch_size` of 0 or a `dropout` of 1.5
would crash a job or train nothing, so they are refused before any job starts, wherever the value
appears (a fixed value, a feasible point, a range's bounds, the baseline).
"""

from __future__ import annotations

import math
from typing import Any

# name: (kind, low, high, low_open, high_open); kind "int" wants a whole number.
LIMITS: dict[str, tuple[str, float, float, bool, bool]] = {
    "learning_rate": ("float", 0, math.inf, True, False),
    "momentum": ("float", 0, 1, False, True),
    "beta1": ("float", 0, 1, False, True),
    "beta2": ("float", 0, 1, False, True),
    "eps": ("float", 0, math.inf, True, False),
    "weight_decay": ("float", 0, math.inf, False, False),
    "l1": ("float", 0, math.inf, False, False),
    "l2": ("float", 0, math.inf, False, False),
    "batch_size": ("int", 1, 1_000_000, False, False),
    "epochs": ("int", 1, 100_000, False, False),
    "warmup_epochs": ("float", 0, 100_000, False, False),
    "step_size": ("int", 1, 100_000, False, False),
    "decay_factor": ("float", 0, 1, True, False),
    "patience": ("int", 0, 100_000, False, False),
    "clip_norm": ("float", 0, math.inf, False, False),
    "hidden_size": ("int", 1, 65_536, False, False),
    "num_layers": ("int", 1, 64, False, False),
    "dropout": ("float", 0, 1, False, True),
    "channels": ("int", 1, 65_536, False, False),
    "kernel_size": ("int", 1, 1_000, False, False),
}
TEXT = {"optimizer", "schedule"}  # the categorical hyperparameters: their values are names


def describe(name: str) -> str:
    kind, low, high, low_open, high_open = LIMITS[name]
    what = "a whole number" if kind == "int" else "a number"
    lo = f"> {low:g}" if low_open else f">= {low:g}"
    hi = "" if math.isinf(high) else (f" and < {high:g}" if high_open else f" and <= {high:g}")
    return f"{what} {lo}{hi}"


def check_value(name: str, value: Any) -> str | None:
    """Why `value` cannot be hyperparameter `name` (a phrase), or None if it can."""
    if name in TEXT:
        return None
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return f"{value!r} is text; {name} is a number"
        return (f"{value!r} is a string, not a number; write floats like 1.0e-4, not 1e-4 "
                "(YAML reads 1e-4 as text)")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{value!r} is not a number"
    if name not in LIMITS:
        return None
    kind, low, high, low_open, high_open = LIMITS[name]
    if not math.isfinite(value):
        return f"{value!r} is not finite; {name} must be {describe(name)}"
    if kind == "int" and not float(value).is_integer():
        return f"{value!r} is not a whole number; {name} must be {describe(name)}"
    if kind == "int" and isinstance(value, float):
        return f"{value!r} is written as a float; write {int(value)}"
    below = value <= low if low_open else value < low
    above = value >= high if high_open else value > high
    if below or above:
        return f"{value!r} is out of range; {name} must be {describe(name)}"
    return None


def check_range(name: str, low: Any, high: Any, is_int: bool) -> str | None:
    """A searched range: both bounds must be valid values (ints for an int hyperparameter)."""
    if name in LIMITS and LIMITS[name][0] == "int" and not is_int:
        return f"{name} takes whole numbers; add `type: int` to its range"
    for bound in (low, high):
        if name in LIMITS and isinstance(bound, float) and LIMITS[name][0] == "int" \
                and bound.is_integer():
            continue  # `min: 1.0` with type int is read as 1
        reason = check_value(name, bound)
        if reason is not None:
            return reason
    return None
