"""Small helpers every stage may import (nothing of tunelab, no heavy library): numbers as a
person reads them, and rounding that makes sums in another order tie exactly."""

from __future__ import annotations

import math
import numbers


def listing(names: list[str], limit: int) -> str:
    """'a, b, c and 4 more': the first `limit` names, and how many are left out."""
    left = len(names) - limit
    return ", ".join(names[:limit]) + (f" and {left} more" if left > 0 else "")


def fmt(x, digits: int = 4) -> str:
    """A number as a person reads it: 4 significant digits, '-' when missing (numpy scalars too)."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    if isinstance(x, bool) or (type(x).__module__ == "numpy" and type(x).__name__ in ("bool", "bool_")):
        return str(bool(x))
    if isinstance(x, numbers.Integral):
        return str(int(x))
    if isinstance(x, numbers.Real):
        return f"{float(x):.{digits}g}"
    return str(x)


def mean_std(mean, std, n: int | None = None) -> str:
    """'0.4718 ± 0.0064', with `n`: '0.4718 ± 0.0064 (n=3)'. A std of exactly 0 says why: the
    seeds gave the same number (a trainer whose result does not depend on the seed, as `tunelab
    check-trainer`'s 'two seeds differ' reports), not a missing std shown as 0."""
    count = f"n={n}, " if n is not None else ""
    if n is not None and n < 2:
        std = None  # one run: no spread, whatever stands in for it
    if isinstance(std, numbers.Real) and not isinstance(std, bool) and float(std) == 0.0:
        return f"{fmt(mean)} ± 0 ({count}seeds agree exactly)"
    return f"{fmt(mean)} ± {fmt(std)}" + (f" (n={n})" if n is not None else "")


def pct(x: float | None) -> str:
    """A relative change, signed: +1.5%; '-' when missing."""
    return "-" if x is None or not math.isfinite(x) else f"{100 * x:+.1f}%"


def signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+.4g}"


def round_significant(x: float, digits: int = 12) -> float:
    """`x` to `digits` significant digits (non-finite values unchanged)."""
    return float(f"{x:.{digits - 1}e}") if math.isfinite(x) else x
