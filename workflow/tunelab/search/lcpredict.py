"""Learning-curve prediction: a run's final best validation loss from its first k epochs.

The model is deliberately simple and honest (Domhan et al. 2015 use an ensemble of such families):
the best-so-far validation curve y(t) (the running minimum, which is what the objective measures)
is fitted by least squares with a power law a + b*t^-c or an exponential decay a + b*exp(-c*t),
b >= 0 and c > 0, whichever fits better; for each c on a grid, a and b are a linear least-squares
solution, so the fit has no optimiser to tune and no starting point to choose. The prediction is the
fitted curve at the full budget T, never above the best loss seen so far nor below 0. With fewer
than three epochs there is nothing to fit: no prediction (NaN), and stop_hopeless stops nothing.

A trial's prediction is the mean over its runs (periods x seeds, like its objective), and its
uncertainty is the spread of its runs' predictions across seeds (pooled over periods), on the same
scale as the retrain noise it is compared with. `accuracy` measures it against outcomes: Spearman
rank correlation, and the false-stop rate of the stop_hopeless rule.

numpy only: promotion jobs use it, and they stay light.
"""

from __future__ import annotations

import math

import numpy as np

POWER_C = np.geomspace(0.05, 4.0, 48)  # t^-c
EXP_C = np.geomspace(0.01, 3.0, 48)  # exp(-c t)


def fit_curve(values: list[float]) -> dict | None:
    """Least-squares fit of the running minimum of `values` (epochs 1..k); None if k < 3."""
    y = np.minimum.accumulate(np.asarray(values, float))
    if len(y) < 3 or not np.isfinite(y).all():
        return None
    t = np.arange(1, len(y) + 1, dtype=float)
    fits = []
    for family, grid in (("power", POWER_C), ("exp", EXP_C)):
        coarse = _best_c(family, grid, t, y)
        if coarse is None:
            continue
        i = int(np.searchsorted(grid, coarse["c"]))  # then a fine grid between its neighbours
        fine = np.geomspace(grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)], 41)
        fits.append(_best_c(family, fine, t, y) or coarse)
    return min(fits, key=lambda f: f["sse"]) if fits else None


def _best_c(family: str, grid, t: np.ndarray, y: np.ndarray) -> dict | None:
    """For each decay rate c of `grid`: a and b by linear least squares (b >= 0); the best fit."""
    best = None
    for c in grid:
        f = t ** -c if family == "power" else np.exp(-c * t)
        (a, b), *_ = np.linalg.lstsq(np.column_stack([np.ones_like(t), f]), y, rcond=None)
        if b < 0:  # a rising curve: not this family's shape
            continue
        sse = float(((a + b * f - y) ** 2).sum())
        if best is None or sse < best["sse"] - 1e-15:
            best = {"family": family, "a": float(a), "b": float(b), "c": float(c), "sse": sse}
    return best


def curve_value(fit: dict, epoch: float) -> float:
    f = epoch ** -fit["c"] if fit["family"] == "power" else math.exp(-fit["c"] * epoch)
    return fit["a"] + fit["b"] * f


def predict_best(values: list[float], full_epochs: int) -> float:
    """The run's best validation loss at `full_epochs`, predicted from `values` (its first epochs)."""
    finite = [v for v in values if math.isfinite(v)]
    if not values or len(finite) < len(values):
        return float("nan")  # a diverged run has no future
    seen = min(finite)
    if len(values) >= full_epochs:
        return seen
    fit = fit_curve(values)
    if fit is None:
        return float("nan")
    return float(min(seen, max(curve_value(fit, full_epochs), 0.0)))


def predict_trials(curves: dict[str, dict[str, list[list[float]]]], full_epochs: int) -> dict[str, dict]:
    """{trial: {period: [curve of each seed]}} -> {trial: {predicted, predicted_std}}."""
    out = {}
    for trial, periods in curves.items():
        means, variances = [], []
        for runs in periods.values():
            p = [predict_best(c, full_epochs) for c in runs]
            means.append(float(np.mean(p)))
            variances.append(float(np.var(p, ddof=1)) if len(p) > 1 else 0.0)
        ok = all(math.isfinite(m) for m in means)
        out[trial] = {"predicted": float(np.mean(means)) if ok else float("nan"),
                      "predicted_std": math.sqrt(float(np.mean(variances))) if ok else float("nan")}
    return out


def spearman(x, y) -> float:
    """Spearman's rank correlation of the pairs where both are finite (ties: average ranks): the
    float `scipy.stats.spearmanr` gives (its correlation of the ranks as columns, to the bit),
    without importing scipy.stats (0.5 s)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = np.isfinite(x) & np.isfinite(y)
    if keep.sum() < 3:
        return float("nan")
    rx, ry = _ranks(x[keep]), _ranks(y[keep])
    if rx.std() == 0 or ry.std() == 0:
        return float("nan")
    return float(np.corrcoef(np.column_stack((rx, ry)), rowvar=False)[1, 0])


def _ranks(v: np.ndarray) -> np.ndarray:
    order = np.argsort(v, kind="stable")
    ranks = np.empty(len(v))
    ranks[order] = np.arange(len(v), dtype=float)
    for value in np.unique(v):  # ties share their average rank
        same = v == value
        ranks[same] = ranks[same].mean()
    return ranks


def accuracy(predicted, outcome, stopped) -> dict:
    """Rank correlation of prediction and outcome; of the trials a rule stopped, how many ended in
    the best third of outcomes (false stops) and that share (the false-stop rate)."""
    predicted, outcome = np.asarray(predicted, float), np.asarray(outcome, float)
    stopped = np.asarray(stopped, bool)
    known = np.isfinite(outcome)
    cut = np.sort(outcome[known])[max(math.ceil(known.sum() / 3) - 1, 0)] if known.any() else np.nan
    false = int((stopped & known & (outcome <= cut)).sum())
    n_stopped = int((stopped & known).sum())
    return {"spearman": spearman(predicted, outcome), "pairs": int((known & np.isfinite(predicted)).sum()),
            "stopped": n_stopped, "false_stops": false,
            "false_stop_rate": false / n_stopped if n_stopped else 0.0}
