"""A search space's hyperparameter as an Optuna distribution, and a trials.csv cell as its value:
for the in-memory Optuna studies the analysis builds (importance) and the dashboard journal."""

from __future__ import annotations


def distribution(info: dict):
    import optuna.distributions as d

    if info["kind"] == "categorical":
        return d.CategoricalDistribution(list(info["points"]))
    if info["kind"] == "integer":
        return d.IntDistribution(int(info["low"]), int(info["high"]), log=info["scaling"] == "log")
    return d.FloatDistribution(float(info["low"]), float(info["high"]), log=info["scaling"] == "log")


def param_value(info: dict, value):
    """A trials.csv cell as the distribution wants it (pandas reads an int column with gaps as float)."""
    if info["kind"] == "categorical":
        return next(p for p in info["points"] if p == value or str(p) == str(value))
    return int(value) if info["kind"] == "integer" else float(value)
