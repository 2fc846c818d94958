"""Periods: chronological train / validation (/ test) windows, chosen by the monthly rotation.

The rotation lists every month-aligned period that fits in the data, splits that list into `count`
equal chronological strata and takes one period from each, at an offset set by the rotation month.
So the periods are spread over the whole history, the same month always gives the same periods,
and the next month gives another set: repeated tuning does not overfit one slice of history.
The offset follows the golden-ratio (Weyl) sequence over months, which visits every position of a
stratum evenly as the months go by.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

from tunelab.study.resolved import Periods

GOLDEN = (math.sqrt(5) - 1) / 2


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    id: str
    train: tuple[dt.datetime, dt.datetime]  # [start, end)
    valid: tuple[dt.datetime, dt.datetime]
    test: tuple[dt.datetime, dt.datetime] | None = None

    def windows(self) -> dict[str, tuple[str, str] | None]:
        """ISO strings, for job parameters and tables."""
        def iso(w):
            return None if w is None else (w[0].isoformat(), w[1].isoformat())
        return {"train": iso(self.train), "valid": iso(self.valid), "test": iso(self.test)}

    def row(self, month: str) -> dict[str, str]:
        w = self.windows()
        row = {"period": self.id, "month": month}
        for part in ("train", "valid", "test"):
            row[f"{part}_start"] = w[part][0] if w[part] else ""
            row[f"{part}_end"] = w[part][1] if w[part] else ""
        return row


PERIOD_COLUMNS = ["period", "month", "train_start", "train_end", "valid_start", "valid_end",
                  "test_start", "test_end"]


def current_month(today: dt.date | None = None) -> str:
    today = today or dt.date.today()
    return f"{today.year:04d}-{today.month:02d}"


def add_months(d: dt.datetime, months: int) -> dt.datetime:
    index = d.year * 12 + d.month - 1 + months
    return dt.datetime(index // 12, index % 12 + 1, 1)


def month_floor(d: dt.datetime) -> dt.datetime:
    return dt.datetime(d.year, d.month, 1)


def month_ceil(d: dt.datetime) -> dt.datetime:
    floor = month_floor(d)
    return floor if floor == d else add_months(floor, 1)


def period_id(valid_start: dt.datetime) -> str:
    """Named by the validation window's start: what a person compares periods by."""
    if valid_start == month_floor(valid_start):
        return f"v{valid_start:%Y-%m}"
    return f"v{valid_start:%Y-%m-%d}"


def rotate(start: dt.datetime, end: dt.datetime, spec: Periods, month: str,
           fits: Callable[[Period], str | None] | None = None) -> list[Period]:
    """`count` month-aligned periods within [start, end), chosen by `month` (YYYY-MM). With `fits`
    (a period -> reason it cannot be used, or None), only the candidates the data fills are drawn."""
    train, valid, test = spec.train_months, spec.valid_months, spec.test_months
    total = train + valid + test
    first = month_ceil(start)
    months_available = (month_floor(end).year - first.year) * 12 + month_floor(end).month - first.month
    n_candidates = months_available - total + 1
    if n_candidates < 1:
        raise PeriodError(f"periods: a period needs {total} whole months (train {train} + valid "
                          f"{valid} + test {test}); the data has {max(months_available, 0)} "
                          f"({start:%Y-%m-%d} to {end:%Y-%m-%d})")
    candidates = [_period_at(add_months(first, i), train, valid, test) for i in range(n_candidates)]
    skipped = {}
    if fits is not None:
        skipped = {p.id: reason for p in candidates if (reason := fits(p)) is not None}
        candidates = [p for p in candidates if p.id not in skipped]
    count = spec.count
    if count > len(candidates):
        why = "" if not skipped else (f" ({len(skipped)} of {n_candidates} skipped: "
                                      f"{skipped_summary(skipped)})")
        raise PeriodError(f"periods.count: {count} periods requested, but only {len(candidates)} "
                          f"distinct {total}-month periods fit in the data{why}")
    year, mon = (int(x) for x in month.split("-"))
    offset = ((year * 12 + mon - 1) * GOLDEN) % 1.0
    periods = []
    for k in range(count):
        lo, hi = k * len(candidates) // count, (k + 1) * len(candidates) // count
        periods.append(candidates[lo + int(offset * (hi - lo))])
    return periods


def _period_at(t0: dt.datetime, train: int, valid: int, test: int) -> Period:
    v0 = add_months(t0, train)
    e0 = add_months(v0, valid)
    return Period(id=period_id(v0), train=(t0, v0), valid=(v0, e0),
                  test=(e0, add_months(e0, test)) if test else None)


def skipped_summary(skipped: dict[str, str], limit: int = 3) -> str:
    """'v2012-03: <reason>; v2012-04: ...' for the first `limit` skipped candidates."""
    items = [f"{pid}: {reason}" for pid, reason in list(skipped.items())[:limit]]
    more = f"; and {len(skipped) - limit} more" if len(skipped) > limit else ""
    return "; ".join(items) + more


def explicit(ranges: list[dict], start: dt.datetime, end: dt.datetime,
             fits: Callable[[Period], str | None] | None = None) -> list[Period]:
    """Periods given as date ranges in the study; each must lie inside the data."""
    periods = []
    for i, rng in enumerate(ranges):
        windows = {}
        for part in ("train", "valid", "test"):
            if part in rng:
                a, b = (dt.datetime.fromisoformat(x) for x in rng[part])
                if a < start or b > end:
                    raise PeriodError(f"periods.ranges.{i}.{part}: {rng[part]!r} lies outside the "
                                      f"data ({start:%Y-%m-%d} to {end:%Y-%m-%d})")
                windows[part] = (a, b)
        period = Period(id=period_id(windows["valid"][0]), **windows)
        reason = fits(period) if fits is not None else None
        if reason is not None:
            raise PeriodError(f"periods.ranges.{i}: {reason}")
        periods.append(period)
    ids = [p.id for p in periods]
    if len(set(ids)) != len(ids):
        raise PeriodError("periods.ranges: two ranges share a validation start; each period "
                          "needs its own")
    return periods


def choose_periods(spec: Periods, start: dt.datetime, end: dt.datetime, month: str,
                   fits: Callable[[Period], str | None] | None = None) -> list[Period]:
    if spec.ranges:
        return explicit(list(spec.ranges), start, end, fits)
    return rotate(start, end, spec, month, fits)
