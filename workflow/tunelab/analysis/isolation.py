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

from tunelab.analysis.tables import fmt, is_numeric, overall, per_period, read_table

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


def _get_isolation_info(trials: pd.DataFrame, name: str, context: dict) -> dict:
    """The data of one isolation plot: per value (or bucket), its best trial and the others."""
    info = context["space"][name]
    rows = overall(trials)
    rows = rows[rows[name].notna()] if name in rows.columns else rows.iloc[:0]
    label, order = buckets(rows[name], info)
    periods = sorted(per_period(trials)["period"].unique())
    by_period = per_period(trials).pivot(index="trial", columns="period", values="objective_mean")
    values = []
    for lab in order:
        members = rows[label == lab]
        feasible = members.dropna(subset=["objective_mean"])
        entry = {"label": lab, "trials": len(members), "feasible": len(feasible),
                 "others": feasible["objective_mean"].to_numpy(float), "best": None}
        if len(feasible):
            best = feasible.sort_values(["objective_mean", "trial"], kind="stable").iloc[0]
            entry.update(
                best=best["trial"], mean=float(best["objective_mean"]),
                std=float(best["objective_std"]) if pd.notna(best["objective_std"]) else 0.0,
                per_period={p: float(by_period.at[best["trial"], p]) for p in periods
                            if best["trial"] in by_period.index and pd.notna(by_period.at[best["trial"], p])},
                nuisance={n: best[n] for n in context["nuisance"] if n in best and pd.notna(best[n])},
            )
        values.append(entry)
    scored = [v for v in values if v["best"] is not None]
    winner = min(range(len(values)), key=lambda i: values[i].get("mean", math.inf)) if scored else None
    return {"name": name, "objective": context["objective"], "values": values, "periods": periods,
            "winner": winner, "nuisance": list(context["nuisance"]),
            "bucketed": info["kind"] == "continuous" and len(order) < rows[name].nunique()}


def describe_isolation(info: dict) -> str:
    """One sentence for the report."""
    scored = [v for v in info["values"] if v["best"] is not None]
    if not scored:
        return f"No value of {info['name']} has a feasible trial."
    ranked = sorted(scored, key=lambda v: v["mean"])
    first = ranked[0]
    text = (f"Best {info['name']} = {first['label']}: {fmt(first['mean'])} ± {fmt(first['std'])} "
            f"(trial {first['best']})")
    if len(ranked) > 1:
        second = ranked[1]
        gap = second["mean"] - first["mean"]
        noise = math.sqrt(first["std"] ** 2 + second["std"] ** 2)
        verdict = ("larger than" if gap > 2 * noise else "within") + " the retrain spread"
        text += (f"; next {second['label']}: {fmt(second['mean'])} ± {fmt(second['std'])}, a gap of "
                 f"{fmt(gap)}, {verdict} (search seeds; the decision confirms it on fresh seeds)")
    return text + "."


def plot_isolation(info: dict, path) -> None:
    from tunelab.analysis.plotting import COLORS, figure, short

    values = info["values"]
    with figure(path, figsize=(max(4.8, 1.3 * len(values) + 2.6), 4.0)) as fig:
        ax = fig.add_subplot()
        rng = np.random.default_rng(0)
        for i, v in enumerate(values):
            if len(v["others"]):
                jitter = rng.uniform(-0.12, 0.12, len(v["others"]))
                ax.plot(i + jitter, v["others"], "o", color="0.7", ms=4, zorder=1,
                        label="other trials" if i == 0 else None)
        period_marks = "v^s<>pD"
        for k, period in enumerate(info["periods"][:7]):
            xs = [i + 0.22 for i, v in enumerate(values) if v["best"] and period in v["per_period"]]
            ys = [v["per_period"][period] for v in values if v["best"] and period in v["per_period"]]
            ax.plot(xs, ys, period_marks[k], color=COLORS[(k + 2) % len(COLORS)], ms=4,
                    alpha=0.8, label=f"best, period {period}")
        best_x = [i for i, v in enumerate(values) if v["best"]]
        ax.errorbar(best_x, [values[i]["mean"] for i in best_x],
                    yerr=[values[i]["std"] for i in best_x], fmt="D", color="black", ms=7,
                    capsize=4, zorder=4, label="best trial: mean ± retrain std")
        for i in best_x:
            ax.annotate(short(values[i]["best"]), (i, values[i]["mean"]), xytext=(-14, 0),
                        textcoords="offset points", ha="right", va="center", fontsize=7)
        if info["winner"] is not None:
            w = info["winner"]
            ax.plot(w, values[w]["mean"], "*", color="gold", mec="black", ms=15, zorder=5)
        ax.set_xticks(range(len(values)), [v["label"] for v in values])
        ax.set_xlim(-0.6, len(values) - 0.4)
        shown = [v["mean"] - v["std"] for v in values if v["best"]]
        shown += [x for v in values if v["best"] for x in v["per_period"].values()]
        if shown:  # keep the bests readable even if some nuisance draws were far off
            tops = [v["mean"] + v["std"] for v in values if v["best"]]
            tops += [x for v in values if v["best"] for x in v["per_period"].values()]
            lo, hi = min(shown), max(tops)
            span = max(hi - lo, 1e-9)
            others = np.concatenate([v["others"] for v in values]) if values else np.array([])
            hi = max(hi, float(np.quantile(others, 0.75))) if len(others) else hi
            ax.set_ylim(lo - 0.15 * span, hi + 0.15 * span)
        nuisance = ", ".join(info["nuisance"]) or "nothing"
        ax.set_xlabel(info["name"] + (" (bucketed)" if info["bucketed"] else ""))
        ax.set_ylabel(f"{info['objective']} (lower is better)")
        ax.set_title(f"Isolation plot: {info['name']}\n(best over {nuisance})")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))


def isolation_file(trials_csv: str, context: dict, name: str, output: str) -> dict:
    """The isolation_plot rule: trials.csv -> plots/isolation.<name>.png."""
    info = _get_isolation_info(read_table(trials_csv), name, context)
    plot_isolation(info, output)
    print(describe_isolation(info))
    return info
