"""Simple baselines: how well does the obvious thing do on the study's own periods?

Three forecasts, fitted on each period's training window and scored on its validation (and test)
window with the examples, scaling and metrics the study's runs use (tunelab.data.windows; MSE on the
scaled target, MAE in target units), so a trial's objective can be read against them:
- persistence: the target's last value in the input window (a missing last value is the training
  mean, as the models see it);
- training mean: the mean of the training labels;
- linear: least squares on the whole lag window (every input at every lag, plus an intercept).

numpy only (pandas for the table file): `baselines.csv` has one row per baseline and period and one
per baseline with period `all` (the mean over periods), like trials.csv.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from tunelab.data.windows import PeriodData, Prepared, Split, as_prepared, period_data

BASELINES = ("persistence", "training_mean", "linear")
COLUMNS = ["study", "baseline", "period", "valid_mse", "valid_mae", "test_mse", "test_mae",
           "period_std", "worst_period", "train_examples", "valid_examples"]


def persistence(split: Split) -> np.ndarray:
    """The target's value at the last input step (column 0 is the target's scaled history)."""
    return split.x[:, -1, 0].astype(np.float64)


def training_mean(train: Split, split: Split) -> np.ndarray:
    return np.full(len(split), float(np.mean(train.y)) if len(train) else 0.0)


def design(split: Split) -> np.ndarray:
    """The flattened lag window with an intercept column."""
    flat = split.x.reshape(len(split), -1).astype(np.float64)
    return np.hstack([flat, np.ones((len(split), 1))])


def fit_linear(train: Split) -> np.ndarray:
    """Least squares (minimum norm where inputs are collinear, e.g. a constant feature)."""
    coef, *_ = np.linalg.lstsq(design(train), train.y.astype(np.float64), rcond=None)
    return coef


def predict_linear(coef: np.ndarray, split: Split) -> np.ndarray:
    return design(split) @ coef


def score(pred: np.ndarray, split: Split | None, target_std: float) -> dict:
    """The runs' metrics: MSE on the scaled target, MAE in target units."""
    if split is None or len(split) == 0:
        return {"mse": math.nan, "mae": math.nan}
    err = pred - split.y.astype(np.float64)
    return {"mse": float(np.mean(err * err)), "mae": float(np.mean(np.abs(err))) * target_std}


def period_baselines(data: PeriodData) -> dict[str, dict]:
    """{baseline: {valid_mse, valid_mae, test_mse, test_mae}} for one period."""
    coef = fit_linear(data.train)
    predictors = {
        "persistence": persistence,
        "training_mean": lambda split: training_mean(data.train, split),
        "linear": lambda split: predict_linear(coef, split),
    }
    out = {}
    for name, predict in predictors.items():
        row = {}
        for part in ("valid", "test"):
            split = getattr(data, part)
            pred = predict(split) if split is not None and len(split) else None
            result = score(pred, split, data.target_std) if pred is not None else \
                {"mse": math.nan, "mae": math.nan}
            row[f"{part}_mse"], row[f"{part}_mae"] = result["mse"], result["mae"]
        out[name] = row
    return out


def baseline_rows(study: str, data_by_period: dict[str, PeriodData]) -> list[dict]:
    """Rows of baselines.csv: per baseline and period, then per baseline over periods ('all')."""
    rows = []
    for period, data in data_by_period.items():
        for name, metrics in period_baselines(data).items():
            rows.append({"study": study, "baseline": name, "period": period, **metrics,
                         "train_examples": len(data.train), "valid_examples": len(data.valid)})
    for name in BASELINES:
        mine = [r for r in rows if r["baseline"] == name and r["period"] != "all"]
        if not mine:
            continue
        summary = {"study": study, "baseline": name, "period": "all"}
        for key in ("valid_mse", "valid_mae", "test_mse", "test_mae"):
            summary[key] = float(np.mean([r[key] for r in mine]))
        mses = [r["valid_mse"] for r in mine]
        summary["period_std"] = float(np.std(mses, ddof=1)) if len(mses) > 1 else 0.0
        summary["worst_period"] = float(np.max(mses))
        summary["train_examples"] = sum(r["train_examples"] for r in mine)
        summary["valid_examples"] = sum(r["valid_examples"] for r in mine)
        rows.append(summary)
    return rows


def baselines_file(prepared: str | Prepared, study: str, windows: dict[str, dict], lags: int, horizon: int,
                   output: str) -> list[dict]:
    """The simple baselines, in the sanity job (tunelab.sanity.checks): the prepared data and the
    plan's periods -> baselines.csv. `prepared`: the prepared file's path, or its data loaded."""
    from tunelab.io import write_csv

    data = as_prepared(prepared)
    by_period = {pid: period_data(data, w, lags, horizon) for pid, w in windows.items()}
    rows = baseline_rows(study, by_period)
    write_csv(output, [{k: _fmt(v) for k, v in r.items()} for r in rows], COLUMNS)
    for r in rows:
        if r["period"] == "all":
            print(f"{r['baseline']:>14}: valid_mse {r['valid_mse']:.4g}, valid_mae {r['valid_mae']:.4g}")
    return rows


def _fmt(value):
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"  # empty, like the other tables
    return value


# --- for the leaderboard and the report ---------------------------------------------------------


def read_baselines(path: str | Path):
    """baselines.csv as a DataFrame (None if it does not exist yet)."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        return None
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def baseline_summary(baselines, objective: str = "valid_mse"):
    """One row per baseline over all periods: baseline, objective_mean, period_std, worst_period.

    `baselines` is a DataFrame or a path to baselines.csv. The columns match the leaderboard's, so a
    report can put the rows under it.
    """
    import pandas as pd

    frame = baselines if isinstance(baselines, pd.DataFrame) or baselines is None \
        else read_baselines(baselines)
    if frame is None or frame.empty:
        return pd.DataFrame(columns=["baseline", "objective_mean", "period_std", "worst_period"])
    rows = frame[frame["period"] == "all"].copy()
    rows["objective_mean"] = rows[objective]
    per = frame[frame["period"] != "all"].groupby("baseline")[objective]
    if len(frame[frame["period"] != "all"]):  # spread and worst period of this objective
        rows["period_std"] = rows["baseline"].map(per.std().fillna(0.0))
        rows["worst_period"] = rows["baseline"].map(per.max())
    for col in ("period_std", "worst_period"):
        if col not in rows:
            rows[col] = np.nan
    order = {name: i for i, name in enumerate(BASELINES)}
    rows = rows.sort_values("baseline", key=lambda s: s.map(order))
    return rows[["baseline", "objective_mean", "period_std", "worst_period"]].reset_index(drop=True)


def baselines_markdown(baselines, objective: str = "valid_mse", best: float | None = None) -> str:
    """A Markdown table of the simple baselines, for report.md; `best`: the best trial's objective,
    to say how much the study beats the obvious thing by."""
    summary = baseline_summary(baselines, objective)
    if summary.empty:
        return "_No simple baselines yet (results/<study>/baselines.csv)._\n"
    lines = [f"Simple baselines on the same periods ({objective}; lower is better):", "",
             f"| baseline | {objective} (mean over periods) | worst period | std over periods |",
             "|---|---:|---:|---:|"]
    for r in summary.itertuples():
        lines.append(f"| {r.baseline.replace('_', ' ')} | {r.objective_mean:.4g} | {r.worst_period:.4g} "
                     f"| {r.period_std:.4g} |")
    if best is not None and math.isfinite(best):
        top = summary.loc[summary["objective_mean"].idxmin()]
        gain = (top["objective_mean"] - best) / top["objective_mean"] if top["objective_mean"] else math.nan
        verdict = "better" if best < top["objective_mean"] else "NOT better"
        lines += ["", f"The best trial ({best:.4g}) is {verdict} than the best simple baseline, "
                  f"{top['baseline'].replace('_', ' ')} ({top['objective_mean']:.4g})"
                  + (f": {100 * gain:.1f}% lower." if verdict == "better" else ".")]
    return "\n".join(lines) + "\n"


def baseline_lines(baselines, objective: str = "valid_mse") -> list[str]:
    """Short lines for `tunelab status`, one per baseline."""
    summary = baseline_summary(baselines, objective)
    return [f"  {r.baseline.replace('_', ' '):>14}: {r.objective_mean:.4g}" for r in summary.itertuples()]
