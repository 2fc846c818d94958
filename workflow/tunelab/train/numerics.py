"""The CPU code paths a training job computes with (the study's `cpu_numerics`).

torch's CPU build picks its matrix kernels (MKL), its oneDNN primitives and its own vectorised
kernels by the instruction set of the machine it runs on. The same job on a CPU with AVX-512 and
on one without it rounds differently, and over an epoch those last bits grow into other numbers
(measured: one trial of the default study, 4 epochs, valid_mse 0.5369 with MKL's AVX-512 path and
0.5315 with its AVX2 path, on the same machine). `cpu_numerics: avx2` pins the three libraries to
their AVX2 paths in every training job, so that a laptop, a SLURM node and a CI runner with
different x86-64 CPUs (any with AVX2) compute the same numbers; `native` (the default) lets each
machine use its fastest path. The pins are environment variables, read by each library at its
first computation, so they are set here before training starts (and passed on to a training
command's process). GPUs and non-x86 CPUs are not covered. Each block's metrics.json records the
path it trained on (`cpu_path`), and the checklist warns when a study's runs come from several.
"""

from __future__ import annotations

import os

PINS = {
    "native": {},
    "avx2": {"MKL_CBWR": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"},
}


def pinned_environment(cpu_numerics: str | None) -> dict[str, str]:
    """The environment variables that pin `cpu_numerics` (none for native)."""
    return dict(PINS[cpu_numerics or "native"])


def pin_cpu_numerics(cpu_numerics: str | None) -> None:
    """Pin this process's CPU code paths before its first computation."""
    os.environ.update(pinned_environment(cpu_numerics))


def cpu_path(device) -> str:
    """The code path this process trains on, as each run's metrics.json records it: torch's CPU
    capability (AVX512, AVX2, ...), "AVX2 pinned" where cpu_numerics: avx2 pinned all three
    libraries, an MKL branch set by hand beside it (MKL_CBWR), or the GPU (`cuda`). Runs of one
    study on two paths are not comparable bit for bit (the checklist says so)."""
    import torch

    if getattr(device, "type", device) == "cuda":
        return "cuda"
    capability = torch.backends.cpu.get_cpu_capability()
    if all(os.environ.get(k) == v for k, v in PINS["avx2"].items()):
        return f"{capability} pinned"
    branch = os.environ.get("MKL_CBWR")
    return f"{capability} MKL_CBWR={branch}" if branch else capability
