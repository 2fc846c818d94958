"""A training job run by the study's own program (`trainer.command`) instead of tunelab's loop.

The job writes the spec the program reads (tunelab.train.job documents the file contract), runs
the command in the working directory with its output streamed to the job's log, and turns what
the program wrote into the files every training job writes: metrics.json, curves.csv, test.json,
models.pt (a tar of the program's models/ folder) and, for a rung, state.pt (a tar of its state
folder). The program's errors, in the target's units, are scaled as tunelab's own runs are
(squared errors by the training window's target variance), so every trial, baseline and simple
forecast is on one scale. A program that exits non-zero fails the job with its last lines; one
that writes missing or malformed results fails it naming the file and the field. metrics.json
is written last: nothing half-written looks complete.

numpy and pyarrow only (for the target's scale): no torch in a command study's jobs.
"""

from __future__ import annotations

import argparse
import collections
import io
import json
import math
import os
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

from tunelab.io import atomic_path, end_job, write_csv, write_json
from tunelab.train.job import (
    EPOCHS_FILE,
    MODELS_DIR,
    OUTPUT_ENV,
    READ_FILE,
    RESUME_ENV,
    SPEC_ENV,
    STATE_ENV,
    seed_file,
)
from tunelab.train.numerics import pin_cpu_numerics

# The loop's columns (tunelab.train.loop.CURVE_COLUMNS), so one collect reads both; a command
# reports no gradient or parameter norms: they stay empty, and the dynamics report says so.
CURVE_COLUMNS = ["seed", "epoch", "train_loss", "train_loss_std", "valid_loss", "valid_mae", "lr",
                 "grad_norm", "param_norm", "time"]
TAIL_LINES = 20
PAST_CURVE = "curve.jsonl"  # in a rung's state.pt, beside state/: the curve so far
WORK_DIR = ".command"  # the job's scratch folder inside its block folder, removed once it succeeds


class TrainerFailed(RuntimeError):
    """The command failed, or wrote results tunelab cannot read; the message says which and why."""


@dataclass
class JobFolders:
    """The folders of one command job: the spec file, the program's output, its state."""
    root: Path
    spec: Path
    output: Path
    state: Path | None
    resume_from: Path | None


def budget(spec: dict) -> int | None:
    """The epochs to train to: a rung's budget (capped by the trial's epochs), else `epochs`."""
    epochs = spec["hyperparameters"].get("epochs")
    stop = spec.get("stop_epoch")
    if stop is None:
        return None if epochs is None else int(epochs)
    return int(stop) if epochs is None else min(int(stop), int(epochs))


def prepare(spec: dict, block: Path, data_path: str, threads: int, resume: str | None) -> JobFolders:
    """A fresh scratch folder with the spec file; the previous rung's state unpacked to resume."""
    root = block / WORK_DIR
    shutil.rmtree(root, ignore_errors=True)
    output = root / "output"
    output.mkdir(parents=True)
    rung, resumable = "stop_epoch" in spec, spec["trainer"].get("resume", False)
    state = root / "state" if rung and resumable else None
    if state is not None:
        state.mkdir()
    resume_from = None
    if resume and resumable:
        unpack(resume, root / "resume")
        resume_from = root / "resume" / "state"
        resume_from.mkdir(exist_ok=True)
    columns = prepared_columns(data_path) if data_path else {"target": None, "inputs": []}
    command_spec = {**spec, **columns, "data": data_path or None, "threads": threads,
                    "budget": budget(spec),
                    "output": str(output), "state_dir": state and str(state),
                    "resume_from": resume_from and str(resume_from)}
    (root / "spec.json").write_text(json.dumps(command_spec, indent=1, sort_keys=True))
    return JobFolders(root, root / "spec.json", output, state, resume_from)


def prepared_columns(data_path: str) -> dict:
    """The prepared file's target and input columns (the target's history first), from its schema."""
    import pyarrow.parquet as pq

    meta = json.loads(pq.read_schema(data_path).metadata[b"tunelab"])
    inputs = [meta["target"]] + [n for n in meta["inputs"] if n != meta["target"]]
    return {"target": meta["target"], "inputs": inputs}


def run_command(command: str, folders: JobFolders, threads: int) -> None:
    """Run the command with the job's environment, its output streamed to this job's log."""
    env = {**os.environ, SPEC_ENV: str(folders.spec.resolve()), OUTPUT_ENV: str(folders.output.resolve()),
           STATE_ENV: str(folders.state.resolve()) if folders.state else "",
           RESUME_ENV: str(folders.resume_from.resolve()) if folders.resume_from else "",
           "OMP_NUM_THREADS": str(threads)}
    tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
    with subprocess.Popen(command, shell=True, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors="replace") as proc:
        for line in proc.stdout:
            sys.stdout.write(line)
            tail.append(line.rstrip("\n"))
        code = proc.wait()
    sys.stdout.flush()
    if code != 0:
        last = "\n".join(f"  | {line}" for line in tail) or "  (it printed nothing)"
        raise TrainerFailed(f"trainer.command {command!r} exited with status {code}; its last lines:\n{last}")


def read_seed(folders: JobFolders, seed: int, objective: str) -> dict:
    """A seed's seed-<seed>.json, checked: every field the study needs, of the right type."""
    path = folders.output / seed_file(seed)
    if not path.is_file():
        raise TrainerFailed(f"{path}: missing: the command exited 0 but wrote no result for seed {seed}")
    record = _read_json(path)
    if not isinstance(record, dict):
        raise TrainerFailed(f"{path}: not a JSON object")
    status = record.get("status", "ok")
    if status not in ("ok", "infeasible"):
        raise TrainerFailed(f"{path}: field status: {status!r} is not 'ok' or 'infeasible'")
    for field in ("valid_mse", "valid_mae", "test_mse", "test_mae"):
        _number_field(record, field, path)
    for field in ("best_epoch", "epochs_run"):
        if field in record and not _is_int(record[field]):
            raise TrainerFailed(f"{path}: field {field}: {record[field]!r} is not a whole number")
    if status == "ok":
        if not _finite(record.get(objective)):
            raise TrainerFailed(f"{path}: field {objective} (the study's objective): missing or not a "
                                "finite number for an ok run; report it, or status infeasible with a reason")
        if not _is_int(record.get("best_epoch")) or record["best_epoch"] < 1:
            raise TrainerFailed(f"{path}: field best_epoch: {record.get('best_epoch')!r}; an ok run "
                                "names the epoch (or round, from 1) its metrics were measured at")
    return record


def read_curves(folders: JobFolders, seeds: list[int]) -> dict[int, list[dict]]:
    """The curve of each seed's run so far: the previous rung's (kept in its state.pt) followed by
    the epochs this run reported in epochs.jsonl (optional; an epoch reported again replaces it)."""
    earlier = _curve_rows(folders.root / "resume" / PAST_CURVE, seeds)
    now = _curve_rows(folders.output / EPOCHS_FILE, seeds)
    merged = {}
    for s in seeds:
        new = {r["epoch"] for r in now[s]}
        merged[s] = sorted([r for r in earlier[s] if r["epoch"] not in new] + now[s],
                           key=lambda r: r["epoch"])
    return merged


def _curve_rows(path: Path, seeds: list[int]) -> dict[int, list[dict]]:
    """epochs.jsonl by seed, each row checked."""
    curves: dict[int, list[dict]] = {s: [] for s in seeds}
    if not path.is_file():
        return curves
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TrainerFailed(f"{path}: line {n}: not JSON ({exc})") from None
        if not isinstance(row, dict) or row.get("seed") not in curves or not _is_int(row.get("epoch")):
            raise TrainerFailed(f"{path}: line {n}: fields seed (one of {seeds}) and epoch (a whole "
                                f"number) are required: {line[:120]}")
        for field in ("train_loss", "valid_mse", "valid_mae", "lr", "time"):
            _number_field(row, field, path, f"line {n}: ")
        curves[row["seed"]].append(row)
    return curves


def target_std(data_path: str, windows: dict) -> float:
    """The target's std over the training window: tunelab's loop scales its errors by it."""
    from tunelab.data.windows import load_prepared, scaling

    _, std = scaling(load_prepared(data_path), windows["train"])
    return float(std[0])  # column 0 is the target's history


def convert(spec: dict, record: dict, curve: list[dict], std: float) -> dict:
    """One seed's results as tunelab's loop writes them (metrics, curve, test)."""
    seed, ok = record["seed"], record.get("status", "ok") == "ok"

    def scaled_mse(v):
        return float("nan") if v is None else float(v) / (std * std)

    def plain(v):
        return float("nan") if v is None else float(v)

    metrics = {"seed": seed, "status": record.get("status", "ok"), "reason": str(record.get("reason", "")),
               "valid_mse": scaled_mse(record.get("valid_mse")) if ok else float("nan"),
               "valid_mae": plain(record.get("valid_mae")) if ok else float("nan"),
               "best_epoch": int(record.get("best_epoch", 0)) if ok else 0,
               "epochs_run": int(record.get("epochs_run", len(curve))),
               "train_time": round(max((r.get("time") or 0.0 for r in curve), default=0.0), 3),
               "train_examples": 0, "valid_examples": 0}
    rows = [{"seed": seed, "epoch": r["epoch"], "train_loss": r.get("train_loss"),
             "valid_loss": None if r.get("valid_mse") is None else scaled_mse(r["valid_mse"]),
             "valid_mae": r.get("valid_mae"), "lr": r.get("lr"), "time": r.get("time")} for r in curve]
    test = {"seed": seed, "test_mse": scaled_mse(record.get("test_mse")) if ok else float("nan"),
            "test_mae": plain(record.get("test_mae")) if ok else float("nan")}
    return {"metrics": metrics, "curve": rows, "raw_curve": curve, "test": test, "done": _done(spec, record)}


def _done(spec: dict, record: dict) -> bool:
    """Nothing left to train: the program says so, or the run is infeasible or stopped early."""
    if "done" in record:
        return bool(record["done"])
    target = budget(spec)
    return record.get("status") == "infeasible" or (target is not None and
                                                    record.get("epochs_run", target) < target)


def command_job(spec: dict, data_path: str, block: str | Path, threads: int = 1,
                resume: str | None = None) -> list[dict]:
    """Run one job's command and write its block's files; the seeds' metrics."""
    block = Path(block)
    folders = prepare(spec, block, data_path, threads, resume)
    run_command(spec["trainer"]["command"], folders, threads)
    objective = spec.get("objective", "valid_mse")
    records = {s: {**read_seed(folders, s, objective), "seed": s} for s in spec["seeds"]}
    curves = read_curves(folders, spec["seeds"])
    std = target_std(data_path, spec["windows"]) if data_path else 1.0  # a span: errors as reported
    results = [convert(spec, records[s], curves[s], std) for s in spec["seeds"]]
    _count_examples(folders, results)
    check_state(spec, folders)
    write_block(spec, folders, results, block)
    shutil.rmtree(folders.root, ignore_errors=True)
    for r in results:
        m = r["metrics"]
        print(f"[{spec['period']} {spec['trial']} seed {m['seed']}] {m['status']} "
              f"valid_mse={m['valid_mse']:.4g} best_epoch={m['best_epoch']} {m['reason']}", flush=True)
    return [r["metrics"] for r in results]


def _count_examples(folders: JobFolders, results: list[dict]) -> None:
    """The rows the program read of train and valid (read.json), when it recorded them."""
    path = folders.output / READ_FILE
    read = _read_json(path) if path.is_file() else {}
    for r in results:
        for part in ("train", "valid"):
            rows = (read.get(part) or {}).get("rows") if isinstance(read, dict) else None
            r["metrics"][f"{part}_examples"] = int(rows) if _is_int(rows) else 0


def check_state(spec: dict, folders: JobFolders) -> None:
    """trainer.resume: true promises a state to resume from; a rung that saved none breaks it."""
    if folders.state is not None and not any(folders.state.iterdir()):
        raise TrainerFailed(f"trainer.resume is true, but the command wrote nothing under "
                            f"${STATE_ENV} ({folders.state}) for this rung: the next rung could not "
                            "resume; save the run's state there, or set trainer.resume: false")


def write_block(spec: dict, folders: JobFolders, results: list[dict], block: Path) -> None:
    """models.pt, state.pt (a rung), curves.csv, test.json, then metrics.json: the block is done."""
    keys = ("study", "period", "trial", "group", "architecture", "trainer", "hyperparameters", "task",
            "windows")
    resolved = {k: spec[k] for k in keys if k in spec}
    pack(folders.output / MODELS_DIR, block / "models.pt")
    if (folders.output / READ_FILE).is_file():  # what the program says it read (check-trainer)
        shutil.copyfile(folders.output / READ_FILE, block / READ_FILE)
    if "stop_epoch" in spec:
        curve = "".join(json.dumps(_contract_row(row)) + "\n" for r in results for row in r["raw_curve"])
        pack(folders.state, block / "state.pt", prefix="state/", extra={PAST_CURVE: curve.encode()})
        resolved = {**resolved, "stop_epoch": spec["stop_epoch"], "done": [r["done"] for r in results]}
    write_csv(block / "curves.csv", [row for r in results for row in r["curve"]], CURVE_COLUMNS)
    write_json(block / "test.json", {**resolved, "runs": [r["test"] for r in results]})
    write_json(block / "metrics.json", {**resolved, "runs": [r["metrics"] for r in results],
                                        "dead_params": {}})


def _contract_row(row: dict) -> dict:
    """A curve row as epochs.jsonl holds it (the program's units), to be read again on resume."""
    return {k: row[k] for k in ("seed", "epoch", "train_loss", "valid_mse", "valid_mae", "lr", "time")
            if row.get(k) is not None}


def pack(folder: Path | None, path: Path, prefix: str = "", extra: dict[str, bytes] | None = None) -> None:
    """A folder (its files under `prefix`, plus `extra` {name: bytes}) as a tar archive that depends
    on its files alone (sorted, no times or owners)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder and folder.is_dir() else []
        for p in files:
            info = tarfile.TarInfo(prefix + str(p.relative_to(folder)))
            info.size, info.mode = p.stat().st_size, 0o644
            with open(p, "rb") as f:
                tar.addfile(info, f)
        for name, data in sorted((extra or {}).items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(buffer.getvalue())


def unpack(archive: str | Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TrainerFailed(f"{path}: not valid JSON: {exc}") from None


def _number_field(record: dict, field: str, path: Path, where: str = "") -> None:
    value = record.get(field)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise TrainerFailed(f"{path}: {where}field {field}: {value!r} is not a number")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _finite(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a study's trainer.command for one training job.")
    parser.add_argument("--spec", required=True, help="the job spec, as JSON")
    parser.add_argument("--data", default="", help="prepared Parquet file (none: a dataset given as a span)")
    parser.add_argument("--metrics", required=True, help="the block's metrics.json")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--resume", help="state.pt of this block at an earlier rung")
    args = parser.parse_args(argv)
    try:
        spec = json.loads(args.spec)
        pin_cpu_numerics(spec.get("cpu_numerics"))  # the command's process inherits the pins
        command_job(spec, args.data, Path(args.metrics).parent, args.threads, args.resume)
    except TrainerFailed as exc:
        print(f"tunelab: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    end_job(main())
