"""Hostile sizes (windows longer than the data, gaps, plans no machine here finishes), collisions
(two studies writing one prepared file, repeated periods and points) and names (study files and
datasets whose names cannot name a folder)."""

import numpy as np
import pytest
import yaml
from conftest import tiny_study
from hostile import Case, csv

HP = "hyperparameters"
RANGE = {"train": ["2020-01-01", "2020-03-01"], "valid": ["2020-03-01", "2020-04-01"]}


def hole(start, end, column="timestamp"):
    """Drop the rows from `start` to `end` (a gap in time)."""
    def edit(frame):
        t = frame[column]
        return frame[(t < start) | (t >= end)]
    return edit


def no_labels(start, end):
    def edit(frame):
        frame.loc[(frame["timestamp"] >= start) & (frame["timestamp"] < end), "load"] = np.nan
        return frame
    return edit


def other_study(**dataset):
    study = tiny_study(dataset=dataset)
    return {"params/other.yaml": yaml.safe_dump(study, sort_keys=False)}


CASES = [
    Case("horizon-longer-than-window", ("periods.count: 2 periods requested, but only 0",
                                        "has 0 usable examples", "task.lags + task.horizon = 3006"),
         {"task": {"horizon": 3000}}),
    Case("lags-longer-than-window", ("periods.ranges.0: train window 2020-01-01..2020-03-01 has 0 usable",
                                     "lags + task.horizon = 2000"),
         {"task": {"lags": 1000, "horizon": 1000}, "periods": {"ranges": [RANGE]}}),
    Case("data-too-short", ("periods: a period needs 4 whole months",), data=csv(months=3)),
    Case("count-too-large", ("periods.count: 10 periods requested, but only 2",), {"periods": {"count": 10}}),
    Case("min-examples-unreachable", ("periods.count: 2 periods requested, but only 0",
                                      "periods.min_examples: 100000"),
         {"periods": {"min_examples": 100000}}),
    Case("gap-over-valid-range", ("periods.ranges.0: valid window 2020-03-01..2020-04-01 has 0 usable",),
         {"periods": {"ranges": [RANGE]}}, data=csv(hole("2020-02-25", "2020-04-03"))),
    Case("gap-skips-a-candidate", ("periods.count: 2 periods requested, but only 1",
                                   "skipped: v2020-03: valid window"),
         data=csv(hole("2020-02-25", "2020-04-03"))),
    Case("no-labels-in-valid", ("1 of 2 skipped", "valid window 2020-04-01..2020-05-01 has 0 usable"),
         data=csv(no_labels("2020-04-01", "2020-05-01"))),
    Case("max-runs", ("max_runs: this study would train up to", "seeds", "set max_runs:"),
         {"search": {"algorithm": "quasi_random", "budget": 100000}, "seeds": 1000}),
    Case("max-runs-grid", ("max_runs:", "lower search.budget or seeds"),
         {HP: {"hidden_size": {"role": "scientific", "feasible_points": list(range(1, 201))},
               "learning_rate": {"role": "nuisance",
                                 "feasible_points": [round(0.001 * i, 3) for i in range(1, 101)]}}}),
    Case("max-runs-repeats", ("max_runs:",), {"search": {"algorithm": "random", "budget": 5000}, "study_repeats": 10}),
    # collisions
    Case("dataset-name-other-path", ("dataset.name: 'synth' is also the dataset of", "params/other.yaml",
                                     "another path", "data/prepared/synth.parquet"),
         extra=other_study(path="data/elsewhere.csv")),
    Case("dataset-name-other-features", ("dataset.name: 'synth'", "another features"),
         extra=other_study(features=["lead"])),
    Case("ranges-same-valid", ("periods.ranges: two ranges share a validation start",),
         {"periods": {"ranges": [RANGE, {**RANGE, "train": ["2020-02-01", "2020-03-01"]}]}}),
    Case("feasible-repeated", (f"{HP}.hidden_size.feasible_points: [8, 8] repeats",),
         {HP: {"hidden_size": {"role": "scientific", "feasible_points": [8, 8]}}}),
    Case("fixed-two-points", (f"{HP}.batch_size.role: 'fixed' with 2 feasible_points",),
         {HP: {"batch_size": {"role": "fixed", "feasible_points": [32, 64]}}}),
    # names
    Case("study-name-space", ("study name 'my study'", "rename the file"), name="my study"),
    Case("study-name-accent", ("study name 'étude'",), name="étude"),
    Case("study-name-plus", ("study name 'a+b'",), name="a+b"),
    Case("dataset-name-slash", ("dataset.name: '../x'",), {"dataset": {"name": "../x"}}),
    Case("dataset-name-empty", ("dataset.name: ''",), {"dataset": {"name": ""}}),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_refused(hostile, case):
    hostile(case)


def run_validate(tmp_path, monkeypatch, capsys, study, data_edit=None, name="tiny"):
    from conftest import synthetic_frame, write_study
    from tunelab.cli import main

    (tmp_path / "data").mkdir(exist_ok=True)
    frame = synthetic_frame(months=6)
    (data_edit(frame) if data_edit else frame).to_csv(tmp_path / "data" / "synth.csv", index=False)
    write_study(tmp_path, name, study)
    monkeypatch.setenv("TUNELAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    rc = main(["validate", name])
    return rc, capsys.readouterr()


def test_a_skipped_period_is_named_and_the_study_runs_on(tmp_path, monkeypatch, capsys):
    """A candidate period the data does not fill is skipped, with its reason, when enough others fit."""
    study = tiny_study(periods={"count": 1})
    rc, out = run_validate(tmp_path, monkeypatch, capsys, study, hole("2020-02-25", "2020-04-03"))
    assert rc == 0, out.err
    assert "periods: skipped 1 candidate period(s) the data does not fill: v2020-03: valid window " \
           "2020-03-01..2020-04-01 has 0 usable examples" in out.err
    assert "1 periods" in out.out


def test_a_search_with_fewer_distinct_trials_than_its_budget_says_so(tmp_path, monkeypatch, capsys):
    study = tiny_study(search={"algorithm": "random", "budget": 50},
                       hyperparameters={"learning_rate": {"role": "nuisance", "feasible_points": [0.001, 0.01]}})
    rc, out = run_validate(tmp_path, monkeypatch, capsys, study)
    assert rc == 0, out.err
    assert ("search.budget: 50 x 2 group(s) asked for 100 trials but the search space holds only 4 "
            "distinct configurations") in out.err


def test_duplicates_policies_resolve_what_error_refuses(tmp_path, monkeypatch, capsys):
    """The traffic case: several rows per hour are refused by default, and each policy resolves them."""
    def dup(frame):
        return frame.iloc[np.r_[0:len(frame), 100:400]]

    for policy in ("first", "last", "mean"):
        rc, out = run_validate(tmp_path, monkeypatch, capsys, tiny_study(dataset={"duplicates": policy}), dup)
        assert rc == 0, (policy, out.err)


def test_day_first_dates_with_a_time_format_and_question_marks_with_na_values(tmp_path, monkeypatch, capsys):
    """The household-power case: `16/12/2006`, `17:24:00` in two columns, `?` for missing."""
    def household(frame):
        frame = frame.astype({"temp": object})
        frame.loc[::97, "temp"] = "?"
        t = frame.pop("timestamp")
        frame.insert(0, "Time", t.dt.strftime("%H:%M:%S"))
        frame.insert(0, "Date", t.dt.strftime("%d/%m/%Y"))
        return frame

    study = tiny_study(dataset={"time": ["Date", "Time"], "time_format": "%d/%m/%Y %H:%M:%S",
                                "na_values": ["?"]})
    rc, out = run_validate(tmp_path, monkeypatch, capsys, study, household)
    assert rc == 0, out.err
    assert "2 periods" in out.out


def test_a_study_selected_twice_is_refused():
    from tunelab.study import StudyError
    from tunelab.workflow import load_studies

    with pytest.raises(StudyError, match="study: 'default' is selected twice"):
        load_studies({"study": "default,default", "month": "2026-11"})


def test_an_absent_study_file_is_named(tmp_path, monkeypatch, capsys):
    from tunelab.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["validate", "absent"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "invalid: params/absent.yaml: no such study file"
