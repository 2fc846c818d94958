"""cpu_numerics: avx2 pins MKL, oneDNN and torch's kernels to their AVX2 paths in a training job,
so CPUs with and without AVX-512 train to the same numbers; native (the default) leaves the spec,
and so every finished run, as it was."""

import datetime as dt
import json
import os
import subprocess
import sys

import torch
from conftest import tiny_study
from test_train import spec, values
from tunelab.search.plan import job_spec, make_plan
from tunelab.study import study_from_dict
from tunelab.train.numerics import PINS, pinned_environment

UNPINNED = {k: v for k, v in os.environ.items() if k not in PINS["avx2"]}
SPAN = (dt.datetime(2026, 1, 1), dt.datetime(2026, 6, 1))


def train(prepared, out, job, extra_env=None):
    """The training job as the train rule runs it: a fresh process (the pins act before the first
    computation of a process)."""
    subprocess.run([sys.executable, "-m", "tunelab.train.loop", "--spec", json.dumps(job), "--data",
                    prepared, "--metrics", str(out / "metrics.json")],
                   env={**UNPINNED, **(extra_env or {})}, check=True, capture_output=True)
    runs = json.loads((out / "metrics.json").read_text())["runs"]
    return [{k: v for k, v in r.items() if k != "train_time"} for r in runs]


def test_avx2_in_the_spec_trains_as_the_pinned_environment_does(prepared, tmp_path):
    job = {**spec(values(hidden_size=256, epochs=2), seeds=(0,)), "task": {"lags": 48, "horizon": 2}}
    pinned = train(prepared, tmp_path / "spec", {**job, "cpu_numerics": "avx2"})
    by_env = train(prepared, tmp_path / "env", job, pinned_environment("avx2"))
    native = train(prepared, tmp_path / "native", job)
    assert pinned == by_env
    if torch.backends.cpu.get_cpu_capability().startswith("AVX512"):  # here the paths round apart,
        assert pinned != native  # so the equality above is the pin's doing, not a coincidence


def test_native_leaves_the_spec_as_it_was_and_avx2_changes_it():
    native = study_from_dict(tiny_study(), name="tiny")
    pinned = study_from_dict(tiny_study(cpu_numerics="avx2"), name="tiny")
    plan = make_plan(native, *SPAN, "2026-11")
    first = (plan.periods[0].id, plan.trials[0].id, "s0-1")
    assert "cpu_numerics" not in job_spec(native, plan, *first)  # finished runs keep their spec
    assert job_spec(pinned, plan, *first)["cpu_numerics"] == "avx2"  # a change retrains (params)


def test_the_pins_are_the_three_libraries_variables():
    assert pinned_environment("native") == {} and pinned_environment(None) == {}
    assert pinned_environment("avx2") == {"MKL_CBWR": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2",
                                          "ATEN_CPU_CAPABILITY": "avx2"}



def test_each_block_records_the_code_path_and_runs_csv_carries_it(prepared, tmp_path):
    from tunelab.collect import hyperparameter_columns, runs_table

    job = spec(values(epochs=1), seeds=(0,))
    train(prepared, tmp_path / "native", job)
    train(prepared, tmp_path / "pinned", {**job, "cpu_numerics": "avx2"})
    native = json.loads((tmp_path / "native" / "metrics.json").read_text())
    pinned = json.loads((tmp_path / "pinned" / "metrics.json").read_text())
    assert native["cpu_path"] == torch.backends.cpu.get_cpu_capability()  # AVX512, AVX2, ...
    assert pinned["cpu_path"] == "AVX2 pinned"
    runs = runs_table([native, pinned])
    assert sorted(runs["cpu_path"]) == sorted([native["cpu_path"], "AVX2 pinned"])
    assert "cpu_path" not in hyperparameter_columns(runs)  # a record of the machine, not a hyperparameter


def test_a_hand_set_mkl_branch_is_recorded_as_itself_not_as_the_pin(prepared, tmp_path):
    train(prepared, tmp_path / "hand", spec(values(epochs=1), seeds=(0,)), {"MKL_CBWR": "COMPATIBLE"})
    recorded = json.loads((tmp_path / "hand" / "metrics.json").read_text())["cpu_path"]
    assert recorded == f"{torch.backends.cpu.get_cpu_capability()} MKL_CBWR=COMPATIBLE"
