"""tunelab.train.gpu: with several GPUs visible, each training job claims its own device."""

from __future__ import annotations

import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
from tunelab.train import gpu


@pytest.fixture(autouse=True)
def locks(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNELAB_GPU_LOCKS", str(tmp_path / "locks"))
    yield tmp_path / "locks"
    gpu.release_all()


def test_each_claim_gets_a_device_nobody_holds():
    assert gpu.claim(["GPU-a", "GPU-b"]) == 0
    assert gpu.claim(["GPU-a", "GPU-b"]) == 1
    assert gpu.claim(["GPU-a", "GPU-b"]) is None
    gpu.release_all()
    assert gpu.claim(["GPU-a", "GPU-b"]) == 0


def test_a_claim_ends_with_its_process_even_when_killed(locks):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from tunelab.train import gpu; "
         "print(gpu.claim(['GPU-a', 'GPU-b']), flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "0"
        assert gpu.claim(["GPU-a", "GPU-b"]) == 1  # GPU-a is held by the other process
        gpu.release_all()
    finally:
        holder.kill()
        holder.wait()
    deadline = time.monotonic() + 10
    while gpu.claim(["GPU-a"]) != 0:  # the kernel dropped the dead process's lock
        assert time.monotonic() < deadline
        time.sleep(0.05)


def fake_torch(count: int):
    chosen = []
    cuda = SimpleNamespace(
        device_count=lambda: count,
        get_device_properties=lambda i: SimpleNamespace(uuid=f"GPU-{i}"),
        set_device=chosen.append,
    )
    return SimpleNamespace(cuda=cuda, device=lambda kind, index: f"{kind}:{index}"), chosen


def test_one_visible_gpu_is_used_without_a_claim(monkeypatch, locks):
    torch, chosen = fake_torch(1)  # e.g. SLURM --gpus=1: CUDA_VISIBLE_DEVICES shows just one
    monkeypatch.setitem(sys.modules, "torch", torch)
    assert gpu.cuda_device() == "cuda:0"
    assert not locks.exists() and chosen == []


def test_jobs_spread_over_the_visible_gpus_then_share_with_a_warning(monkeypatch, capsys):
    torch, chosen = fake_torch(2)
    monkeypatch.setitem(sys.modules, "torch", torch)
    assert [gpu.cuda_device(), gpu.cuda_device()] == ["cuda:0", "cuda:1"]
    third = gpu.cuda_device()  # more jobs than GPUs: shares one, and says so
    assert third in ("cuda:0", "cuda:1")
    assert "--resources gpu=2" in capsys.readouterr().err
    assert chosen[:2] == [0, 1]
