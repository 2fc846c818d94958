"""A LightGBM regressor trained by a command of your own (params/command_lgbm.yaml).

tunelab runs `python examples/lightgbm/train_lgbm.py` once per training job; this script reads the
job (tunelab.train.job.Job: the period's windows, the trial's hyperparameters, the seeds), builds
lag features from the prepared data, trains one booster per seed and reports, per boosting round,
a row of the training curve, then each seed's metrics at its best round on validation.

Boosting rounds are the fidelity: `epochs` is the number of rounds, and a successive-halving rung
trains to its budget, saves the booster, and the next rung continues from it (`init_model`).
Continuing equals training straight through only without feature sampling: with
`feature_fraction` below 1 LightGBM restarts its feature draws at `init_model`, so such a rung
retrains from round 1 instead, and a promoted trial's results are still the uninterrupted run's
(`tunelab check-trainer command_lgbm` checks it).
"""

import json

import lightgbm as lgb
import numpy as np
import pandas as pd
from tunelab.train.job import Job

TREE_KEYS = ("num_leaves", "learning_rate", "min_data_in_leaf", "feature_fraction", "lambda_l2",
             "max_depth")


def lag_features(job: Job) -> tuple[pd.Series, pd.DataFrame, pd.Series]:
    """(time, x, y): each label's inputs are the `lags` hours that end `horizon` hours before it,
    within one gap-free segment of the data."""
    data = pd.read_parquet(job.data)
    lags, horizon = job.task["lags"], job.task["horizon"]
    by_segment = data.groupby("segment", sort=False)
    columns = {}
    for name in job.inputs:
        for k in range(lags):
            columns[f"{name}_lag{horizon + k}"] = by_segment[name].shift(horizon + k)
    x = pd.DataFrame(columns)
    keep = data[job.target].notna() & x[f"{job.target}_lag{horizon + lags - 1}"].notna()
    return data["time"][keep], x[keep], data[job.target][keep]


def booster_params(job: Job, seed: int) -> dict:
    hp = job.hyperparameters
    params = {k: hp[k] for k in TREE_KEYS if k in hp}
    return {"objective": "regression", "verbosity": -1, "seed": seed, "deterministic": True,
            "force_row_wise": True, "num_threads": job.threads,
            "metric": ["l2", "l1"], **params}


def continues_exactly(job: Job) -> bool:
    """Whether a booster continued from a saved one equals one trained straight through: not with
    feature sampling, whose random draws LightGBM restarts at `init_model`."""
    return float(job.hyperparameters.get("feature_fraction", 1.0)) >= 1.0


def saved_state(job: Job, seed: int) -> tuple[str | None, list[dict]]:
    """The previous rung's booster file and its curve so far, or (None, []) for a run from round 1:
    a fresh run, or one that would not continue exactly."""
    folder = job.resume_from
    if folder is None or not (folder / f"seed-{seed}.txt").is_file() or not continues_exactly(job):
        return None, []
    return str(folder / f"seed-{seed}.txt"), json.loads((folder / f"seed-{seed}.json").read_text())


def train_seed(job: Job, seed: int, parts: dict) -> None:
    rounds = job.budget or int(job.hyperparameters["epochs"])
    init_model, curve = saved_state(job, seed)
    done = len(curve)
    train = lgb.Dataset(*parts["train"], free_raw_data=False)
    valid = lgb.Dataset(*parts["valid"], reference=train)
    evals: dict = {}
    booster = lgb.train(booster_params(job, seed), train, num_boost_round=rounds - done,
                        valid_sets=[train, valid], valid_names=["train", "valid"], init_model=init_model,
                        keep_training_booster=True, callbacks=[lgb.record_evaluation(evals)])
    for i, (loss, mse, mae) in enumerate(zip(evals["train"]["l2"], evals["valid"]["l2"],
                                             evals["valid"]["l1"], strict=True), done + 1):
        curve.append({"round": i, "train_loss": loss, "valid_mse": mse, "valid_mae": mae})
        job.report_epoch(seed, i, train_loss=loss, valid_mse=mse, valid_mae=mae,
                         lr=job.hyperparameters["learning_rate"])
    if job.state_dir:  # a rung: the next one continues from this booster
        booster.save_model(job.state_dir / f"seed-{seed}.txt")
        (job.state_dir / f"seed-{seed}.json").write_text(json.dumps(curve))
    finish(job, seed, booster, curve, parts)


def finish(job: Job, seed: int, booster: lgb.Booster, curve: list[dict], parts: dict) -> None:
    """The seed's metrics at its best round on validation, and its booster as the model."""
    best = min(curve, key=lambda r: r["valid_mse"])
    if not np.isfinite(best["valid_mse"]):
        return job.infeasible(seed, "the validation error is not finite", epochs_run=len(curve))
    x_test, y_test = parts["test"]
    error = booster.predict(x_test, num_iteration=best["round"]) - y_test.to_numpy()
    booster.save_model(job.model_dir(seed) / "booster.txt", num_iteration=best["round"])
    job.finish(seed, best_epoch=best["round"], epochs_run=len(curve), valid_mse=best["valid_mse"],
               valid_mae=best["valid_mae"], test_mse=float(np.mean(error ** 2)),
               test_mae=float(np.mean(np.abs(error))))


def main() -> None:
    job = Job.from_env()
    time, x, y = lag_features(job)
    parts = {}
    for part in ("train", "valid", "test"):
        rows = np.asarray(job.select(part, time.dt.strftime("%Y-%m-%d %H:%M:%S")))
        parts[part] = (x[rows], y[rows])
    for seed in job.seeds:
        train_seed(job, seed, parts)


if __name__ == "__main__":
    main()
