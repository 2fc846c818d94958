"""Does this machine have what a study asks of it? `device: cuda` needs a GPU where jobs run.

Checked at parse time (`tunelab validate`, every `snakemake` run, dry runs included), so it must be
cheap: `import torch` alone costs about 2 s, so torch is asked only if it is already imported.
Otherwise the GPU's device files tell: /dev/nvidia0.. (NVIDIA's driver), /dev/kfd (AMD ROCm, which
torch also reaches through torch.cuda) or /dev/dxg (WSL 2). CUDA_VISIBLE_DEVICES set to nothing
(or -1) hides every GPU from the jobs, so then none is visible whatever the files say.

Under a cluster executor (`--executor slurm`, or a profile that names one, such as profiles/slurm)
the training jobs run on other nodes, whose GPUs this machine cannot see: the check is skipped
there, with a note; so is a job's own parse (`--mode remote` or `subprocess`: Snakemake re-reads
the Snakefile inside each cluster job, on whatever node it got, a CPU node for the data rules).
TUNELAB_GPU_CHECK=0 skips it anywhere (e.g. `tunelab validate` on a login node for a study that
SLURM will run on GPU nodes).
"""

from __future__ import annotations

import glob
import os
import sys
from pathlib import Path

LOCAL_EXECUTORS = ("local", "dryrun", "touch")
DEVICE_FILES = ("/dev/nvidia[0-9]*", "/dev/kfd", "/dev/dxg")


def gpu_visible(env=None) -> bool:
    """A GPU that a job started here would see (cheap: no torch import)."""
    env = os.environ if env is None else env
    if env.get("CUDA_VISIBLE_DEVICES", "unset").strip() in ("", "-1"):
        return False
    torch = sys.modules.get("torch")
    if torch is not None:
        return bool(torch.cuda.is_available())
    return any(glob.glob(pattern) for pattern in DEVICE_FILES)


def cluster_executor(argv: list[str], env=None) -> str | None:
    """The executor that runs the jobs when it is not this machine: from `--executor`/`-e`, or
    from the profile (`--profile`, `--workflow-profile`, $SNAKEMAKE_PROFILE, else the workflow
    profile profiles/default/). None: the jobs run here."""
    env = os.environ if env is None else env
    executor = _option(argv, ("--executor", "-e"))
    if executor is None:
        for profile in _profiles(argv, env):
            executor = _profile_executor(profile) or executor
    return executor if executor and executor not in LOCAL_EXECUTORS else None


def device_problem(device: str, argv: list[str] | None = None, env=None) -> tuple[str | None, str | None]:
    """(refusal, note) for `device` on this machine, as the key's message (without the file)."""
    env = os.environ if env is None else env
    if device != "cuda" or env.get("TUNELAB_GPU_CHECK", "1").strip().lower() in ("0", "off", "no", "false"):
        return None, None
    argv = sys.argv if argv is None else argv
    if gpu_visible(env) or _option(argv, ("--mode",)) not in (None, "default"):
        return None, None  # a job of a run (--mode remote|subprocess): its main process checked
    executor = cluster_executor(argv, env)
    if executor:
        return None, (f"device: cuda and no GPU on this machine: not checked here, the training "
                      f"jobs run on the {executor} executor's nodes")
    return ("device: 'cuda' but this machine has no GPU (no /dev/nvidia*, /dev/kfd or /dev/dxg, or "
            "CUDA_VISIBLE_DEVICES hides them); use device: cpu or auto, run with a cluster executor "
            "whose nodes have GPUs (profiles/slurm), or set TUNELAB_GPU_CHECK=0 if the jobs run "
            "elsewhere"), None


def _option(argv: list[str], names: tuple[str, ...]) -> str | None:
    """The value of the last of `names` in argv (`--name value` or `--name=value`)."""
    found = None
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                found = argv[i + 1]
            elif arg.startswith(f"{name}=") and name.startswith("--"):
                found = arg.split("=", 1)[1]
    return found


def _profiles(argv: list[str], env) -> list[Path]:
    """Profile folders in the order Snakemake applies them (the later one wins)."""
    workflow = _option(argv, ("--workflow-profile",))
    user = _option(argv, ("--profile",)) or env.get("SNAKEMAKE_PROFILE")
    found = []
    if user:
        path = Path(user)
        found.append(path if path.is_dir() else Path.home() / ".config" / "snakemake" / user)
    if workflow != "none":
        found.append(Path(workflow) if workflow else Path("profiles/default"))
    return found


def _profile_executor(folder: Path) -> str | None:
    for name in ("config.v9+.yaml", "profile.yaml", "config.yaml"):
        file = folder / name
        if file.is_file():
            import yaml

            try:
                config = yaml.safe_load(file.read_text()) or {}
            except (OSError, yaml.YAMLError):
                return None
            value = config.get("executor") if isinstance(config, dict) else None
            return str(value) if value else None
    return None
