"""The training command's side of tunelab's file contract (`trainer.command`), for Python scripts.

Standard library only: importing it costs a training script nothing. A script does

    from tunelab.train.job import Job

    job = Job.from_env()                        # the job tunelab runs this command for
    lr = job.hyperparameters["learning_rate"]
    for seed in job.seeds:
        train_rows = job.select("train", times)  # which of your rows lie in the train window
        ...
        job.report_epoch(seed, epoch, train_loss=..., valid_mse=...)   # one row of the curve
        job.finish(seed, best_epoch=7, valid_mse=..., valid_mae=..., test_mse=..., test_mae=...)

and exits 0 (`job.infeasible(seed, reason)` for a run that diverged: the study goes on).

The contract itself, for programs in any language (docs/how-to/training-command.md):

- `$TUNELAB_SPEC` names a JSON file: study, period, windows ({train, valid, test}: [start, end)
  ISO dates), trial, hyperparameters, seeds, task ({horizon, lags}), device, objective, data (the
  prepared Parquet file of the study's dataset: a `time` column, the target, the features with
  categories one-hot, `<target>__missing`, and `segment`, which changes across a gap in time),
  target and inputs (its column names: the target's history first), threads, budget (the epochs
  to train to: a rung's budget, else the `epochs` hyperparameter, else null), state_dir and
  resume_from (below).
- The program writes under `$TUNELAB_OUTPUT`:
  `seed-<seed>.json` per seed, last: {"status": "ok" | "infeasible", "reason", "best_epoch",
  "epochs_run", "valid_mse", "valid_mae", "test_mse", "test_mae", "done"}; errors in the target's
  own units, measured at the best epoch, chosen on validation alone. The study's objective is
  required for an ok run; the rest may be left out.
  `epochs.jsonl` (optional): one JSON object per line and epoch: {"seed", "epoch", "train_loss",
  "valid_mse", "valid_mae", "lr", "time"} (the curves).
  `read.json` (optional): what the program read of each window, {part: {"first", "last",
  "rows"}}; `tunelab check-trainer` compares it with the windows given.
  `models/` (optional): any files; tunelab keeps them as the block's models.pt (a tar archive).
- `$TUNELAB_STATE` (set when the job is a rung and `trainer.resume` is true): a folder for the
  state the next rung continues from; `$TUNELAB_RESUME_FROM`: the previous rung's state folder,
  or empty for a run from scratch.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

SPEC_ENV, OUTPUT_ENV, STATE_ENV, RESUME_ENV = ("TUNELAB_SPEC", "TUNELAB_OUTPUT", "TUNELAB_STATE",
                                               "TUNELAB_RESUME_FROM")
EPOCHS_FILE, READ_FILE, MODELS_DIR = "epochs.jsonl", "read.json", "models"
CURVE_FIELDS = ("train_loss", "valid_mse", "valid_mae", "lr", "time")
RESULT_FIELDS = ("valid_mse", "valid_mae", "test_mse", "test_mae")


def seed_file(seed: int) -> str:
    return f"seed-{seed}.json"


class Job:
    """One training job as the command sees it: its spec, and the writers of its results."""

    def __init__(self, spec: dict, output: str | Path):
        self.spec = spec
        self.output = Path(output)
        self.output.mkdir(parents=True, exist_ok=True)
        self._read: dict[str, dict] = {}

    @classmethod
    def from_env(cls) -> Job:
        """The job tunelab started this process for ($TUNELAB_SPEC, $TUNELAB_OUTPUT)."""
        missing = [name for name in (SPEC_ENV, OUTPUT_ENV) if not os.environ.get(name)]
        if missing:
            raise SystemExit(f"{missing[0]} is not set: this program is run by tunelab as a study's "
                             "trainer.command (snakemake, or tunelab check-trainer)")
        spec = json.loads(Path(os.environ[SPEC_ENV]).read_text(encoding="utf-8"))
        return cls(spec, os.environ[OUTPUT_ENV])

    # -- what the job is -------------------------------------------------------------------------
    hyperparameters = property(lambda self: dict(self.spec["hyperparameters"]))
    seeds = property(lambda self: list(self.spec["seeds"]))
    windows = property(lambda self: dict(self.spec["windows"]))
    task = property(lambda self: dict(self.spec["task"]))
    data = property(lambda self: self.spec["data"])  # the prepared Parquet file
    target = property(lambda self: self.spec["target"])  # its target column
    inputs = property(lambda self: list(self.spec["inputs"]))  # the target's history, then features
    budget = property(lambda self: self.spec.get("budget"))  # epochs to train to, or None
    threads = property(lambda self: int(self.spec.get("threads", 1)))
    device = property(lambda self: self.spec.get("device", "cpu"))

    @property
    def state_dir(self) -> Path | None:
        """Where to save the state the next rung resumes from (None: nothing to save)."""
        return Path(self.spec["state_dir"]) if self.spec.get("state_dir") else None

    @property
    def resume_from(self) -> Path | None:
        """The previous rung's state folder to continue from, or None: train from scratch."""
        return Path(self.spec["resume_from"]) if self.spec.get("resume_from") else None

    # -- what the job read ----------------------------------------------------------------------
    def select(self, part: str, times: Iterable) -> list[bool]:
        """For each time (datetime, numpy/pandas timestamp or ISO text), whether it lies in the
        `part` window ([start, end)); the rows selected are recorded in read.json."""
        start, end = (_iso(w) for w in self.windows[part])
        stamps = [_iso(t) for t in times]
        mask = [start <= s < end for s in stamps]
        chosen = [s for s, m in zip(stamps, mask, strict=True) if m]
        self.record_read(part, min(chosen, default=None), max(chosen, default=None), len(chosen))
        return mask

    def record_read(self, part: str, first, last, rows: int) -> None:
        """Record what the program read of a window (first and last time, row count)."""
        self._read[part] = {"first": None if first is None else _iso(first),
                            "last": None if last is None else _iso(last), "rows": int(rows)}
        _write_json(self.output / READ_FILE, self._read)

    # -- what the job reports -------------------------------------------------------------------
    def report_epoch(self, seed: int, epoch: int, **values: float) -> None:
        """One epoch (or boosting round) of a seed's run: a row of its curve."""
        unknown = sorted(set(values) - set(CURVE_FIELDS))
        if unknown:
            raise ValueError(f"report_epoch: unknown field {unknown[0]!r}; known: {', '.join(CURVE_FIELDS)}")
        row = {"seed": int(seed), "epoch": int(epoch), **{k: _number(v) for k, v in values.items()}}
        with open(self.output / EPOCHS_FILE, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")

    def finish(self, seed: int, *, best_epoch: int, epochs_run: int | None = None,
               done: bool | None = None, **results: float) -> None:
        """A seed's run is over: its metrics at the best epoch, in the target's units."""
        unknown = sorted(set(results) - set(RESULT_FIELDS))
        if unknown:
            raise ValueError(f"finish: unknown field {unknown[0]!r}; known: {', '.join(RESULT_FIELDS)}")
        record = {"seed": int(seed), "status": "ok", "reason": "", "best_epoch": int(best_epoch),
                  **{k: _number(v) for k, v in results.items()}}
        if epochs_run is not None:
            record["epochs_run"] = int(epochs_run)
        if done is not None:
            record["done"] = bool(done)
        _write_json(self.output / seed_file(seed), record)

    def infeasible(self, seed: int, reason: str, epochs_run: int = 0) -> None:
        """A run that cannot give a result (it diverged): infeasible, and the study goes on."""
        _write_json(self.output / seed_file(seed), {"seed": int(seed), "status": "infeasible",
                                                    "reason": str(reason), "epochs_run": int(epochs_run)})

    def model_dir(self, seed: int) -> Path:
        """A folder for seed's model files (kept as the block's models.pt)."""
        path = self.output / MODELS_DIR / f"seed-{seed}"
        path.mkdir(parents=True, exist_ok=True)
        return path


def _iso(t) -> str:
    """A time as comparable ISO text ('2012-01-01 05:00:00')."""
    if isinstance(t, str):
        text = t
    elif hasattr(t, "isoformat"):
        text = t.isoformat()
    else:  # numpy.datetime64 and the like
        text = str(t)
    return text.replace("T", " ")


def _number(value) -> float | None:
    return None if value is None else float(value)


def _write_json(path: Path, obj) -> None:
    """Write through a temporary file: a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(obj, f, allow_nan=True)
    os.replace(tmp, path)
