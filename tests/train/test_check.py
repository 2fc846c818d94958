"""tunelab check-trainer: it finds the promise a trainer breaks, and only that one (deliberately
broken trainers: tests/train/numpy_trainer.py), and says so in the report's words."""

import json
import sys

import pytest
from test_command import TRAINER, spec
from tunelab.report.markdown import trainer_lines
from tunelab.train.check import CheckJob, check_trainer, table

PROMISES = ["its outputs are well-formed", "the same seed gives the same metrics", "two seeds differ",
            "a resumed run equals the uninterrupted one", "it trains on the windows it is given"]


def check(prepared, tmp_path, broken="", resume=True, **hps):
    job = CheckJob(spec(broken=broken, resume=resume, epochs=4, **hps), prepared, command=True,
                   resumable=resume)
    return {p.name: p for p in check_trainer(job, tmp_path / "scratch")}


def kept(promises):
    return {name: p.kept for name, p in promises.items()}


def test_a_trainer_that_keeps_every_promise(prepared, tmp_path):
    promises = check(prepared, tmp_path)
    assert list(promises) == PROMISES
    assert all(kept(promises).values()), table("t", list(promises.values()))
    assert "train: " in promises["it trains on the windows it is given"].detail


def test_a_non_deterministic_trainer_is_caught(prepared, tmp_path):
    promises = check(prepared, tmp_path, broken="nondeterministic")
    assert promises["the same seed gives the same metrics"].kept is False
    assert "valid_mse" in promises["the same seed gives the same metrics"].detail
    assert promises["two seeds differ"].kept and promises["it trains on the windows it is given"].kept


def test_a_resume_that_is_not_exact_is_caught_and_nothing_else(prepared, tmp_path):
    promises = check(prepared, tmp_path, broken="inexact-resume")
    assert kept(promises) == {**dict.fromkeys(PROMISES, True), "a resumed run equals the uninterrupted one": False}


def test_resume_false_is_not_checked_and_says_why(prepared, tmp_path):
    promises = check(prepared, tmp_path, resume=False)
    assert promises["a resumed run equals the uninterrupted one"].kept is None
    assert "trainer.resume is false" in promises["a resumed run equals the uninterrupted one"].detail


def test_a_failing_trainer_fails_the_outputs_promise_with_its_message(prepared, tmp_path):
    promises = check(prepared, tmp_path, broken="malformed")
    assert promises["its outputs are well-formed"].kept is False
    assert "field valid_mse" in promises["its outputs are well-formed"].detail
    assert {p.kept for name, p in promises.items() if name != "its outputs are well-formed"} == {None}


def test_a_trainer_that_reads_outside_its_windows_is_caught(prepared, tmp_path):
    """A trainer that records what it read (Job.record_read) is checked on what it says: here its
    training rows run into the validation and test windows."""
    job = CheckJob(spec(epochs=2), prepared, command=True, resumable=False)
    script = tmp_path / "leaky.py"
    script.write_text(TRAINER.read_text().replace(
        '        parts[part] = (x[mask], y[mask])',
        '        parts[part] = (x[mask], y[mask])\n'
        '        if part == "train":\n'
        '            job.record_read("train", times[0], times[-1], len(times))'))
    job.spec["trainer"]["command"] = f"{sys.executable} {script}"
    promises = {p.name: p for p in check_trainer(job, tmp_path / "scratch")}
    assert promises["it trains on the windows it is given"].kept is False
    assert "outside the window" in promises["it trains on the windows it is given"].detail


@pytest.mark.parametrize("broken,words", [("nondeterministic", "not deterministic"),
                                          ("inexact-resume", "resume is not exact")])
def test_the_report_states_what_a_broken_promise_means(prepared, tmp_path, broken, words):
    promises = check(prepared, tmp_path, broken=broken)
    record = json.loads(json.dumps({"trial": "t0000abcd", "promises": [vars(p) for p in promises.values()]}))
    lines = "\n".join(trainer_lines(record))
    assert words in lines and "trial t0000abcd" in lines
    assert trainer_lines({"promises": [{"name": n, "kept": True, "detail": ""} for n in PROMISES]}) == [
        "- **Trainer**: the study's own trainer keeps tunelab's promises in its check "
        "([trainer_check.md](trainer_check.md))."]
