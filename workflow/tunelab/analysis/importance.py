"""Which hyperparameters matter, with error bars.

Optuna's fANOVA importance (`optuna.importance.FanovaImportanceEvaluator`, public API, on an
in-memory study of the finished trials) gives one number per searched hyperparameter: the share
of the variance of the objective across trials that its main effect explains (normalised to sum
to 1). One number hides how little it may rest on: with a few dozen trials, a hyperparameter that
does nothing can come out on top. So the study's own measurements are resampled: the trials (a
bootstrap over the search's draws), the periods, and the seeds within each trial and period; the
importance is recomputed on each resample and its 5-95% range reported beside the point figure.
Each period alone gets its point figure too (the report's per-period columns and the plot's
markers: whether it holds in every period). Their own intervals are not computed: the report shows
none, and they were three quarters of the rule's time (120 of 164 forest fits on the default
study).

Only feasible trials that ran on every period count, and, with rungs, only those trained to the
full budget (a rung's value is not comparable). Adaptive trials are included (fANOVA's forest
does not assume uniform draws), and the figure says how many trials it rests on.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from tunelab.analysis.tables import overall, read_table, stopped_at_a_rung

RESAMPLES = 40
N_TREES = 32
TOO_FEW = 20  # trials: below this the figure is flagged
NOTHING = 0.05  # an interval that reaches this is "the data cannot tell it from nothing"
COLUMNS = ["scope", "hyperparameter", "importance", "low", "high", "trials"]


def measurements(runs: pd.DataFrame, trials: pd.DataFrame, context: dict):
    """(values, params): {(trial, period): seeds' objective} of the trials that count, and their
    searched hyperparameters (one row per trial)."""
    objective = context["objective"]
    board = overall(trials)
    stopped = set(board.loc[stopped_at_a_rung(board, context), "trial"])
    ok = runs[(runs["status"] == "ok") & ~runs["trial"].isin(stopped)].dropna(subset=[objective])
    periods = sorted(runs["period"].astype(str).unique())
    complete = ok.groupby("trial")["period"].nunique()
    keep = complete.index[complete == len(periods)]
    ok = ok[ok["trial"].isin(keep)]
    names = [n for n in context["space"] if n in ok and ok[n].nunique() > 1]
    values = {(t, str(p)): g[objective].to_numpy(float) for (t, p), g in ok.groupby(["trial", "period"])}
    params = ok.drop_duplicates("trial").set_index("trial")[names]
    return values, params, periods


def fanova(means: dict[str, float], params: pd.DataFrame, space: dict, seed: int = 0) -> dict[str, float]:
    """fANOVA importance of each column of `params` for the trials' `means` (trial -> objective);
    a trial may appear more than once (a bootstrap resample)."""
    import optuna
    from optuna.importance import FanovaImportanceEvaluator, get_param_importances

    from tunelab.analysis.optuna_space import distribution, param_value

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = {n: distribution(space[n]) for n in params.columns}
    study = optuna.create_study(direction="minimize")
    study.add_trials([optuna.trial.create_trial(
        params={n: param_value(space[n], params.at[t, n]) for n in params.columns},
        distributions=dists, value=float(v)) for t, v in means if math.isfinite(v)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            found = get_param_importances(study, evaluator=FanovaImportanceEvaluator(n_trees=N_TREES, seed=seed))
        except RuntimeError:  # "zero total variance": every trial (of a resample) scores the same
            found = {}
    return {n: float(found.get(n, 0.0)) for n in params.columns}


def trial_means(values: dict, trials: list[str], periods: list[str], rng=None) -> list[tuple[str, float]]:
    """(trial, mean over periods of its seeds' mean) for each of `trials`; with `rng`, each
    (trial, period)'s seeds are resampled with replacement."""
    out = []
    for t in trials:
        per = []
        for p in periods:
            v = values[(t, p)]
            per.append(float(np.mean(rng.choice(v, len(v)) if rng is not None else v)))
        out.append((t, float(np.mean(per))))
    return out


def scope_rows(values: dict, params: pd.DataFrame, space: dict, periods: list[str], scope: str,
               resamples: int = RESAMPLES) -> list[dict]:
    """The importance of each hyperparameter on `periods` (scope: 'all' or the one period), with
    the 5-95% range over resampled trials, periods (when several) and seeds; with `resamples=0`
    the point figure alone (low and high NaN)."""
    trials = list(params.index)
    point = fanova(trial_means(values, trials, periods), params, space)
    rng = np.random.default_rng(0)
    draws = {n: [] for n in params.columns}
    for b in range(resamples):
        chosen = list(rng.choice(trials, len(trials)))
        chosen_periods = list(rng.choice(periods, len(periods))) if len(periods) > 1 else periods
        found = fanova(trial_means(values, chosen, chosen_periods, rng), params, space, seed=b + 1)
        for n, v in found.items():
            draws[n].append(v)
    quantile = lambda n, q: float(np.quantile(draws[n], q)) if draws[n] else math.nan  # noqa: E731
    return [{"scope": scope, "hyperparameter": n, "importance": point[n], "low": quantile(n, 0.05),
             "high": quantile(n, 0.95), "trials": len(trials)} for n in params.columns]


def importance_table(runs: pd.DataFrame, trials: pd.DataFrame, context: dict,
                     resamples: int = RESAMPLES) -> pd.DataFrame:
    """importance.csv: pooled over periods ('all'), then per period."""
    values, params, periods = measurements(runs, trials, context)
    if params.shape[1] < 2 or len(params) < 4:
        return pd.DataFrame(columns=COLUMNS)
    rows = scope_rows(values, params, context["space"], periods, "all", resamples)
    if len(periods) > 1:
        for p in periods:
            rows += scope_rows(values, params, context["space"], [p], p, resamples=0)  # points only
    return pd.DataFrame(rows, columns=COLUMNS)


def importance_sentence(table: pd.DataFrame) -> str:
    """One sentence a person can act on: what matters, what the data cannot tell from nothing."""
    if table.empty:
        return ("Importance: not computed: it needs two searched hyperparameters that vary and four "
                "or more trials that ran on every period (with rungs, to the full budget).")
    pooled = table[table["scope"] == "all"].sort_values("importance", ascending=False)
    top, n = pooled.iloc[0], int(pooled.iloc[0]["trials"])
    share = f"{top['importance']:.2f} [{top['low']:.2f}, {top['high']:.2f}]"
    unclear = pooled[pooled["low"] <= NOTHING]["hyperparameter"].tolist()
    shown = pooled[pooled["low"] > NOTHING]
    if top["hyperparameter"] in unclear:
        text = (f"{'No hyperparameter is shown to matter: the' if shown.empty else 'The'} largest "
                f"share, {top['hyperparameter']}'s {share} of the variance across the {n} trials that "
                f"fANOVA attributes, has an interval that reaches down to {NOTHING} or below")
        text += _shown_words(shown, top["hyperparameter"]) if len(shown) else _overlap(pooled)
        unclear = unclear[1:]
    else:
        text = f"{top['hyperparameter']} explains {share} of the variance across the {n} trials that fANOVA attributes"
        text += _overlap(pooled)
    if unclear:
        text += "; " + _unclear_words(pooled.set_index("hyperparameter"), unclear)
    text += "."
    if n < TOO_FEW:
        text += f" Only {n} trials: read these figures as rough (a forest on so few points is unstable)."
    return text


def _shown_words(shown: pd.DataFrame, top: str) -> str:
    """", while learning_rate's [0.14, 0.99] stays above it: learning_rate is shown to matter,
    bidirectional is not (...)": the ones whose whole interval clears NOTHING, named."""
    spans = ", ".join(f"{r.hyperparameter}'s [{r.low:.2f}, {r.high:.2f}]" for r in shown.itertuples())
    names = ", ".join(shown["hyperparameter"])
    verb = "is" if len(shown) == 1 else "are"
    return (f", while {spans} {'stays' if len(shown) == 1 else 'stay'} above it: {names} {verb} shown "
            f"to matter, {top} is not (its point share is larger, its interval wider)")


def _unclear_words(rows: pd.DataFrame, names: list[str]) -> str:
    """'weight_decay's interval, [0.04, 0.48], reaches 0.05 or below, so ...'."""
    span = lambda n: f"[{rows.at[n, 'low']:.2f}, {rows.at[n, 'high']:.2f}]"  # noqa: E731
    if len(names) == 1:
        return (f"{names[0]}'s interval, {span(names[0])}, reaches {NOTHING} or below, so the data "
                "cannot tell it from nothing")
    return (f"the intervals of {', '.join(f'{n} {span(n)}' for n in names)} reach {NOTHING} or below, "
            "so the data cannot tell them from nothing")


def _overlap(pooled: pd.DataFrame) -> str:
    """Whether the first two are ordered: their intervals overlap, or not."""
    if len(pooled) < 2:
        return ""
    top, second = pooled.iloc[0], pooled.iloc[1]
    if top["low"] > second["high"]:
        return ""
    return (f"; its interval overlaps {second['hyperparameter']}'s [{second['low']:.2f}, {second['high']:.2f}]"
            ", so which matters more is not settled")


def plot_importance(table: pd.DataFrame, path) -> None:
    """Bars: the pooled importance with its 5-95% range; markers: each period's."""
    from tunelab.analysis.plotting import COLORS, figure

    pooled = table[table["scope"] == "all"].sort_values("importance")
    names = pooled["hyperparameter"].tolist()
    with figure(path, figsize=(6.4, 1.2 + 0.5 * max(len(names), 1))) as fig:
        ax = fig.add_subplot()
        y = np.arange(len(names))
        if names:
            err = [pooled["importance"] - pooled["low"], pooled["high"] - pooled["importance"]]
            ax.barh(y, pooled["importance"], xerr=np.clip(err, 0, None), color="0.75", capsize=3,
                    label=f"pooled over periods, 5-95% over {RESAMPLES} resamples")
        markers = "os^Dv<>"
        for k, (scope, g) in enumerate(table[table["scope"] != "all"].groupby("scope", sort=True)):
            at = g.set_index("hyperparameter").reindex(names)["importance"]
            ax.plot(at.to_numpy(float), y, markers[k % len(markers)], color=COLORS[k % len(COLORS)],
                    ms=6, label=str(scope))
        ax.set_yticks(y, names)
        ax.set_xlim(0, 1)
        ax.set_xlabel("fANOVA importance (share of the variance across trials)")
        ax.set_title("Which hyperparameters matter" + ("" if names else ": not computed"))
        if names:
            ax.legend(loc="lower right", fontsize=7)


def importance_file(runs_csv: str, trials_csv: str, context: dict, out_csv: str, out_png: str) -> pd.DataFrame:
    """The importance, in the plots job (tunelab.analysis.figures): runs.csv + trials.csv ->
    importance.csv, plots/importance.png."""
    from tunelab.io import write_csv

    table = importance_table(read_table(runs_csv), read_table(trials_csv), context)
    write_csv(out_csv, table.astype(object).where(table.notna(), "").to_dict("records"), COLUMNS)  # NaN: empty
    plot_importance(table, out_png)
    print(importance_sentence(table))
    return table
