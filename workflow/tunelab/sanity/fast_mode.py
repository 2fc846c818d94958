"""Fast mode: one period, a short training window, few epochs; and the lengths cheap settings use.

`fast: true` in a study (or `snakemake --config fast=true`) turns the study's plan into a cheap one:
- one period: the plan's most recent one (its validation window is unchanged, so a fast result is
  measured on the same month as the full study's latest period); `fast_periods: N` keeps the N
  most recent periods instead (cheap training, the data variance of several periods);
- training data: the `fast_train` (default `1m`: one month) just before each validation window;
- epochs: each trial's `epochs` capped at `fast_epochs` (default 5).

The fast study is named `<study>-fast` and writes to `results/<study>-fast/`, so its runs and tables
never overwrite those of the full study. Each trial keeps its full-mode id: a fast and a full result of
the same configuration join on the trial id (the `epochs` column shows the capped budget).

Whether the cheap mode ranks trials the way the full mode does is what the fidelity study measures
(see tunelab.sanity.fidelity); its report says which `fast_train` / `fast_epochs` to use.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import re

from tunelab.data.periods import Period
from tunelab.search.plan import Plan, Trial
from tunelab.study import Study, StudyError

FAST_SUFFIX = "-fast"
LENGTH_RE = re.compile(r"^([1-9][0-9]*)([dwm])$")
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"", "0", "false", "no", "off", "none"}


def parse_length(text: str) -> tuple[int, str]:
    """'1w' -> (1, 'w'): a number of days (d), weeks (w) or calendar months (m)."""
    match = LENGTH_RE.match(str(text).strip())
    if not match:
        raise ValueError(f"{text!r} is not a length; write e.g. 7d, 1w, 1m or 3m")
    return int(match.group(1)), match.group(2)


def months_back(end: dt.datetime, months: int) -> dt.datetime:
    """The same day and time `months` calendar months earlier (clamped to the month's last day)."""
    index = end.year * 12 + end.month - 1 - months
    year, month = index // 12, index % 12 + 1
    day = min(end.day, calendar.monthrange(year, month)[1])
    return end.replace(year=year, month=month, day=day)


def window_start(end: dt.datetime, length: str) -> dt.datetime:
    """Start of a window of `length` ('1w', '1m', ...) that ends at `end` (exclusive)."""
    n, unit = parse_length(length)
    if unit == "m":
        return months_back(end, n)
    return end - dt.timedelta(days=n * (7 if unit == "w" else 1))


def shorten_training(period: Period, length: str, key: str = "fast_train") -> Period:
    """The period with only the last `length` of its training window ('full' keeps it whole)."""
    if length == "full":
        return period
    end = period.train[1]
    start = window_start(end, length)
    if start < period.train[0]:
        raise StudyError(f"{key}: {length!r} is longer than period {period.id}'s training window "
                         f"({period.train[0]:%Y-%m-%d} to {end:%Y-%m-%d}); use a shorter length "
                         "or more periods.train_months")
    return dataclasses.replace(period, train=(start, end))


def cap_epochs(values: dict, epochs: int | None) -> dict:
    """The trial's values with `epochs` at most `epochs` (None: unchanged)."""
    if epochs is None or "epochs" not in values:
        return values
    return {**values, "epochs": min(int(values["epochs"]), int(epochs))}


def fast_requested(study: Study, config: dict | None) -> bool:
    """`fast: true` in the study, or `--config fast=true` (which wins, either way)."""
    value = (config or {}).get("fast")
    if value is None:
        return study.fast.on
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise StudyError(f"--config fast: {value!r} is not a boolean; write fast=true or fast=false")


def fast_mode(study: Study, plan: Plan) -> tuple[Study, Plan]:
    """The study and plan of fast mode: the latest `fast_periods` period(s), each with `fast_train`
    of training data, and capped epochs."""
    train, epochs = study.fast.train, study.fast.epochs
    kept = plan.periods[-study.fast.periods:]
    periods = [shorten_training(period, train) for period in kept]
    trials = _dedupe([dataclasses.replace(t, values=cap_epochs(t.values, epochs)) for t in plan.trials])
    name = study.name + FAST_SUFFIX
    fast_study = study.fast_variant(name)
    baseline = plan.baseline_trial and dataclasses.replace(
        plan.baseline_trial, values=cap_epochs(plan.baseline_trial.values, epochs))  # a fair comparison
    fast_plan = dataclasses.replace(plan, study=name, periods=periods, trials=trials,
                                    baseline_trial=baseline)
    return fast_study, fast_plan


def fast_values(study: Study, values: dict) -> dict:
    """A trial's values as fast mode trains them (epochs capped): for trials that join after the
    plan, such as an adaptive round's."""
    return cap_epochs(values, study.fast.epochs) if study.fast.on else values


def _dedupe(trials: list[Trial]) -> list[Trial]:
    """Drop a trial whose capped values equal an earlier one's (only when `epochs` is searched)."""
    seen, out = set(), []
    for trial in trials:
        key = repr(sorted(trial.values.items()))
        if key not in seen:
            seen.add(key)
            out.append(trial)
    return out

