"""Isolation plots: per value of a scientific hyperparameter, the best trial over the nuisance ones.

Comparing scientific values through their best trials (not their averages) is the playbook's way
of "optimising away" the nuisance hyperparameters: each value gets its best learning rate, weight
decay, ... before the values are compared. Each best is shown with its retrain spread (error bar)
and its mean on each period; every other trial of the value is a small grey dot, so the plot also
shows how much the nuisance hyperparameters matter. Continuous scientific values are bucketed
(quantiles in the hyperparameter's scaling) and the best per bucket is taken.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from tunelab.analysis.tables import is_numeric, overall, per_period, read_table, stopped_at_a_rung
from tunelab.fmt import fmt, mean_std

BUCKETS = 5  # a continuous scientific hyperparameter with more distinct values is bucketed


def buckets(values: pd.Series, info: dict, count: int = BUCKETS) -> tuple[pd.Series, list[str]]:
    """Each value's bucket label, and the labels in order. Few distinct values: one per value."""
    distinct = sorted(values.dropna().unique(), key=lambda v: (not isinstance(v, int | float), v))
    if info["kind"] != "continuous" or len(distinct) <= count:
        if info["kind"] == "categorical" and not is_numeric(info):
            order = [str(p) for p in info["points"] if p in set(distinct) or str(p) in
                     {str(d) for d in distinct}]
            return values.astype(str), order
        return values.map(fmt), [fmt(v) for v in distinct]
    scaled = np.log(values.astype(float)) if info["scaling"] == "log" else values.astype(float)
    edges = np.unique(np.quantile(scaled, np.linspace(0, 1, count + 1)))
    index = np.clip(np.searchsorted(edges, scaled, side="right") - 1, 0, len(edges) - 2)
    back = np.exp(edges) if info["scaling"] == "log" else edges
    labels = [f"{fmt(back[i], 2)}-{fmt(back[i + 1], 2)}" for i in range(len(edges) - 1)]
    return pd.Series([labels[i] for i in index], index=values.index), labels


def isolation_info(trials: pd.DataFrame, name: str, context: dict) -> dict:
    """The data of one isolation plot: per value (or bucket), its best trial and the others,
    over the periods (mean) and on each period."""
    info = context["space"][name]
    rows = overall(trials)
    rows = rows[rows[name].notna()] if name in rows.columns else rows.iloc[:0]
    stopped = pd.Series(stopped_at_a_rung(rows, context), index=rows.index)  # rungs: fewer epochs
    label, order = buckets(rows[name], info)
    periods = sorted(per_period(trials)["period"].unique())
    cells = per_period(trials).set_index(["trial", "period"])
    values = []
    for lab in order:
        members = rows[label == lab]
        feasible = members.dropna(subset=["objective_mean"])
        entry = {"label": lab, "trials": len(members), "feasible": len(feasible),
                 "others": feasible["objective_mean"].to_numpy(float), "best": None,
                 "others_per_period": {p: np.array([cells.at[(t, p), "objective_mean"]
                                                    for t in feasible["trial"] if (t, p) in cells.index])
                                       for p in periods}}
        if len(feasible):
            best = feasible.sort_values(["objective_mean", "trial"], kind="stable").iloc[0]
            entry.update(
                best=best["trial"], mean=float(best["objective_mean"]),
                std=float(best["objective_std"]) if pd.notna(best["objective_std"]) else 0.0,
                std_measured=bool(pd.notna(best["objective_std"])),  # one seed: no spread
                per_period={p: (float(cells.at[(best["trial"], p), "objective_mean"]),
                                float(np.nan_to_num(cells.at[(best["trial"], p), "objective_std"])))
                            for p in periods if (best["trial"], p) in cells.index},
                nuisance={n: best[n] for n in context["nuisance"] if n in best and pd.notna(best[n])},
                stopped_at=int(best["rung_epochs"]) if stopped.get(best.name, False) else None,
            )
        values.append(entry)
    scored = [v for v in values if v["best"] is not None]
    winner = min(range(len(values)), key=lambda i: values[i].get("mean", math.inf)) if scored else None
    period_winner = {}
    for p in periods:
        on_p = [(v["per_period"][p][0], i) for i, v in enumerate(values)
                if v["best"] and p in v["per_period"]]
        period_winner[p] = min(on_p)[1] if on_p else None
    return {"name": name, "objective": context["objective"], "values": values, "periods": periods,
            "winner": winner, "period_winner": period_winner, "nuisance": list(context["nuisance"]),
            "full_epochs": context.get("full_epochs"),
            "bucketed": info["kind"] == "continuous" and len(order) < rows[name].nunique()}


def _spread(value: dict, full: int | None = None) -> str:
    """Its mean ± retrain std; '± -' where one seed measured no spread (its std stands in as 0);
    with rungs, where its best trial stopped early, after how many epochs."""
    text = mean_std(value["mean"], value["std"] if value.get("std_measured", True) else None)
    if value.get("stopped_at"):
        text += f" (stopped at a rung: {value['stopped_at']} of {full} epochs)"
    return text


def describe_isolation(info: dict) -> str:
    """One sentence for the report."""
    scored = [v for v in info["values"] if v["best"] is not None]
    if not scored:
        return f"No value of {info['name']} has a feasible trial."
    ranked = sorted(scored, key=lambda v: v["mean"])
    first = ranked[0]
    full = info.get("full_epochs")
    text = f"Best {info['name']} = {first['label']}: {_spread(first, full)} (trial {first['best']})"
    if len(ranked) > 1:
        second = ranked[1]
        gap = second["mean"] - first["mean"]
        noise = math.sqrt(first["std"] ** 2 + second["std"] ** 2)
        text += f"; next {second['label']}: {_spread(second, full)}, a gap of {fmt(gap)}, "
        if first.get("stopped_at") or second.get("stopped_at"):
            return text + ("not comparable: one was measured at a rung, after fewer epochs, and the "
                           "decision confirms only trials trained fully.")
        if not (first.get("std_measured", True) and second.get("std_measured", True)):
            text += "against a retrain spread that is unmeasured (one seed): no verdict"
        elif noise == 0:  # both ± 0: the seeds agree
            text += "with no retrain spread on either to weigh it against"
        else:
            text += ("larger than" if gap > 2 * noise else "within") + " the retrain spread"
        text += " (search seeds; the decision confirms it on fresh seeds)"
    return text + "."


MAX_PERIOD_PANELS = 4


def plot_isolation(info: dict, path, simple: tuple[str, float] | None = None) -> None:
    """Left: the mean over periods (with the best simple forecast's level); then one panel per
    period (the first few), each with its own y-axis: periods differ in level, and the question
    is whether the order holds on each."""
    from tunelab.analysis.plotting import draw_simple, figure, short

    values = info["values"]
    periods = info["periods"][:MAX_PERIOD_PANELS]
    panels = 1 + len(periods)
    width = max(1.1 * len(values) + 1.2, 2.6)
    with figure(path, figsize=(width * panels + 0.8, 3.8)) as fig:
        axes = fig.subplots(1, panels, squeeze=False)[0]
        _panel(axes[0], [(v.get("mean"), v.get("std"), v["others"]) if v["best"] else None
                         for v in values], values, info["winner"], short, "mean over periods")
        for ax, period in zip(axes[1:], periods, strict=True):
            cells = [(*v["per_period"][period], v["others_per_period"][period])
                     if v["best"] and period in v["per_period"] else None for v in values]
            _panel(ax, cells, values, info["period_winner"].get(period), None, period)
        axes[0].set_ylabel(f"{info['objective']} (lower is better)")
        draw_simple(axes[0], simple)
        if simple is not None:
            axes[0].legend(loc="best", fontsize=7)
        nuisance = ", ".join(info["nuisance"]) or "nothing"
        fig.suptitle(f"Isolation plot: {info['name']}" + (" (bucketed)" if info["bucketed"] else "")
                     + f", best trial per value over {nuisance}; black: mean ± retrain std, "
                     "grey: the other trials, star: best value", fontsize=9)
        fig.tight_layout()


def _panel(ax, cells, values, winner, short, title) -> None:
    rng = np.random.default_rng(0)
    tops, lows = [], []
    for i, cell in enumerate(cells):
        if cell is None:
            continue
        mean, std, others = cell
        others = others[np.isfinite(others)]
        ax.plot(i + rng.uniform(-0.15, 0.15, len(others)), others, "o", color="0.72", ms=4, zorder=1)
        ax.errorbar(i, mean, yerr=std, fmt="D", color="black", ms=6, capsize=4, zorder=3)
        if short is not None:
            ax.annotate(short(values[i]["best"]), (i, mean), xytext=(9, 0), textcoords="offset points",
                        va="center", fontsize=7)
        lows.append(mean - std)
        tops.append(mean + std)
        if len(others):
            tops.append(float(np.quantile(others, 0.75)))
    if winner is not None and cells[winner] is not None:
        ax.plot(winner, cells[winner][0], "*", color="gold", mec="black", ms=14, zorder=4)
    if lows:  # the bests readable even when some nuisance draws were far off
        lo, hi = min(lows), max(tops)
        span = max(hi - lo, 1e-9)
        ax.set_ylim(lo - 0.12 * span, hi + 0.12 * span)
    ax.set_xticks(range(len(values)), [v["label"] for v in values])
    ax.set_xlim(-0.6, len(values) - 0.4)
    ax.set_title(title)


def isolation_file(trials_csv: str, context: dict, name: str, output: str, baselines=None) -> dict:
    """For the plots rule (tunelab.analysis.figures): trials.csv (+ baselines.csv) -> plots/isolation.<name>.png."""
    from tunelab.analysis.plotting import simple_level

    info = isolation_info(read_table(trials_csv), name, context)
    plot_isolation(info, output, simple_level(baselines, context["objective"]))
    print(describe_isolation(info))
    return info
