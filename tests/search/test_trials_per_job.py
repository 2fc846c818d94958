"""trials_per_job: trials of one shape on one period trained by one job, through the real Snakemake."""

import dataclasses

import pandas as pd
import pytest
from conftest import job_counts, snakemake, tiny_study, write_study
from tunelab.search.plan import Trial, group_trials

pytestmark = pytest.mark.e2e

TABLES = [f"results/tiny/{name}.csv" for name in ("periods", "plan", "runs", "trials")]
# Three trials of one shape (learning rates) and one of another (width): one job group of 3.
GROUPED = {"hyperparameters": {"hidden_size": 8,
                               "learning_rate": {"role": "nuisance", "feasible_points": [0.001, 0.003, 0.01]},
                               "dropout": 0.1},
           "periods": {"count": 1}}


def trial(tid, **values):
    return Trial(id=tid, values={"hidden_size": 8, "batch_size": 64, "optimizer": "adam", **values},
                 group="", position=0)


def test_trials_are_grouped_by_shape_in_plan_order():
    trials = [trial("t1"), trial("t2", learning_rate=0.1), trial("t3", hidden_size=16), trial("t4", dropout=0.5),
              trial("t5", batch_size=32), trial("t6", optimizer="adamw"), trial("t7", optimizer="sgd")]
    groups = group_trials(trials, "mlp", 2)
    assert sorted(groups.values()) == [("t1", "t2"), ("t4", "t6")]  # same shape; dropout/adamw may differ
    assert group_trials(trials, "mlp", 1) == {}
    assert list(group_trials(trials, "mlp", 8).values()) == [("t1", "t2", "t4", "t6")]
    changed = [dataclasses.replace(trials[0], id="t9"), *trials[1:]]
    assert set(group_trials(changed, "mlp", 8)) != set(groups)  # a changed trial: a new group id


def test_grouped_study_gives_the_runs_of_one_trial_per_job(workdir, tmp_path):
    """By default (no trials_per_job key: 4 for an mlp) one job trains the group and each trial's
    job links its files; the study run both ways (grouped, and trials_per_job 1: one job per
    trial) gives the same runs and the same trial table, within the batched path's stated
    tolerance (1e-5 relative, docs/how-to/batched-gpus.md)."""
    write_study(workdir, "tiny", tiny_study(**GROUPED))
    dry = snakemake(workdir, *TABLES, "-n")
    assert job_counts(dry.stdout)["train_group"] == 1 and job_counts(dry.stdout)["train"] == 3
    snakemake(workdir, *TABLES)
    logs = list((workdir / "logs/tiny/runs").glob("*/groups/*/*.log"))
    linked = next((workdir / "logs/tiny/runs").glob("*/t*/*.log")).read_text()
    assert len(logs) == 1 and "trained by job group" in linked
    again = snakemake(workdir, *TABLES, "-n")
    assert "Nothing to be done" in again.stdout + again.stderr  # a rerun trains nothing

    other = tmp_path.parent / f"{tmp_path.name}-alone"
    (other / "data").mkdir(parents=True)
    (other / "data" / "synth.csv").write_bytes((workdir / "data" / "synth.csv").read_bytes())
    write_study(other, "tiny", tiny_study(**GROUPED, trials_per_job=1))  # one job per trial
    assert "train_group" not in job_counts(snakemake(other, *TABLES, "-n").stdout)
    snakemake(other, *TABLES)
    for table, key in (("runs", ["period", "trial", "seed"]), ("trials", ["period", "trial"])):
        grouped, alone = (pd.read_csv(d / f"results/tiny/{table}.csv") for d in (workdir, other))
        merged = grouped.merge(alone, on=key, suffixes=("_g", "_a"))
        assert len(merged) == len(alone) == len(grouped)
        numbers = [c for c in alone.select_dtypes("number") if c not in key and c != "train_time"]
        assert {"valid_mse", "objective_mean"} & set(numbers)
        for column in numbers:
            pd.testing.assert_series_equal(merged[f"{column}_g"], merged[f"{column}_a"], rtol=1e-5,
                                           check_names=False, check_dtype=False)
    assert set(pd.read_csv(workdir / "results/tiny/runs.csv")["status"]) == {"ok"}


def test_trials_per_job_default_groups_only_what_trains_batched():
    """4 where a job's members train as one batched model (linear, mlp in tunelab's loop), 1 where
    they would train one after another anyway; a value written in the study always wins."""
    from tunelab.study import study_from_dict

    def resolved(**overrides):
        study = tiny_study(**overrides)
        if study["architecture"] in ("linear", "cnn"):  # no hidden_size to search
            del study["hyperparameters"]["hidden_size"]
        return study_from_dict(study, name="tiny").trials_per_job

    assert resolved() == 4 and resolved(architecture="linear") == 4
    assert resolved(architecture="lstm") == 1 and resolved(architecture="cnn") == 1
    assert resolved(trials_per_job=1) == 1 and resolved(architecture="lstm", trials_per_job=3) == 3
