"""A training command of the kind a user writes (trainer.command), for the tests: a linear
forecaster on lagged values, trained by minibatch SGD in numpy, through tunelab.train.job.

It reports one curve row per epoch, keeps its best epoch on validation, and resumes a rung from
the state it saved (weights, best epoch so far): exactly, because each epoch's batch order is
drawn from (seed, epoch). Its first argument breaks one promise on purpose, for check-trainer:
  nondeterministic  the weights start from the clock, not the seed
  inexact-resume    a resumed run restarts its learning rate schedule
  diverge           every run is infeasible (a diverged run)
  fail              exits 3 after printing a few lines
  malformed         writes a valid_mse that is not a number
  no-state          saves no state for the next rung
"""

import json
import sys
import time

import numpy as np
import pyarrow.parquet as pq
from tunelab.train.job import Job

BROKEN = sys.argv[1] if len(sys.argv) > 1 else ""


def features(job: Job):
    """(times, x, y): the target's `lags` last values, `horizon` steps before each label."""
    # A study whose dataset is a span gives no data: the program reads its own (here, a file).
    table = pq.read_table(job.data or "own.parquet")
    times = table.column("time").to_numpy()
    target = table.column(job.target or "load").to_numpy(zero_copy_only=False).astype(float)
    lags, horizon = job.task["lags"], job.task["horizon"]
    filled = np.nan_to_num(target, nan=float(np.nanmean(target)))
    rows = np.arange(lags + horizon - 1, len(target))
    x = np.stack([filled[rows - horizon - k] for k in range(lags)], axis=1)
    ok = ~np.isnan(target[rows])
    return times[rows][ok], x[ok], target[rows][ok]


def split(job: Job, times, x, y):
    parts = {}
    for part in ("train", "valid", "test"):
        mask = np.array(job.select(part, times))
        parts[part] = (x[mask], y[mask])
    mean, std = parts["train"][0].mean(0), parts["train"][0].std(0) + 1e-9
    return {k: ((v[0] - mean) / std, v[1]) for k, v in parts.items()}


def mse(w, data):
    x, y = data
    pred = x @ w[:-1] + w[-1]
    return float(np.mean((pred - y) ** 2)), float(np.mean(np.abs(pred - y)))


def start(job: Job, seed: int, inputs: int):
    """Fresh weights, or the previous rung's (weights, epochs done, best so far)."""
    saved = job.resume_from and job.resume_from / f"seed-{seed}.npz"
    if saved and saved.is_file():
        state = np.load(saved)
        return state["w"], int(state["epoch"]), json.loads(str(state["best"]))
    init = int(time.time_ns() % 2**31) if BROKEN == "nondeterministic" else seed
    return np.random.default_rng(init).normal(0, 0.1, inputs + 1), 0, None


def train_seed(job: Job, seed: int, parts: dict) -> None:
    hp = job.hyperparameters
    lr, epochs, batch = float(hp["learning_rate"]), int(hp["epochs"]), int(hp.get("batch_size", 64))
    w, done, best = start(job, seed, parts["train"][0].shape[1])
    first = done if BROKEN == "inexact-resume" else 0  # the schedule runs over the whole run
    stop = job.budget or epochs
    x, y = parts["train"]
    for epoch in range(done + 1, stop + 1):
        order = np.random.default_rng([seed, epoch]).permutation(len(y))
        step = lr * 0.5 ** ((epoch - 1 - first) // 2)  # halved every 2 epochs
        for i in range(0, len(y), batch):
            b = order[i:i + batch]
            err = x[b] @ w[:-1] + w[-1] - y[b]
            w = w - step * np.append(x[b].T @ err, err.sum()) * 2 / len(b)
        train, valid = mse(w, parts["train"])[0], mse(w, parts["valid"])
        job.report_epoch(seed, epoch, train_loss=train, valid_mse=valid[0], valid_mae=valid[1], lr=step)
        if best is None or valid[0] < best["valid_mse"]:
            test = mse(w, parts["test"])
            best = {"epoch": epoch, "valid_mse": valid[0], "valid_mae": valid[1], "test_mse": test[0],
                    "test_mae": test[1]}
    if job.state_dir and BROKEN != "no-state":
        np.savez(job.state_dir / f"seed-{seed}.npz", w=w, epoch=stop, best=json.dumps(best))
    if BROKEN == "diverge" or not np.isfinite(best["valid_mse"]):
        return job.infeasible(seed, "the loss diverged", epochs_run=stop)
    np.save(job.model_dir(seed) / "weights.npy", w)
    job.finish(seed, best_epoch=best["epoch"], epochs_run=stop, valid_mse=best["valid_mse"],
               valid_mae=best["valid_mae"], test_mse=best["test_mse"], test_mae=best["test_mae"])
    if BROKEN == "malformed":
        (job.output / f"seed-{seed}.json").write_text(json.dumps({"best_epoch": 1, "valid_mse": "n/a"}))


def main() -> None:
    job = Job.from_env()
    if BROKEN == "fail":
        print("loading the data\nsomething went wrong: out of cheese", flush=True)
        sys.exit(3)
    parts = split(job, *features(job))
    for seed in job.seeds:
        train_seed(job, seed, parts)


if __name__ == "__main__":
    main()
