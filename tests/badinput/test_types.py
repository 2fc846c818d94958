"""Hostile study files, by kind: types (integers written as floats, numbers written as text, keys
that are not names, values of the wrong shape). Each is refused by `tunelab validate` with one line
naming the file and the key; nothing is written."""

import pytest
from hostile import Case

HP = "hyperparameters"

CASES = [
    Case("seeds-float", ("seeds: 2.0 is written as a float", "write 2"), {"seeds": 2.0}),
    Case("budget-float", ("search.budget: 3.0 is written as a float",), {"search": {"budget": 3.0}}),
    Case("lags-float", ("task.lags: 6.0 is written as a float",), {"task": {"lags": 6.0}}),
    Case("horizon-text", ("task.horizon: '2'", "string"), {"task": {"horizon": "2"}}),
    Case("count-bool", ("periods.count: True",), {"periods": {"count": True}}),
    Case("seeds-per-job-fraction", ("seeds_per_job: 1.5",), {"seeds_per_job": 1.5}),
    Case("epochs-float", (f"{HP}.epochs: 3.0 is written as a float", "write 3"), {HP: {"epochs": 3.0}}),
    Case("fixed-lr-text", (f"{HP}.learning_rate: '1e-4' is a string", "1.0e-4"),
         {HP: {"learning_rate": "1e-4"}}),
    Case("feasible-text", (f"{HP}.hidden_size.feasible_points: '8' is a string",),
         {HP: {"hidden_size": {"role": "scientific", "feasible_points": ["8", 16]}}}),
    Case("feasible-lr-text", (f"{HP}.learning_rate.feasible_points: '3e-3' is a string", "1.0e-4"),
         {HP: {"learning_rate": {"role": "nuisance", "feasible_points": ["3e-3"]}}}),
    Case("range-bound-text", (f"{HP}.learning_rate.min: '1e-4' is a string",),
         {HP: {"learning_rate": {"role": "nuisance", "min": "1e-4", "max": 0.1}}}),
    Case("baseline-text", ("baseline.learning_rate: '1e-3' is a string",),
         {"baseline": {"learning_rate": "1e-3"}}),
    Case("features-not-list", ("dataset.features: 'lead'",), {"dataset": {"features": "lead"}}),
    Case("alpha-text", ("decision.alpha: '0.05'",), {"decision": {"alpha": "0.05"}}),
    Case("architecture-number", ("architecture: 3",), {"architecture": 3}),
    Case("time-number", ("dataset.time: 5",), {"dataset": {"time": 5}}),
    Case("optimizer-number", (f"{HP}.optimizer.value: 1 is not one of",), {HP: {"optimizer": 1}}),
    Case("hidden-size-word", (f"{HP}.hidden_size: 'wide' is text",), {HP: {"hidden_size": "wide"}}),
    Case("top-level-list", ("must be a mapping", "not list"), "- dataset\n- task\n"),
    Case("empty-study", ("must be a mapping", "not NoneType"), ""),
    Case("int-key-and-typo", ("key 1 is a int",), "dataset: {}\n1: x\nsedes: 3\n"),
    Case("date-key", ("key datetime.date(2020, 1, 1) is a date",), "2020-01-01: x\n"),
    Case("unknown-key", ("sedes: unknown key",), {"sedes": 3}),
    Case("dataset-unknown-key", ("dataset.timezone: unknown key",), {"dataset": {"timezone": "UTC"}}),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_refused(hostile, case):
    hostile(case)
