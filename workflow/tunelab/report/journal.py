"""The finished trials as an Optuna study, in a journal file that `optuna-dashboard` opens.

    optuna-dashboard results/<study>/optuna.journal

One Optuna trial per tunelab trial, in the order the search drew them (exploration, then each
round): its params are the searched hyperparameters it has (a conditional one only where active),
its value the leaderboard's objective (mean over periods and seeds), and its user attributes the
trial id, group, phase, round, retrain std, period std and seeds. Optuna has no place for a value
that does not exist, so an infeasible trial is COMPLETE with the worst feasible value as a
placeholder and a violated constraint (the `constraints` system attribute that Optuna's samplers
and the dashboard read), never a FAIL that would hide it.

The same study writes the same file on every machine: each trial's time is the first day of the
study's month (not the moment the journal was written), and the writer is `tunelab`, not Optuna's
random worker id (a uuid and a thread id, which nothing reads back).
"""

from __future__ import annotations

import datetime
import math
import re
from pathlib import Path

from tunelab.analysis.optuna_space import distribution, param_value  # noqa: F401 (re-exported)
from tunelab.io import atomic_path


def journal_trials(trials, context: dict, decision: dict | None = None, curves=None) -> list:
    """Optuna FrozenTrials of the study's trials (trials.csv's `all` rows), in drawing order.
    `decision` (decision.json) marks the baseline and the candidate with their role and confirmed
    means; `curves` (curves.parquet) gives each trial's validation curve as intermediate values."""
    import optuna

    from tunelab.analysis.tables import jsonable, overall

    roles = decision_roles(decision)
    periods = per_period_values(trials)
    steps = curve_steps(curves)
    rows = overall(trials)
    order = ["round", "trial"] if "round" in rows.columns else ["trial"]
    rows = rows.sort_values(order, kind="stable")
    values = rows["objective_mean"].astype(float)
    worst = float(values.max()) if values.notna().any() else 0.0
    out = []
    for _, row in rows.iterrows():
        space = {n: i for n, i in context["space"].items() if n in row and _present(row[n])}
        feasible = math.isfinite(float(row["objective_mean"]))
        attrs = {k: row[k] for k in ("trial", "group", "phase", "round", "objective_std", "period_std",
                                     "seeds", "feasible") if k in row}
        attrs = {("retrain_std" if k == "objective_std" else k): v for k, v in jsonable(attrs).items()}
        extra = {**periods.get(row["trial"], {}), **roles.get(row["trial"], {})}
        trial = optuna.trial.create_trial(
            params={n: param_value(i, row[n]) for n, i in space.items()},
            distributions={n: distribution(i) for n, i in space.items()},
            value=float(row["objective_mean"]) if feasible else worst,
            intermediate_values=steps.get(row["trial"], {}),
            user_attrs={**attrs, **jsonable(extra), "feasible": feasible},
            system_attrs={"constraints": [0.0 if feasible else 1.0]},
        )
        trial.datetime_start = trial.datetime_complete = month_start(context.get("month"))
        out.append(trial)
    return out


def month_start(month: str | None) -> datetime.datetime:
    """The first day of the study's month (YYYY-MM), the time the journal gives every trial."""
    year, number = (int(x) for x in (month or "1970-01").split("-"))
    return datetime.datetime(year, number, 1)


def decision_roles(decision: dict | None) -> dict[str, dict]:
    """trial -> its role in the decision (baseline; candidate, with the verdict) and its mean on the
    fresh confirmation seeds per period: the dashboard's best trial is not always the one adopted."""
    if not decision:
        return {}
    roles = {decision["baseline"]["trial"]: {"role": "baseline (the configuration in use)"}}
    cand = decision.get("candidate")
    if cand:
        roles.setdefault(cand["trial"], {})["role"] = f"candidate: {decision['verdict']}"
    for p in decision.get("periods") or []:
        for side in ("baseline", "candidate"):
            trial = (decision.get(side) or {}).get("trial")
            if trial:
                roles.setdefault(trial, {})[f"confirmed {p['period']}"] = p[f"{side}_mean"]
    return roles


def per_period_values(trials) -> dict[str, dict]:
    """trial -> {"period <id>": its mean over seeds there}."""
    rows = trials[trials["period"].astype(str) != "all"]
    return {t: {f"period {r['period']}": r["objective_mean"] for _, r in g.iterrows()}
            for t, g in rows.groupby("trial", sort=False)}


def curve_steps(curves) -> dict[str, dict[int, float]]:
    """trial -> {epoch: validation loss, mean over periods and seeds}: Optuna's intermediate values,
    drawn by the dashboard as learning curves."""
    if curves is None or len(curves) == 0 or "valid_loss" not in curves:
        return {}
    mean = curves.groupby(["trial", "epoch"])["valid_loss"].mean().dropna()
    return {t: {int(e): float(v) for (_, e), v in g.items()} for t, g in mean.groupby(level=0)}


def _present(value) -> bool:
    return not (isinstance(value, float) and math.isnan(value))


def write_journal(trials_csv: str, context: dict, output: str, decision_json: str | None = None,
                  curves_parquet: str | None = None) -> int:
    """The journal rule: trials.csv (+ decision.json, curves.parquet) -> an Optuna journal
    (written beside, then renamed)."""
    import json

    import optuna
    import pandas as pd
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    from tunelab.analysis.tables import read_table

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    decision = json.loads(open(decision_json).read()) if decision_json else None
    curves = pd.read_parquet(curves_parquet) if curves_parquet else None
    frozen = journal_trials(read_table(trials_csv), context, decision, curves)
    with atomic_path(output) as tmp:
        storage = JournalStorage(JournalFileBackend(str(tmp)))
        study = optuna.create_study(storage=storage, study_name=context["study"], direction="minimize")
        study.set_user_attr("objective", f"{context['objective']}, mean over periods and seeds")
        if decision:
            study.set_user_attr("decision", f"{decision['verdict']}: {decision['headline']}")
        study.add_trials(frozen)
        text = Path(tmp).read_text(encoding="utf-8")
        Path(tmp).write_text(re.sub(r'"worker_id":"[^"]*"', '"worker_id":"tunelab"', text), encoding="utf-8")
    print(f"{output}: {len(frozen)} trials; open with: optuna-dashboard {output}")
    return len(frozen)
