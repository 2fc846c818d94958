"""The monthly rotation: deterministic per month, different next month, inside the data, chronological."""

import dataclasses
import datetime as dt

import pytest
from tunelab.data.periods import PeriodError, add_months, choose_periods, current_month, explicit, rotate
from tunelab.study.resolved import Periods

START, END = dt.datetime(2010, 1, 1), dt.datetime(2015, 1, 1)
SPEC = Periods(train_months=6, valid_months=1, test_months=1, count=3, min_examples=10)
MONTHS = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)]


def test_same_month_same_periods():
    assert rotate(START, END, SPEC, "2026-11") == rotate(START, END, SPEC, "2026-11")


@pytest.mark.parametrize("month", MONTHS)
def test_next_month_draws_other_periods(month):
    year, mon = map(int, month.split("-"))
    following = f"{year + mon // 12}-{mon % 12 + 1:02d}"
    assert rotate(START, END, SPEC, month) != rotate(START, END, SPEC, following)


@pytest.mark.parametrize("month", MONTHS)
def test_windows_inside_the_data_chronological_and_disjoint(month):
    for p in rotate(START, END, SPEC, month):
        assert START <= p.train[0] < p.train[1] == p.valid[0] < p.valid[1] == p.test[0] < p.test[1] <= END
        assert p.train[1] <= p.valid[0]  # no overlap of train and validation
        assert add_months(p.train[0], 6) == p.train[1]


def test_periods_spread_over_the_history():
    """One period from each third of the history, whatever the month."""
    for month in MONTHS:
        starts = [p.train[0] for p in rotate(START, END, SPEC, month)]
        assert starts == sorted(starts)
        # 53 possible starts (2010-01 .. 2014-05) in three strata of 17, 18 and 18 months
        assert starts[0] < dt.datetime(2011, 6, 1) <= starts[1] < dt.datetime(2012, 12, 1) <= starts[2]


def test_rotation_visits_many_positions_over_a_year():
    firsts = {rotate(START, END, SPEC, m)[0].train[0] for m in MONTHS[:12]}
    assert len(firsts) >= 8


def test_partial_first_month_is_skipped():
    periods = rotate(dt.datetime(2010, 1, 15, 7), END, dataclasses.replace(SPEC, count=1), "2026-01")
    assert periods[0].train[0] >= dt.datetime(2010, 2, 1)


def test_too_little_data_says_how_much_is_needed():
    with pytest.raises(PeriodError, match="needs 8 whole months.*has 5"):
        rotate(START, dt.datetime(2010, 6, 1), SPEC, "2026-01")
    with pytest.raises(PeriodError, match="periods.count: 99"):
        rotate(START, END, dataclasses.replace(SPEC, count=99), "2026-01")


def test_explicit_ranges_are_used_and_checked():
    ranges = [{"train": ["2011-01-01", "2011-07-01"], "valid": ["2011-07-01", "2011-08-01"]}]
    (p,) = choose_periods(dataclasses.replace(SPEC, ranges=tuple(ranges)), START, END, "2026-01")
    assert p.id == "v2011-07" and p.test is None
    with pytest.raises(PeriodError, match="periods.ranges.0.train.*outside the data"):
        explicit([{"train": ["2009-01-01", "2011-07-01"], "valid": ["2011-07-01", "2011-08-01"]}],
                 START, END)


def test_current_month_format():
    assert current_month(dt.date(2026, 3, 9)) == "2026-03"
