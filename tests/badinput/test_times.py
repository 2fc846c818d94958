"""Hostile dates and times: in the study (impossible dates, months) and in the data (ambiguous
day-first text, unparseable strings, empty cells, impossible parts, mixed offsets, duplicates)."""

import numpy as np
import pytest
from hostile import Case, csv, hourly_rows, raw, text_rows, with_cell

RANGE = {"train": ["2020-01-01", "2020-03-01"], "valid": ["2020-03-01", "2020-04-01"]}
PARTS = {"dataset": {"time": ["year", "month", "day", "hour"]}}
PARTS_HEADER = "year,month,day,hour,load,lead,temp,wind"


def parts_rows(bad_row: str | None = None, at: int = 30) -> str:
    rows = []
    for i in range(24 * 150):
        day, hour = divmod(i, 24)
        month, mday = divmod(day, 30)
        rows.append(f"2020,{month + 1},{mday + 1},{hour},{50 + hour},{i % 7},{i % 5},N")
    if bad_row is not None:
        rows[at] = bad_row
    return text_rows(rows, PARTS_HEADER)


def duplicate_rows(frame):
    return frame.iloc[np.r_[0:len(frame), 100:110]]


CASES = [
    Case("range-feb-30", ("periods.ranges.0.train: '2020-02-30' is not a calendar date",),
         {"periods": {"ranges": [{**RANGE, "train": ["2020-01-01", "2020-02-30"]}]}}),
    Case("range-month-13", ("periods.ranges.0.valid: '2020-13-01'",),
         {"periods": {"ranges": [{**RANGE, "valid": ["2020-03-01", "2020-13-01"]}]}}),
    Case("range-backwards", ("periods.ranges.0.train", "ends before it starts"),
         {"periods": {"ranges": [{**RANGE, "train": ["2020-03-01", "2020-01-01"]}]}}),
    Case("range-overlap", ("periods.ranges.0.valid", "chronological"),
         {"periods": {"ranges": [{**RANGE, "valid": ["2020-02-01", "2020-04-01"]}]}}),
    Case("range-outside-data", ("periods.ranges.0.valid", "lies outside the data"),
         {"periods": {"ranges": [{"train": ["2020-01-01", "2020-03-01"], "valid": ["2021-03-01", "2021-04-01"]}]}}),
    Case("month-13", ("periods.month: '2024-13'",), {"periods": {"month": "2024-13"}}),
    Case("day-first-text", ("dataset.time: column 'timestamp'", "'13/01/2020 00:00:00'",
                            "never guesses day-first", "dataset.time_format", "data/synth.csv"),
         data=raw(text_rows(hourly_rows(fmt="%d/%m/%Y %H:%M:%S")[288:]))),
    Case("ambiguous-day-first", ("dataset.time: column 'timestamp'", "'01/01/2020 00:00:00'",
                                 "never guesses"),
         data=raw(text_rows(hourly_rows(fmt="%d/%m/%Y %H:%M:%S")))),
    Case("unparseable-time", ("dataset.time: column 'timestamp'", "'yesterday' (data row 6)"),
         data=csv(with_cell("timestamp", 5, "yesterday"))),
    Case("format-mismatch", ("dataset.time: column 'timestamp'", "does not match dataset.time_format '%d/%m/%Y %H:%M'"),
         {"dataset": {"time_format": "%d/%m/%Y %H:%M"}}),
    Case("empty-time-cell", ("dataset.time: column 'timestamp'", "empty on data row 8"),
         data=csv(with_cell("timestamp", 7, None))),
    Case("part-month-13", ("dataset.time: column 'month' (month)", "13 (data row 31)", "from 1 to 12"),
         PARTS, data=raw(parts_rows("2020,13,1,6,50,1,1,N"))),
    Case("part-feb-30", ("dataset.time: columns ['year', 'month', 'day', 'hour']", "2020-2-30",
                         "not a calendar date"),
         PARTS, data=raw(parts_rows("2020,2,30,6,50,1,1,N"))),
    Case("part-text", ("dataset.time: column 'hour' (hour)", "'noon'"),
         PARTS, data=raw(parts_rows("2020,1,2,noon,50,1,1,N"))),
    Case("part-fraction", ("dataset.time: column 'hour' (hour)", "1.5", "whole number"),
         PARTS, data=raw(parts_rows("2020,1,2,1.5,50,1,1,N"))),
    Case("part-empty", ("dataset.time: column 'day' (day)", "empty on data row 31"),
         PARTS, data=raw(parts_rows("2020,1,,6,50,1,1,N"))),
    Case("time-format-on-parts", ("dataset.time_format: '%Y'", "numeric parts"),
         {**PARTS, "dataset": {**PARTS["dataset"], "time_format": "%Y"}}, data=raw(parts_rows())),
    Case("time-format-no-code", ("dataset.time_format: 'dd/mm/yyyy'", "no strftime code"),
         {"dataset": {"time_format": "dd/mm/yyyy"}}),
    Case("mixed-offsets", ("dataset.time: column 'timestamp'", "mixes UTC offsets"),
         data=raw(text_rows([r.replace(",", "+01:00,", 1) if i % 2 else r.replace(",", "+02:00,", 1)
                             for i, r in enumerate(hourly_rows())]))),
    Case("epoch-numbers", ("dataset.time: column 'timestamp'", "holds numbers"),
         data=raw(text_rows([f"{1577836800 + 3600 * i},{i % 24},1,2,N" for i in range(24 * 150)]))),
    Case("same-timestamp", ("dataset.duplicates:", "duplicate timestamps", "first, last or mean"),
         data=raw(text_rows([f"2020-01-01 00:00:00,{i},1,2,N" for i in range(100)]))),
    Case("same-timestamp-first", ("dataset.time:", "1 distinct time", "data/synth.csv"),
         {"dataset": {"duplicates": "first"}},
         data=raw(text_rows([f"2020-01-01 00:00:00,{i},1,2,N" for i in range(100)]))),
    Case("duplicates", ("dataset.duplicates: 10 duplicate timestamps in data/synth.csv",
                        "first 2020-01-05 04:00:00 (2 rows)"), data=csv(duplicate_rows)),
    Case("duplicates-unknown-policy", ("dataset.duplicates: 'median'",), {"dataset": {"duplicates": "median"}}),
    Case("date-time-pair-day-first", ("dataset.time: columns ['Date', 'Time']", "'13/01/2020 00:00:00'",
                                      "never guesses"),
         {"dataset": {"time": ["Date", "Time"]}},
         data=raw(text_rows([r.replace(" ", ",", 1) for r in hourly_rows(fmt="%d/%m/%Y %H:%M:%S")[288:]],
                            "Date,Time,load,lead,temp,wind"))),
    Case("time-single-column-list", ("dataset.time: ['timestamp']",), {"dataset": {"time": ["timestamp"]}}),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_refused(hostile, case):
    hostile(case)
