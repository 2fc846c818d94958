"""The adaptive phase: one round of Bayesian optimisation, a pure function of the finished runs.

The `suggest` checkpoint of round k of a group calls `suggest_file` with the group's finished
trials in its exploration and its rounds 1..k-1 (tunelab.collect.group_history: each trial scored
as the leaderboard does, the mean over periods of the mean over seeds; any failed run makes the
trial infeasible); it fits a Gaussian process and proposes `batch` new trials.

Model and acquisitions are BoTorch's public API (SingleTaskGP, qLogNoisyExpectedImprovement,
qLogExpectedImprovement, qProbabilityOfImprovement, qUpperConfidenceBound, optimize_acqf), not a
hand-written GP:
- inputs: each searched hyperparameter mapped to [0, 1] in its own scaling (the inverse of
  Hyperparameter.from_unit; a categorical one by its position in the list, an ordinal encoding);
  a conditional hyperparameter that is inactive for a trial sits at 0.5;
- output: -log(objective) (MSE/MAE are positive and span orders of magnitude), maximised;
- noise: each trial's own retrain variance of its mean, objective_std**2 / runs, carried to the log
  scale (delta method), is the GP's known per-trial noise (`train_Yvar`); with one seed per trial
  there is no such measure and the GP infers one noise level;
- infeasible trials (any run diverged or failed) enter the GP at the worst feasible value minus half
  the feasible range, so the model predicts poorly there and no acquisition returns to the region;
- acquisitions: nei (the schema's default) is log noisy expected improvement, the improvement
  over what the model believes of the observed trials (X_baseline) rather than over their noisy
  best mean, which ei takes at face value; pi is the probability of improving on that best mean;
  benchmarks/adaptive_suite.py (issue 25) measured them, ucb and the portfolio on five problems
  (docs/explanation/benchmarks.md): in two runs nei's median beat quasi-random with twice the
  budget and Optuna's GP and TPE on every problem (pi's, the default before, did not on the
  random forest); no acquisition was best on all;
- the batch is built slot by slot (sequential greedy), each slot's acquisition conditioned on the
  earlier slots as pending points (`X_pending`), each optimised by optimize_acqf with RESTARTS
  restarts from RAW_SAMPLES raw samples. `portfolio` gives each slot to ei, pi or ucb drawn
  with Hedge weights from how well each acquisition's earlier trials turned out (observed ranks).

Warm start across months (issue 24): a history row may carry "month" ("YYYY-MM") and the spec the
rotation month it suggests for ("month"). Rows of another month are carried over from an earlier
month's study: the same configurations, measured on other periods. When there are any, the model
gets one more input column, 1.0 for this month's rows and 0.0 for carried ones, so the GP learns
how far last month's landscape carries (its length scale in that column) instead of taking old
results at face value; every acquisition is optimised with the column fixed at 1.0 (optimize_acqf's
fixed_features: proposals for this month), the incumbent (ei and pi's best observed value, nei's
baseline) comes from this month's feasible rows only (all feasible rows until this month has one),
carried trials count towards the two feasible trials a model needs, and only this month's trials
are "known": a carried configuration may be proposed again (it is then measured this month), a
repeat of one of this month's trials is replaced as before. Rows without "month", rows of the spec's
month, or a spec without "month" are this month's: without carried rows a round is byte for byte
what it was before months existed.

Determinism: the GP and the acquisitions run on one torch thread (as benchmarks/adaptive_suite.py
measured them; also faster on a busy machine), the history is sorted by trial id (then month),
objectives are rounded to 12 significant digits, every random choice takes a seed derived from
(seed, group, round), unit coordinates are rounded before values (4 significant digits,
Hyperparameter.from_unit) and trial ids are made; a proposal that repeats a known trial is
replaced by a scrambled Halton point.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any, NamedTuple

from tunelab.search.plan import Trial, trial_id
from tunelab.search.rounds import ROUND_COLUMNS, read_round, round_rows
from tunelab.study.space import Hyperparameter, active_values, resolve_space

ACQUISITIONS = ("ei", "pi", "ucb")  # the portfolio's members
CHOICES = ACQUISITIONS + ("nei",)  # every single acquisition (the schema's enum, less portfolio)
FALLBACK = "quasi_random"  # too few feasible trials to fit a model, or a repeated proposal
HEDGE_ETA = 4.0  # Hedge's learning rate on gains in [0, 1]
# The acquisition optimiser's budget: 8 L-BFGS restarts from the best of 512 raw samples (2 and 64
# before issue 25's suite, where 8/512 improved the portfolio's median on 4 of 5 problems; it costs
# about 35% more of a round's compute)
RESTARTS, RAW_SAMPLES, MC_SAMPLES = 8, 512, 128


def round_seed(seed: int, group: str, k: int) -> int:
    return int(hashlib.sha1(f"{seed}:{group}:{k}".encode()).hexdigest()[:8], 16)


# --- encoding --------------------------------------------------------------------------------


def to_unit(hp: Hyperparameter, value: Any) -> float:
    """Where `value` lies in `hp`'s range, in [0, 1]: the inverse of Hyperparameter.from_unit."""
    if hp.kind == "categorical":
        return (list(hp.points).index(value) + 0.5) / len(hp.points)
    lo, hi = float(hp.low), float(hp.high) + (1 if hp.kind == "integer" else 0)
    x = float(value) + (0.5 if hp.kind == "integer" else 0.0)
    if hp.scaling == "log":
        u = (math.log(x) - math.log(lo)) / (math.log(hi) - math.log(lo))
    else:
        u = (x - lo) / (hi - lo)
    return min(max(u, 0.0), 1.0)


def encode(dims: list[Hyperparameter], values: dict) -> list[float]:
    return [to_unit(hp, values[hp.name]) if hp.name in values else 0.5 for hp in dims]


# --- the round -------------------------------------------------------------------------------


class Round:
    """Round k of one group: the space, the fixed values and the history it proposes from."""

    def __init__(self, spec: dict, history: list[dict], drawn_by: dict[str, str],
                 space: dict[str, Hyperparameter] | None = None):
        self.spec, self.then = spec, spec["then"]
        self.space = space or resolve_space(spec["architecture"], spec["hyperparameters"])
        self.dims = [self.space[name] for name in spec["searched"]]
        self.fixed = {n: hp.value for n, hp in self.space.items() if not hp.searched}
        self.fixed.update(spec["fixed"])
        self.history = sorted(history, key=lambda h: (h["trial"], h.get("month") or ""))
        self.drawn_by = drawn_by
        self.seed = round_seed(int(self.then["seed"]), spec["group"], int(spec["round"]))
        self.month = spec.get("month")
        self.mine = [not self.carried(h) for h in self.history]  # this month's rows
        self.known = {h["trial"] for h, mine in zip(self.history, self.mine, strict=True) if mine}

    def carried(self, row: dict) -> bool:
        """Whether a history row was carried over from an earlier month (warm start, issue 24)."""
        return self.month is not None and row.get("month") is not None and row["month"] != self.month

    def trial(self, unit: list[float], position: int) -> Trial:
        draw = {hp.name: hp.from_unit(round(float(u), 9)) for hp, u in zip(self.dims, unit, strict=True)}
        merged = {**self.fixed, **draw}
        ordered = {name: merged[name] for name in self.space}
        values = active_values(self.space, ordered)
        return Trial(id=trial_id(self.spec["architecture"], values), values=values,
                     group=self.spec["label"], position=position)

    def slot_acquisitions(self) -> list[str]:
        """The acquisition of each slot of the batch."""
        q, acq = int(self.then["batch"]), self.then["acquisition"]
        if acq != "portfolio":
            return [acq] * q
        import numpy as np

        weights = hedge_weights(self.history, self.drawn_by)
        rng = np.random.default_rng(self.seed)
        return [ACQUISITIONS[i] for i in rng.choice(len(ACQUISITIONS), size=q, p=weights)]

    def suggest(self) -> tuple[list[Trial], list[str]]:
        slots = self.slot_acquisitions()
        feasible = [h for h in self.history if h["feasible"]]
        if len(feasible) < 2:  # no model to fit: cover the space instead (still a full round)
            return self._fill([], [], len(slots))
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # small matrices: a second thread only contends (2-3x slower on 2 busy cores)
        try:
            return self._bayesian(slots)
        finally:
            torch.set_num_threads(threads)

    def _bayesian(self, slots: list[str]) -> tuple[list[Trial], list[str]]:
        import torch
        from botorch.optim import optimize_acqf

        torch.manual_seed(self.seed)
        month = None if all(self.mine) else self.mine  # the month column, only with carried rows
        fit = fit_model(self.dims, self.history, month)
        d = len(self.dims) + (month is not None)
        bounds = torch.tensor([[0.0] * d, [1.0] * d], dtype=torch.float64)
        fixed = {len(self.dims): 1.0} if month is not None else None  # propose for this month
        trials, names, pending = [], [], []
        for position, name in enumerate(slots):
            acq = make_acquisition(name, fit, pending, self.seed + position, float(self.then["ucb_beta"]))
            torch.manual_seed(self.seed + position)
            cand, _ = optimize_acqf(acq, bounds=bounds, q=1, num_restarts=RESTARTS, raw_samples=RAW_SAMPLES,
                                    options={"seed": self.seed + position}, fixed_features=fixed)
            trial = self.trial(cand[0].tolist()[:len(self.dims)], position)
            if trial.id in self.known or trial.id in {t.id for t in trials}:
                break  # the model insists on a known point: fill the rest quasi-randomly
            trials.append(trial)
            names.append(name)
            pending.append(encode(self.dims, trial.values) + ([1.0] if month is not None else []))
        return self._fill(trials, names, len(slots))

    def _fill(self, trials: list[Trial], names: list[str], q: int) -> tuple[list[Trial], list[str]]:
        """Complete the batch with scrambled Halton points that are not known trials."""
        from tunelab.search.samplers import QuasiRandomSampler

        taken = self.known | {t.id for t in trials}
        points = QuasiRandomSampler(self.dims, seed=self.seed).unit_points(64 * q + 64)
        for row in points:
            if len(trials) >= q:
                break
            trial = self.trial(list(row), len(trials))
            if trial.id not in taken:
                taken.add(trial.id)
                trials.append(trial)
                names.append(FALLBACK)
        return trials, names


def hedge_weights(history: list[dict], drawn_by: dict[str, str]) -> list[float]:
    """Hedge: each acquisition's weight grows with the mean gain of the trials it drew, a gain being
    1 for the best trial of the history and 0 for the worst (or an infeasible one); an acquisition
    with no trials yet counts as one trial of gain 0.5."""
    order = sorted((h for h in history if h["feasible"]), key=lambda h: (h["objective"], h["trial"]))
    n = len(order)
    gain = {h["trial"]: 1.0 - i / max(n - 1, 1) for i, h in enumerate(order)}
    totals = {a: [0.5, 1.0] for a in ACQUISITIONS}
    for h in history:
        a = drawn_by.get(h["trial"])
        if a in totals:
            totals[a][0] += gain.get(h["trial"], 0.0)
            totals[a][1] += 1.0
    scores = [math.exp(HEDGE_ETA * s / c) for s, c in totals.values()]
    return [s / sum(scores) for s in scores]


class Fit(NamedTuple):
    """The fitted model and what the acquisitions take from the history besides it."""

    model: Any
    best_f: float  # the best observed (transformed) objective of this month's feasible trials
    baseline: Any  # their inputs (X_baseline of nei)


def fit_model(dims: list[Hyperparameter], history: list[dict], month: list[bool] | None = None) -> Fit:
    """A SingleTaskGP on the history: -log(objective), per-trial known noise, infeasible imputed.
    `month`: per row, whether it is this month's (an extra input column: 1.0 mine, 0.0 carried)."""
    import torch
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from botorch.models.transforms import Standardize
    from gpytorch.mlls import ExactMarginalLogLikelihood

    feasible = [h for h in history if h["feasible"]]
    use_log = all(h["objective"] > 0 for h in feasible)

    def y_of(h):
        return -math.log(h["objective"]) if use_log else -h["objective"]

    def var_of(h):
        return h["var"] / h["objective"] ** 2 if use_log else h["var"]

    ys = [y_of(h) for h in feasible]
    worst = min(ys) - 0.5 * max(max(ys) - min(ys), 1e-6)
    floor = 1e-6 * max(max(ys) - min(ys), 1e-3) ** 2
    noisy = any(h["var"] > 0 for h in feasible)
    known = sorted(var_of(h) for h in feasible)
    typical = known[len(known) // 2]
    flags = [[float(m)] for m in month] if month else [[] for _ in history]
    X = torch.tensor([encode(dims, h["values"]) + f for h, f in zip(history, flags, strict=True)],
                     dtype=torch.float64)
    Y = torch.tensor([[y_of(h) if h["feasible"] else worst] for h in history], dtype=torch.float64)
    Yvar = torch.tensor([[max(var_of(h) if h["feasible"] else typical, floor)] for h in history],
                        dtype=torch.float64)
    model = SingleTaskGP(X, Y, train_Yvar=Yvar if noisy else None, outcome_transform=Standardize(m=1))
    fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
    mine = [i for i, h in enumerate(history) if h["feasible"] and (month is None or month[i])]
    mine = mine or [i for i, h in enumerate(history) if h["feasible"]]  # no feasible trial this month yet
    return Fit(model, max(Y[i, 0].item() for i in mine), X[mine])


def make_acquisition(name: str, fit: Fit, pending: list[list[float]], seed: int, beta: float):
    import torch
    from botorch.acquisition import (
        qLogExpectedImprovement,
        qLogNoisyExpectedImprovement,
        qProbabilityOfImprovement,
        qUpperConfidenceBound,
    )
    from botorch.sampling import SobolQMCNormalSampler

    sampler = SobolQMCNormalSampler(torch.Size([MC_SAMPLES]), seed=seed)
    X_pending = torch.tensor(pending, dtype=torch.float64) if pending else None
    if name == "ei":
        return qLogExpectedImprovement(fit.model, best_f=fit.best_f, sampler=sampler, X_pending=X_pending)
    if name == "nei":
        return qLogNoisyExpectedImprovement(fit.model, X_baseline=fit.baseline, sampler=sampler,
                                            X_pending=X_pending, prune_baseline=True)
    if name == "pi":
        return qProbabilityOfImprovement(fit.model, best_f=fit.best_f, sampler=sampler, X_pending=X_pending)
    if name == "ucb":
        return qUpperConfidenceBound(fit.model, beta=beta, sampler=sampler, X_pending=X_pending)
    raise ValueError(f"search.then.acquisition: {name!r} is not one of {list(CHOICES)}")


# --- the suggest rule ------------------------------------------------------------------------


def drawn_by(round_paths: list[str]) -> dict[str, str]:
    """trial -> the acquisition that drew it, from the earlier rounds' files."""
    return {row["trial"]: row["acquisition"] for p in round_paths for row in read_round(str(p))}


def suggest_round(spec: dict, history: list[dict], round_paths: list[str]) -> list[dict]:
    """The rows of round `spec['round']`: a pure function of the finished trials (`history`, from
    tunelab.collect.trial_history) and the earlier rounds."""
    rnd = Round(spec, history, drawn_by(round_paths))
    trials, names = rnd.suggest()
    return round_rows(trials, int(spec["round"]), names)


def suggest_file(spec: dict | str, history: list[dict], round_paths: list[str],
                 output: str) -> list[dict]:
    """The suggest rule: write round k's trials to `output` (atomically), from the group's finished
    trials in the exploration and its rounds 1..k-1 (tunelab.collect.group_history)."""
    import time

    from tunelab.io import write_csv

    spec = json.loads(spec) if isinstance(spec, str) else spec
    start = time.perf_counter()
    rows = suggest_round(spec, history, round_paths)
    columns = ROUND_COLUMNS + [n for n in spec["searched"] if any(n in r for r in rows)]
    write_csv(output, rows, columns)
    print(f"{spec['study']} group {spec['group']} round {spec['round']}: {len(rows)} trials from "
          f"{len(history)} finished trials in {time.perf_counter() - start:.1f} s")
    for row in rows:
        print(f"  {row['trial']} {row['acquisition']}: {row['values']}")
    return rows
