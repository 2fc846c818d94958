"""Hand-made study tables where the right answer is known: runs, trials, curves and a context.

Runs are built in the layout of runs.csv and summarised with the real `tunelab.collect.summarise`,
so the analysis sees exactly what the pipeline would give it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from tunelab.analysis.study_context import make_context
from tunelab.collect import summarise

PERIODS = ("v2020-03", "v2020-06")
LR = {"role": "nuisance", "kind": "continuous", "low": 1.0e-4, "high": 1.0e-1, "scaling": "log",
      "points": []}
WD = {"role": "nuisance", "kind": "continuous", "low": 1.0e-6, "high": 1.0e-2, "scaling": "log",
      "points": []}
DROPOUT = {"role": "nuisance", "kind": "continuous", "low": 0.0, "high": 0.5, "scaling": "linear",
           "points": []}
WIDTH = {"role": "scientific", "kind": "categorical", "low": None, "high": None, "scaling": "linear",
         "points": [16, 64]}


def periods_frame(tests=(("2020-04-01T00:00:00", "2020-05-01T00:00:00"), ("", ""))) -> pd.DataFrame:
    """periods.csv of PERIODS (rotation month 2026-11); `tests`: each period's test window."""
    return pd.DataFrame({
        "period": list(PERIODS), "month": ["2026-11"] * 2,
        "train_start": ["2019-12-01T00:00:00", "2020-03-01T00:00:00"],
        "train_end": ["2020-03-01T00:00:00", "2020-06-01T00:00:00"],
        "valid_start": ["2020-03-01T00:00:00", "2020-06-01T00:00:00"],
        "valid_end": ["2020-04-01T00:00:00", "2020-07-01T00:00:00"],
        "test_start": [t[0] for t in tests], "test_end": [t[1] for t in tests]})


def tid(i: int) -> str:
    return f"t{i:08x}"


def context(space: dict | None = None, **overrides) -> dict:
    """A per-scientific study over learning_rate and weight_decay for hidden_size 16 and 64."""
    space = space or {"learning_rate": LR, "weight_decay": WD, "hidden_size": WIDTH}
    settings = {"space": space,
                "scientific": [n for n, i in space.items() if i["role"] == "scientific"],
                "nuisance": [n for n, i in space.items() if i["role"] == "nuisance"],
                "seeds": 3, "confirm_seeds": 5, "month": "2026-11",
                "question": "Is a wider MLP better?"}
    return make_context(**{**settings, **overrides})


def trial(i: int, mean, std: float = 0.01, group: str = "", infeasible=(), **values) -> dict:
    """One trial: `mean` is a number or {period: number}; `infeasible`: (period, seed) pairs, or
    True for every run."""
    return {"trial": tid(i), "group": group, "mean": mean, "std": std, "infeasible": infeasible,
            "values": values}


def runs_frame(trials: list[dict], periods=PERIODS, seeds=(0, 1, 2), rng: int = 0,
               exact: bool = True) -> pd.DataFrame:
    """runs.csv rows. With `exact`, each trial's seeds sit at mean + std * (-1, 0, 1)-like offsets
    (sample mean and std are then exactly `mean` and `std`); else they are drawn at random."""
    gen = np.random.default_rng(rng)
    offsets = _exact_offsets(len(seeds))
    rows = []
    for t in trials:
        for period in periods:
            mean = t["mean"][period] if isinstance(t["mean"], dict) else t["mean"]
            noise = offsets if exact else gen.standard_normal(len(seeds))
            for seed, z in zip(seeds, noise, strict=True):
                bad = t["infeasible"] is True or (t["infeasible"] is not False
                                                  and (period, seed) in set(t["infeasible"]))
                rows.append({
                    "study": "hand", "period": period, "trial": t["trial"], "group": t["group"],
                    "seed": seed, "status": "infeasible" if bad else "ok",
                    "reason": "train loss became nan at epoch 2, step 3" if bad else "",
                    "valid_mse": np.nan if bad else mean + t["std"] * z,
                    "valid_mae": np.nan if bad else 10 * (mean + t["std"] * z),
                    "best_epoch": 5, "epochs_run": 10, "train_time": 0.1,
                    "train_examples": 1000, "valid_examples": 200, **t["values"],
                })
    return pd.DataFrame(rows)


def _exact_offsets(n: int) -> np.ndarray:
    """n numbers with mean 0 and sample std 1."""
    if n == 1:
        return np.zeros(1)
    z = np.linspace(-1, 1, n)
    return z / z.std(ddof=1)


def tables(trials: list[dict], **kwargs) -> tuple[pd.DataFrame, pd.DataFrame]:
    runs = runs_frame(trials, **kwargs)
    return runs, summarise(runs, "valid_mse")


def curve(shape: str, epochs: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """(train, valid) loss per epoch, with a known shape."""
    e = np.arange(1, epochs + 1, dtype=float)
    train = 0.3 + 0.7 * np.exp(-e / 4)
    if shape == "healthy":  # both fall; validation flattens before the end and stays there
        valid = 0.5 + 0.5 * np.exp(-e / 2.5)
    elif shape == "overfit":  # validation best at epoch 6, then rises far above it; train falls
        valid = 0.5 + 0.003 * (e - 6) ** 2
    elif shape == "still_improving":  # still falling steeply at the last epoch
        valid = 0.4 + (1 - e / (epochs + 5))
    elif shape == "saturated":  # at its floor by epoch 3, then flat (a hair worse) to the end
        valid = 0.5 + 0.5 * np.exp(-2.0 * e) + 1e-5 * e
    elif shape == "noisy":  # falls, then jumps by ~10% from epoch to epoch in the second half
        valid = 0.5 + 0.5 * np.exp(-e / 2.5) + 0.05 * np.where(e % 2 == 0, 1.0, -1.0) * (e > epochs / 2)
    else:
        raise ValueError(shape)
    return train, valid


def curves_frame(shapes: dict[str, str], periods=PERIODS, seeds=(0, 1, 2), epochs: int = 20
                 ) -> pd.DataFrame:
    """curves.parquet rows: trial id -> shape, the same for every period and seed."""
    rows = []
    for trial_id, shape in shapes.items():
        train, valid = curve(shape, epochs)
        for period in periods:
            for seed in seeds:
                for k in range(epochs):
                    rows.append({"period": period, "trial": trial_id, "seed": seed, "epoch": k + 1,
                                 "train_loss": train[k], "train_loss_std": 0.1,
                                 "valid_loss": valid[k], "lr": 1e-3, "grad_norm": 1.0,
                                 "param_norm": 1.0, "time": 0.1 * k})
    return pd.DataFrame(rows)
