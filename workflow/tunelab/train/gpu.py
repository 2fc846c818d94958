"""One GPU per training job on a machine with several.

Snakemake's `gpu` resource is a counter: `--resources gpu=2` runs at most two jobs that declare
`gpu=1` at once, but it does not tell a job which device to use (it sets no
CUDA_VISIBLE_DEVICES), so both would train on cuda:0. A job therefore claims a free device itself:
it takes an exclusive lock on one file per device, and the operating system releases the lock when
the job's process ends, however it ends (a SIGKILL included), so no claim outlives its job.

Under SLURM (`--gpus=1`) a job sees exactly one device and needs no lock.
"""

from __future__ import annotations

import fcntl
import os
import re
import sys
import tempfile
from pathlib import Path

_HELD: list = []  # the open lock files of this process: a claim lasts as long as the process


def lock_dir() -> Path:
    """Where the lock files live: $TUNELAB_GPU_LOCKS, or a per-user folder in the temp dir."""
    path = os.environ.get("TUNELAB_GPU_LOCKS")
    return Path(path) if path else Path(tempfile.gettempdir()) / f"tunelab-gpu-locks-{os.getuid()}"


def claim(ids: list[str], directory: str | Path | None = None) -> int | None:
    """Index of the first device in `ids` that no other process has claimed, now claimed by this
    one until it exits; None if every device is claimed."""
    directory = Path(directory) if directory else lock_dir()
    directory.mkdir(parents=True, exist_ok=True)
    for index, ident in enumerate(ids):
        handle = open(directory / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', ident)}.lock", "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held by another process
            handle.close()
            continue
        _HELD.append(handle)
        return index
    return None


def release_all() -> None:
    """Give back every device this process claimed (tests; a job simply exits)."""
    while _HELD:
        _HELD.pop().close()


def device_ids(torch) -> list[str]:
    """A stable name per visible device: its UUID (the same whatever CUDA_VISIBLE_DEVICES says)."""
    ids = []
    for i in range(torch.cuda.device_count()):
        uuid = getattr(torch.cuda.get_device_properties(i), "uuid", None)
        ids.append(str(uuid) if uuid else f"{os.environ.get('CUDA_VISIBLE_DEVICES', 'all')}-{i}")
    return ids


def cuda_device():
    """The CUDA device this job trains on: the only visible one, or a free one of several."""
    import torch

    count = torch.cuda.device_count()
    if count <= 1:
        return torch.device("cuda", 0)
    index = claim(device_ids(torch))
    if index is None:  # more tunelab jobs than GPUs: --resources gpu=N was larger than the GPUs
        index = os.getpid() % count
        print(f"tunelab: all {count} GPUs are claimed by other tunelab jobs; sharing cuda:{index} "
              f"(pass --resources gpu={count} to run one job per GPU)", file=sys.stderr, flush=True)
    torch.cuda.set_device(index)
    return torch.device("cuda", index)
