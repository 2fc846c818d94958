"""The problems of benchmarks/adaptive_suite.py: each a search space of tunelab Hyperparameters and an
`evaluate(values, seed) -> row`, the row shaped as tunelab.collect.group_history gives it to the
adaptive phase ({trial, values, feasible, objective, var}) plus `true`, the value the table reports
for the trial a search would pick (the noiseless value where the problem has noise).

- hartmann6: Hartmann-6 (min -3.3224), each trial the mean of 2 "seeds" with noise sd 0.1;
- branin: Branin (min 0.3979) with noise sd 0.5 and 2 seeds; x1 + x2 > 14 diverges (infeasible);
- sgd_digits: scikit-learn's SGDClassifier (logistic loss, elastic net) on the digits data, 3-fold
  CV log loss (alpha, eta0 log-scaled, learning-rate schedule categorical, max_iter integer,
  l1_ratio); an SVC on digits was tried first and dropped: dozens of configurations tie at the best
  CV error, so every method "wins" equally;
- rf_digits: scikit-learn's RandomForestClassifier (16 trees, as Bayesmark's RF task fixes the tree
  count) on the digits data, 3-fold CV log loss (criterion categorical, max_features log-scaled,
  min_samples_split and min_samples_leaf integer (log), max_depth integer); chosen over an MLP on
  digits and HistGradientBoosting on breast_cancer because its good configurations differ by more
  than the folds' noise (docs/explanation/benchmarks.md);
- kernel_ridge_diabetes (not in the default suite): KernelRidge on the diabetes data, 3-fold CV MSE
  (alpha, gamma log-scaled, kernel categorical, degree integer, coef0);
- pm25: tunelab's own trainer on the embedded Beijing PM2.5 data (an MLP, 1 period, 2 seeds per
  trial; learning rate and weight decay log-scaled, optimizer categorical, hidden size integer).

The noise of a noisy problem is a function of (trial, search seed, seed): every method sees the
same observation of the same point, so paired comparisons compare the searches, not the draws.
Expensive evaluations are cached on disk (results/bench-cache/adaptive_suite/<problem>-<hash of its
settings>.jsonl) keyed by (values, seed): a rerun of the benchmark trains nothing it trained before.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import statistics
import sys
import warnings

from _common import PM25_DATASET, REPO

sys.path.insert(0, str(REPO / "workflow"))

from tunelab.search.plan import trial_id  # noqa: E402
from tunelab.study.space import parse_entry  # noqa: E402

CACHE = REPO / "results" / "bench-cache" / "adaptive_suite"


def space_of(entries: dict) -> dict:
    return {name: parse_entry(name, {"role": "nuisance", **e}) for name, e in entries.items()}


def row(values, observations, true=None):
    """One trial's row from its per-seed observations (None where a seed diverged)."""
    tid = trial_id("bench", values)
    ok = [o for o in observations if o is not None and math.isfinite(o)]
    if len(ok) < len(observations):
        return {"trial": tid, "values": values, "feasible": False, "objective": None, "var": None,
                "true": None}
    mean = statistics.fmean(ok)
    var = statistics.variance(ok) / len(ok) if len(ok) > 1 else 0.0
    return {"trial": tid, "values": values, "feasible": True, "objective": mean, "var": var,
            "true": mean if true is None else true}


def noise_rng(values, seed):
    import numpy as np

    key = f"{trial_id('bench', values)}:{seed}"
    return np.random.default_rng(int(hashlib.sha1(key.encode()).hexdigest()[:12], 16))


# --- synthetic -------------------------------------------------------------------------------

HARTMANN_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8],
              [17, 8, 0.05, 10, 0.1, 14]]
HARTMANN_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
              [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]
HARTMANN_ALPHA = [1.0, 1.2, 3.0, 3.2]


def hartmann6(x):
    total = 0.0
    for alpha, a, p in zip(HARTMANN_ALPHA, HARTMANN_A, HARTMANN_P, strict=True):
        total -= alpha * math.exp(-sum(ai * (xi - pi * 1e-4) ** 2 for ai, xi, pi in zip(a, x, p, strict=True)))
    return total


def branin(x1, x2):
    a, b, c, r, s, t = 1.0, 5.1 / (4 * math.pi ** 2), 5 / math.pi, 6.0, 10.0, 1 / (8 * math.pi)
    return a * (x2 - b * x1 ** 2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


class Hartmann6:
    name, title, minimum = "hartmann6", "Hartmann-6, noise sd 0.1, 2 seeds (noiseless value; min -3.32)", -3.3224
    space = space_of({f"x{i}": {"min": 0.0, "max": 1.0} for i in range(1, 7)})

    def evaluate(self, values, seed):
        true = hartmann6([values[f"x{i}"] for i in range(1, 7)])
        rng = noise_rng(values, seed)
        return row(values, [true + 0.1 * rng.standard_normal() for _ in range(2)], true)


class Branin:
    name, title, minimum = "branin", "Branin, noise sd 0.5, 2 seeds, x1 + x2 > 14 infeasible (min 0.398)", 0.3979
    space = space_of({"x1": {"min": -5.0, "max": 10.0}, "x2": {"min": 0.0, "max": 15.0}})

    def evaluate(self, values, seed):
        x1, x2 = values["x1"], values["x2"]
        if x1 + x2 > 14:
            return row(values, [None, None])
        true = branin(x1, x2)
        rng = noise_rng(values, seed)
        return row(values, [true + 0.5 * rng.standard_normal() for _ in range(2)], true)


# --- scikit-learn tuning tasks (deterministic 3-fold CV; the folds' spread is the known noise) ---

class Cached:
    """Evaluations on disk, keyed by (values, seed); one JSON line each (appends of whole lines)."""

    seeded = False  # whether the search seed changes an evaluation
    config: dict = {}  # what else an evaluation depends on: a change starts a new cache file

    def __init__(self):
        digest = hashlib.sha1(json.dumps(self.config, sort_keys=True).encode()).hexdigest()[:8]
        self.path = CACHE / f"{self.name}-{digest}.jsonl"
        self.memo = {}
        if self.path.exists():
            for line in self.path.read_text().splitlines():
                if line.strip():
                    entry = json.loads(line)
                    self.memo[entry["key"]] = entry["row"]

    def evaluate(self, values, seed):
        key = json.dumps([values, seed if self.seeded else 0], sort_keys=True)
        if key not in self.memo:
            self.memo[key] = self.compute(values, seed)
            CACHE.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a") as fh:
                fh.write(json.dumps({"key": key, "row": self.memo[key]}) + "\n")
        return self.memo[key]


def cv_row(values, model, X, y, scoring, offset=0.0, scale=1.0, stratified=False):
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

    folds = (StratifiedKFold if stratified else KFold)(3, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            scores = cross_val_score(model, X, y, cv=folds, scoring=scoring, error_score="raise")
        except (ValueError, ArithmeticError, MemoryError):  # an ill-posed fit: the trial "diverged"
            return row(values, [None])
    return row(values, [offset + scale * float(s) for s in scores])  # folds as seeds: their spread is the noise


class SgdDigits(Cached):
    name, title, minimum = "sgd_digits", "SGDClassifier (logistic) on digits, 3-fold CV log loss", None
    space = space_of({"alpha": {"min": 1.0e-7, "max": 1.0e-1, "scaling": "log"},
                      "eta0": {"min": 1.0e-4, "max": 1.0, "scaling": "log"},
                      "learning_rate": {"feasible_points": ["constant", "invscaling", "adaptive"]},
                      "max_iter": {"min": 5, "max": 40, "type": "int", "scaling": "log"},
                      "l1_ratio": {"min": 0.0, "max": 1.0}})

    def compute(self, values, seed):
        from sklearn.datasets import load_digits
        from sklearn.linear_model import SGDClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        X, y = load_digits(return_X_y=True)
        model = make_pipeline(StandardScaler(), SGDClassifier(
            loss="log_loss", penalty="elasticnet", alpha=values["alpha"], eta0=values["eta0"],
            learning_rate=values["learning_rate"], max_iter=values["max_iter"], l1_ratio=values["l1_ratio"],
            tol=None, random_state=0))
        return cv_row(values, model, X, y, "neg_log_loss", scale=-1.0, stratified=True)


class RandomForestDigits(Cached):
    name, title, minimum = "rf_digits", "RandomForestClassifier (16 trees) on digits, 3-fold CV log loss", None
    space = space_of({"criterion": {"feasible_points": ["gini", "entropy"]},
                      "max_features": {"min": 0.02, "max": 1.0, "scaling": "log"},
                      "min_samples_split": {"min": 2, "max": 64, "type": "int", "scaling": "log"},
                      "min_samples_leaf": {"min": 1, "max": 32, "type": "int", "scaling": "log"},
                      "max_depth": {"min": 2, "max": 24, "type": "int"}})

    def compute(self, values, seed):
        from sklearn.datasets import load_digits
        from sklearn.ensemble import RandomForestClassifier

        X, y = load_digits(return_X_y=True)
        model = RandomForestClassifier(
            n_estimators=16, criterion=values["criterion"], max_features=values["max_features"],
            min_samples_split=values["min_samples_split"], min_samples_leaf=values["min_samples_leaf"],
            max_depth=values["max_depth"], random_state=0, n_jobs=1)
        return cv_row(values, model, X, y, "neg_log_loss", scale=-1.0, stratified=True)


class KernelRidgeDiabetes(Cached):
    name, title, minimum = "kernel_ridge_diabetes", "KernelRidge on diabetes, 3-fold CV MSE", None
    space = space_of({"alpha": {"min": 1.0e-4, "max": 1.0e1, "scaling": "log"},
                      "gamma": {"min": 1.0e-3, "max": 1.0e1, "scaling": "log"},
                      "kernel": {"feasible_points": ["rbf", "laplacian", "polynomial"]},
                      "degree": {"min": 1, "max": 4, "type": "int"},
                      "coef0": {"min": 0.0, "max": 1.0}})

    def compute(self, values, seed):
        from sklearn.datasets import load_diabetes
        from sklearn.kernel_ridge import KernelRidge

        X, y = load_diabetes(return_X_y=True)
        model = KernelRidge(alpha=values["alpha"], kernel=values["kernel"], gamma=values["gamma"],
                            degree=values["degree"], coef0=values["coef0"])
        return cv_row(values, model, X, y, "neg_mean_squared_error", scale=-1.0)


# --- the embedded-data study: tunelab's own data and training code ----------------------------

PM25_STUDY = {
    "dataset": PM25_DATASET,
    "task": {"horizon": 24, "lags": 12},
    "periods": {"train_months": 2, "valid_months": 1, "test_months": 1, "count": 1, "month": "2026-11"},
    "architecture": "mlp",
    "hyperparameters": {
        "learning_rate": {"role": "nuisance", "min": 1.0e-4, "max": 1.0, "scaling": "log"},
        "weight_decay": {"role": "nuisance", "min": 1.0e-6, "max": 1.0e-1, "scaling": "log"},
        "optimizer": {"role": "nuisance", "feasible_points": ["sgd", "adam", "adamw"]},
        "hidden_size": {"role": "nuisance", "min": 4, "max": 64, "type": "int", "scaling": "log"},
        "num_layers": 1, "epochs": 8, "batch_size": 256, "patience": 3},
    "search": {"algorithm": "quasi_random", "budget": 4, "mode": "joint"},
    "seeds": 2, "seeds_per_job": 2, "confirm_seeds": 0,
}
PM25_SEARCHED = ["learning_rate", "weight_decay", "optimizer", "hidden_size"]


class Pm25(Cached):
    """An MLP on 2 months of the embedded data, validated on the next; 2 seeds per trial."""

    name, title, minimum = "pm25", "Beijing PM2.5 MLP (tunelab's trainer), 2 seeds, valid_mse", None
    config = PM25_STUDY

    def __init__(self, root):
        super().__init__()
        from tunelab.workflow import plan_study

        cwd = os.getcwd()
        os.chdir(root)
        try:
            self.sp = plan_study("params/bench.yaml", {})
        finally:
            os.chdir(cwd)
        self.root, self.data = root, f"{root}/data/prepared/beijing_pm25.parquet"
        self.space = {n: self.sp.study.space[n] for n in PM25_SEARCHED}
        self._period = None

    @staticmethod
    def prepare(root):
        """Write the study file and the prepared data under `root` (once, before any worker)."""
        import yaml
        from tunelab.data.dataset import prepare_file

        (root / "params" / "bench.yaml").write_text(yaml.safe_dump(PM25_STUDY))
        prepare_file(PM25_STUDY["dataset"], str(root / "data" / "prepared" / "beijing_pm25.parquet"))

    def compute(self, values, seed):
        import torch
        from tunelab.search.plan import Trial, job_spec
        from tunelab.study.space import active_values
        from tunelab.train.loop import load_prepared, period_data, train_run

        torch.set_num_threads(1)
        study, plan = self.sp.study, self.sp.plan
        fixed = {n: hp.value for n, hp in study.space.items() if not hp.searched}
        full = active_values(study.space, {n: {**fixed, **values}[n] for n in study.space})
        trial = Trial(id=trial_id("mlp", full), values=full, group="", position=0)
        spec = job_spec(study, plan, plan.periods[0].id, trial.id, "s0", trial)
        if self._period is None:
            self._period = period_data(load_prepared(self.data), spec["windows"], spec["task"]["lags"],
                                       spec["task"]["horizon"])
        runs = [train_run(self._period, "mlp", spec["hyperparameters"], spec["task"]["lags"], s, "cpu")["metrics"]
                for s in (0, 1)]
        return row(values, [r["valid_mse"] if r["status"] == "ok" else None for r in runs])
