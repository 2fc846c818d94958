"""device: cuda where no GPU is visible is refused at parse time, except where the GPUs are on
other machines: a cluster executor's nodes (from --executor or the profile), or a job's own parse."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest
from tunelab import machine

NO_GPU = {"CUDA_VISIBLE_DEVICES": ""}


def test_cuda_visible_devices_empty_hides_every_gpu_and_torch_answers_when_imported(monkeypatch):
    assert not machine.gpu_visible({"CUDA_VISIBLE_DEVICES": "-1"})
    fake = SimpleNamespace(cuda=SimpleNamespace(is_available=lambda: True))
    monkeypatch.setitem(sys.modules, "torch", fake)
    assert machine.gpu_visible({})
    assert not machine.gpu_visible(NO_GPU)


def test_without_a_gpu_cuda_is_refused_naming_device_and_the_ways_out(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    refusal, note = machine.device_problem("cuda", ["snakemake", "-n"], NO_GPU)
    assert note is None and refusal.startswith("device: 'cuda'")
    assert "TUNELAB_GPU_CHECK=0" in refusal and "device: cpu" in refusal
    assert machine.device_problem("cpu", ["snakemake"], NO_GPU) == (None, None)
    assert machine.device_problem("auto", ["snakemake"], NO_GPU) == (None, None)
    assert machine.device_problem("cuda", ["snakemake"], {**NO_GPU, "TUNELAB_GPU_CHECK": "0"}) == (None, None)


@pytest.mark.parametrize("argv", [
    ["snakemake", "--executor", "slurm"],
    ["snakemake", "-e", "slurm"],
    ["snakemake", "--executor=slurm"],
    ["snakemake", "--workflow-profile", "profiles/slurm"],
    ["snakemake", "--profile", "profiles/slurm"],
])
def test_a_cluster_executor_runs_the_jobs_on_its_nodes_so_only_a_note(tmp_path, monkeypatch, argv):
    (tmp_path / "profiles" / "slurm").mkdir(parents=True)
    (tmp_path / "profiles" / "slurm" / "config.yaml").write_text("executor: slurm\njobs: unlimited\n")
    monkeypatch.chdir(tmp_path)
    refusal, note = machine.device_problem("cuda", argv, NO_GPU)
    assert refusal is None and "slurm executor's nodes" in note


def test_the_local_executor_and_a_profile_without_one_are_this_machine(tmp_path, monkeypatch):
    (tmp_path / "profiles" / "default").mkdir(parents=True)
    (tmp_path / "profiles" / "default" / "config.yaml").write_text("cores: 2\n")
    monkeypatch.chdir(tmp_path)
    assert machine.cluster_executor(["snakemake", "--cores", "2"], {}) is None
    assert machine.cluster_executor(["snakemake", "--executor", "local"], {}) is None
    (tmp_path / "profiles" / "default" / "config.yaml").write_text("executor: slurm\n")
    assert machine.cluster_executor(["snakemake"], {}) == "slurm"  # the workflow profile's
    assert machine.cluster_executor(["snakemake", "--workflow-profile", "none"], {}) is None


@pytest.mark.parametrize("mode", ["remote", "subprocess"])
def test_a_jobs_own_parse_is_not_checked_again(tmp_path, monkeypatch, mode):
    """Each cluster job re-reads the Snakefile on its node (a CPU node for the data rules)."""
    monkeypatch.chdir(tmp_path)
    assert machine.device_problem("cuda", ["snakemake", "--mode", mode], NO_GPU) == (None, None)
