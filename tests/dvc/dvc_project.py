"""A real DVC project in a temporary git repository: the repo's dvc.yaml, Snakefile, workflow and
profiles, with a tiny study (2 periods x 4 trials x 2 seeds, 2 epochs) on a small synthetic series.

Every command runs the real `git`, `dvc` and `snakemake`; nothing is mocked. The tiny study does not
pin its rotation month: the tests set it through $TUNELAB_MONTH, as if it were that month.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import yaml
from conftest import synthetic_frame
from conftest import tiny_study as shared_tiny_study

REPO = Path(__file__).resolve().parents[2]
STUDY = "tiny"
COPIED = ["Snakefile", "workflow", "profiles", "dvc.yaml", ".dvcignore", ".gitignore", "params.yaml",
          ".dvc/config", ".dvc/plots", ".ci/tunelab-report"]
SOURCE_REV = os.environ.get("TUNELAB_TEST_REV")  # copy the project from this git revision, not the tree
IGNORED = shutil.ignore_patterns("__pycache__", "*.egg-info", ".snakemake")
ENV = {**os.environ, "DVC_NO_ANALYTICS": "1", "PYTHONWARNINGS": "ignore"}
MONTH = "2026-11"
ENV["TUNELAB_MONTH"] = MONTH


def tiny_study() -> dict:
    """tests/conftest.py's tiny study on a grid of 2 hidden sizes x 2 learning rates, 2 epochs,
    data under data/raw, month not pinned (the month stage sets it): 8 training jobs. The baseline
    is one of the trials and no confirmation seeds are trained, so the analysis adds no training job."""
    study = shared_tiny_study(
        dataset={"path": "data/raw/synth.csv"},
        hyperparameters={"epochs": 2},
        baseline={"hidden_size": 8, "learning_rate": 1.0e-3},
        confirm_seeds=0,
        trials_per_job=1,  # one job per trial: these tests count which trials DVC/Snakemake retrain;
    )                      # a group's recompute (the linear/mlp default) is tests/search/test_trials_per_job.py's
    study["hyperparameters"]["learning_rate"] = {"role": "nuisance", "feasible_points": [1.0e-3, 1.0e-2]}
    del study["periods"]["month"]
    return study


def run(cwd: Path, *cmd: str, check: bool = True, env: dict | None = None,
        timeout: int = 900) -> subprocess.CompletedProcess:
    package = {"PYTHONPATH": str(cwd / "workflow")} if (cwd / "workflow" / "tunelab").is_dir() else {}
    proc = subprocess.run(list(cmd), cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**ENV, **package, **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n"
                             f"{proc.stderr[-4000:]}")
    return proc


def dvc(cwd: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return run(cwd, "dvc", *args, **kwargs)


def git(cwd: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return run(cwd, "git", *args, **kwargs)


def copy_project(dest: Path) -> None:
    """The project's files, from the working tree (or from git revision $TUNELAB_TEST_REV: a stable
    snapshot while others edit a shared checkout)."""
    if SOURCE_REV:
        archive = run(REPO, "git", "archive", "--format=tar", "-o", str(dest / "src.tar"), SOURCE_REV,
                      *COPIED)
        assert archive.returncode == 0
        run(dest, "tar", "-xf", "src.tar")
        (dest / "src.tar").unlink()
        return
    for item in COPIED:
        src, out = REPO / item, dest / item
        out.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, out, ignore=IGNORED)
        else:
            shutil.copy(src, out)


def make_project(dest: Path, remote: Path, study: dict | None = None,
                 files: dict[str, Path] | None = None) -> Path:
    """A git + DVC repository holding the project's files, the tiny study (or `study`) and its
    data, and `files` ({path in the project: file to copy there}).

    Its jobs import the project's own copy of the tunelab package (PYTHONPATH), like a clone would.
    """
    dest.mkdir(parents=True)
    copy_project(dest)
    for name, source in (files or {}).items():
        shutil.copy(source, dest / name)
    params = yaml.safe_load((dest / "params.yaml").read_text())
    (dest / "params.yaml").write_text(yaml.safe_dump({**params, "study": STUDY, "cores": 2}))
    (dest / "params").mkdir()
    (dest / "params" / f"{STUDY}.yaml").write_text(yaml.safe_dump(study or tiny_study(), sort_keys=False))
    (dest / "data" / "raw").mkdir(parents=True)
    synthetic_frame().to_csv(dest / "data" / "raw" / "synth.csv", index=False)
    git(dest, "init", "-q", "-b", "main")
    identify(dest)
    project_dvc = dest / ".dvc-project"
    (dest / ".dvc").rename(project_dvc)
    dvc(dest, "init", "-q")
    shutil.copy(project_dvc / "config", dest / ".dvc" / "config")  # the project's remote...
    shutil.copytree(project_dvc / "plots", dest / ".dvc" / "plots")  # ...and plot templates
    shutil.rmtree(project_dvc)
    dvc(dest, "remote", "modify", "--local", "local", "url", str(remote))  # the remote, in a tmp dir
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "tiny study")
    return dest


def identify(repo: Path) -> None:
    """`dvc exp run` commits, and needs a git identity in the repository itself."""
    git(repo, "config", "user.name", "tunelab tests")
    git(repo, "config", "user.email", "tests@tunelab.invalid")


def clone(src: Path, dest: Path, remote: Path) -> Path:
    git(dest.parent, "clone", "-q", str(src), dest.name)
    identify(dest)
    dvc(dest, "remote", "modify", "--local", "local", "url", str(remote))
    return dest


def run_files(project: Path, name: str = "metrics.json") -> dict[str, tuple[int, int]]:
    """{run block dir: (inode, mtime_ns)} of one output of every training job."""
    runs = project / "results" / STUDY / "runs"
    return {str(p.parent.relative_to(runs)): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(runs.glob(f"*/*/*/{name}"))}


def trained(output: str) -> list[str]:
    """The training jobs Snakemake ran, from its log: "period/trial/block" of each `rule train` job."""
    jobs, in_train = [], False
    for line in output.splitlines():
        if line.strip() in ("rule train:", "localrule train:"):
            in_train = True
        elif in_train and line.strip().startswith("output:"):
            metrics = line.split("output:", 1)[1].split(",")[0].strip()
            jobs.append(metrics.split("/runs/", 1)[1].rsplit("/", 1)[0])
            in_train = False
    return jobs


def read_json(path: Path):
    return json.loads(path.read_text())
