"""What a training job asks of the machine or cluster: the study's `resources`, defaults where it
is silent, one `gpu` token for device: cuda, and how the SLURM plugin turns them into sbatch options."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from conftest import snakemake, tiny_study, write_study
from tunelab.study import StudyError, study_from_dict
from tunelab.workflow import StudyPlan, threads_warnings, train_resources


def study(**overrides):
    return study_from_dict(tiny_study(**overrides), name="tiny")


def test_defaults_where_the_study_is_silent():
    # gpu and slurm_extra are left undeclared (None: Snakemake drops them), so a CPU job is no
    # GPU request to any executor (the Kubernetes plugin takes any `gpu` key for one).
    assert train_resources(study()) == {"mem_mb": 2000, "runtime": 30, "cpus_per_task": 1,
                                        "gpu": None, "slurm_extra": None}


def test_the_study_sets_them_and_a_retry_gets_more_memory_and_time():
    s = study(resources={"mem_mb": 4000, "runtime": 90, "cpus_per_task": 4,
                         "slurm_extra": "--mail-type=END"})
    assert train_resources(s, attempt=2) == {"mem_mb": 8000, "runtime": 180, "cpus_per_task": 4,
                                             "gpu": None, "slurm_extra": "--mail-type=END"}


@pytest.mark.parametrize(("device", "resources", "gpus"), [
    ("cuda", {}, 1),               # asks for a GPU: holds one token
    ("auto", {}, None),            # uses one only if the job happens to see one
    ("cpu", {}, None),
    ("cuda", {"gpu": 0}, None),    # share the GPU freely (no token, no SLURM request)
    ("cuda", {"gpu": 2}, 2),       # the study says so
    ("auto", {"gpu": 1}, 1),
])
def test_a_cuda_study_holds_one_gpu_unless_it_says_otherwise(device, resources, gpus):
    assert train_resources(study(device=device, resources=resources))["gpu"] == gpus


@pytest.mark.parametrize(("resources", "words"), [
    ({"mem_mb": "2G"}, ["resources.mem_mb", "2G"]),
    ({"runtime": 0}, ["resources.runtime"]),
    ({"gpus": 1}, ["gpus"]),  # a typo is not silently ignored
])
def test_bad_resources_are_rejected_with_the_key(resources, words):
    with pytest.raises(StudyError) as err:
        study(resources=resources)
    assert all(w in str(err.value) for w in words), str(err.value)


def test_a_warning_when_cores_cap_the_threads():
    studies = {"tiny": StudyPlan(study(resources={"cpus_per_task": 4}), None)}
    (warning,) = threads_warnings(studies, cores=1)
    assert "cpus_per_task=4" in warning and "--cores 4" in warning
    assert threads_warnings(studies, cores=4) == []


class Resources(dict):
    __getattr__ = dict.__getitem__


def sbatch_options(resources: dict, threads: int) -> str:
    """The sbatch call snakemake-executor-plugin-slurm builds for a job with these resources
    (plus profiles/slurm's cpus_per_task: threads and partition)."""
    plugin = pytest.importorskip("snakemake_executor_plugin_slurm")
    from snakemake_executor_plugin_slurm.submit_string import get_submit_command
    from snakemake_executor_plugin_slurm.utils import set_gres_string

    declared = {k: v for k, v in resources.items() if v is not None}  # as Snakemake does
    job = SimpleNamespace(resources=Resources(declared, cpus_per_task=threads), threads=threads)
    params = {"run_uuid": "u", "slurm_logfile": "l", "comment_str": "c", "account": "",
              "partition": "-p debug", "workdir": "/w"}
    assert plugin  # the names below are the plugin's resource names
    return get_submit_command(job, params) + set_gres_string(job)


def test_sbatch_gets_the_study_resources_and_one_gpu_for_cuda():
    s = study(device="cuda", resources={"mem_mb": 3000, "runtime": 45, "cpus_per_task": 2,
                                        "slurm_extra": "--exclusive"})
    res = train_resources(s, attempt=1)
    call = sbatch_options(res, threads=res["cpus_per_task"])
    for option in ("--mem 3000", "-t 45", "--cpus-per-task=2", "--gpus=1", "--exclusive", "-p debug"):
        assert option in call, call


def test_sbatch_asks_for_no_gpu_for_a_cpu_study():
    res = train_resources(study())
    call = sbatch_options(res, threads=1)
    assert "--gpus" not in call and "--gres" not in call and "--mem 2000" in call, call


def test_every_training_job_of_a_cuda_study_declares_one_gpu(workdir, monkeypatch):
    """`--resources gpu=1` then runs one at a time (a dry run; no GPU here, so the parse-time GPU
    check is switched off as for jobs that run elsewhere)."""
    monkeypatch.setenv("TUNELAB_GPU_CHECK", "0")
    write_study(workdir, "tiny", tiny_study(device="cuda", resources={"mem_mb": 1500}))
    proc = snakemake(workdir, "results/tiny/runs.csv", "-n", "--resources", "gpu=1")
    train = [block for block in proc.stdout.split("rule ")[1:] if block.startswith("train:")]
    assert len(train) == 4
    assert all("gpu=1" in block and "mem_mb=1500" in block for block in train)


def test_a_job_group_asks_for_one_trials_runtime_per_trial(workdir):
    """trials_per_job: a group's job trains its trials in one process; on SLURM its time limit is
    one trial's runtime per trial (a retry doubles it), the jobs that only link its files keep one."""
    study = tiny_study(resources={"runtime": 10}, trials_per_job=2, periods={"count": 1})
    study["hyperparameters"]["hidden_size"] = 8  # one shape: the 2 trials form one group
    study["hyperparameters"]["learning_rate"] = {"role": "nuisance", "feasible_points": [0.003, 0.01]}
    write_study(workdir, "tiny", study)
    proc = snakemake(workdir, "results/tiny/runs.csv", "-n")
    blocks = proc.stdout.split("rule ")[1:]
    group = [b for b in blocks if b.startswith("train_group:")]
    links = [b for b in blocks if b.startswith("train:")]
    assert len(group) == 1 and "runtime=20" in group[0], group
    assert len(links) == 2 and all("runtime=10" in b for b in links), links
