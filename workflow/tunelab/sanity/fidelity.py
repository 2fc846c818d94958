"""The fidelity study: does a cheap setting rank trials the way the full study does?

A cheap setting is a training length (`1w`, `1m`, `3m`, or `full`: the period's own window) and an
epoch budget (each trial's epochs capped at it, or `full`). Every trial of the study is trained in
every cheap setting, through the same `train` rule as the study itself: a cheap job's spec is the
full job's spec with a shorter training window and an `epochs` override, written under
results/<study>/fidelity/<setting>/runs/. The cheap settings train on the plan's most recent period
(`periods: fast`, the period fast mode uses: what fast mode would do) or on all of its periods
(`periods: all`: cheap training, but the full study's periods).

The reference is the full study: each trial's objective averaged over all its periods. For each
setting the report gives the Spearman and Kendall rank correlation of the trials' objectives with
the reference, where the setting's best trial ranks in the full study (and what picking it would
cost), and the training time it took. The recommendation is the cheapest setting whose Spearman
correlation reaches the threshold. Free numbers frame it: the full training on the cheap settings'
period(s) alone (how much agreement the choice of periods loses, whatever the training), each
setting's agreement with that same-period full training (how much the cheap training loses), and
the full study's agreement with itself across seeds (even vs odd seeds: no cheap setting can be
expected to agree better than that).
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tunelab.data.periods import Period
from tunelab.sanity.fast_mode import cap_epochs, shorten_training
from tunelab.search.plan import block_name, job_spec
from tunelab.study import StudyError
from tunelab.study.resolved import FidelityStudy

if TYPE_CHECKING:
    import pandas as pd

    from tunelab.search.plan import StudyPlan

SETTING_RE = r"(full|[1-9][0-9]*[dwm])-(full|e[1-9][0-9]*)"
TABLE_COLUMNS = ["setting", "kind", "train", "epochs", "periods", "trials", "runs", "train_time",
                 "cost_fraction", "example_epochs", "spearman", "spearman_low", "spearman_high",
                 "kendall", "best_trial",
                 "best_trial_full_rank", "regret", "spearman_same_periods", "kendall_same_periods",
                 "recommended"]


@dataclass(frozen=True)
class Setting:
    train: str  # "1w", "1m", "3m", ... or "full"
    epochs: int | None  # the epoch budget; None: each trial's own

    @property
    def name(self) -> str:
        return f"{self.train}-{'full' if self.epochs is None else f'e{self.epochs}'}"


@dataclass(frozen=True)
class FidelityPlan:
    study: str
    periods: list[Period]  # the full study's periods the cheap settings train on
    settings: list[Setting]
    trials: list[str]
    blocks: list[str]
    threshold: float
    skipped: tuple[str, ...] = ()  # default lengths that do not fit the study's training window

    @property
    def setting_by_name(self) -> dict[str, Setting]:
        return {s.name: s for s in self.settings}

    def jobs(self) -> list[tuple[str, str, str, str]]:
        """(setting, period, trial, block) of every cheap training job."""
        return [(s.name, p.id, t, b)
                for s in self.settings for p in self.periods for t in self.trials for b in self.blocks]

    def metrics_files(self) -> list[str]:
        return [f"{setting_dir(self.study, s)}/runs/{p}/{t}/{b}/metrics.json" for s, p, t, b in self.jobs()]


def setting_dir(study: str, setting: str) -> str:
    return f"results/{study}/fidelity/{setting}"


def parse_settings(config: FidelityStudy) -> list[Setting]:
    """Every training length x every epoch budget, except (full, full): that is the full study."""
    settings = []
    for train, epochs in itertools.product(config.train, config.epochs):
        budget = None if epochs == "full" else int(epochs)
        if train == "full" and budget is None:
            continue
        settings.append(Setting(str(train), budget))
    return settings


def fidelity_plan(sp: StudyPlan) -> FidelityPlan | None:
    """The cheap jobs of a study's fidelity study (None for a fast study: it is already cheap)."""
    study, plan = sp.study, sp.plan
    if study.fast.on:
        return None
    config = study.fidelity
    periods = plan.periods[-1:] if config.periods == "fast" else list(plan.periods)
    settings, skipped = [], []
    for setting in parse_settings(config):
        try:
            for period in periods:
                shorten_training(period, setting.train, key="fidelity.train")
        except StudyError:
            if config.given:
                raise
            skipped.append(setting.name)  # a default length longer than this study trains on
            continue
        settings.append(setting)
    return FidelityPlan(study=study.name, periods=periods, settings=settings,
                        trials=[t.id for t in plan.trials],
                        blocks=[block_name(b) for b in plan.seed_blocks],
                        threshold=float(config.threshold), skipped=tuple(skipped))


def setting_spec(sp: StudyPlan, fp: FidelityPlan, setting: str, period: str, trial: str,
                 block: str) -> dict:
    """The full job's spec with the setting's training window and epoch budget (no test window)."""
    chosen = fp.setting_by_name[setting]
    spec = job_spec(sp.study, sp.plan, period, trial, block)
    short = shorten_training(sp.plan.period_by_id[period], chosen.train, key="fidelity.train")
    spec["windows"] = {**short.windows(), "test": None}  # cheap runs are for ranking, not testing
    spec["hyperparameters"] = cap_epochs(spec["hyperparameters"], chosen.epochs)
    spec["fidelity"] = chosen.name
    return spec


# --- analysis: rank agreement, cost, recommendation ------------------------------------------------


def trial_objectives(runs: pd.DataFrame, objective: str) -> pd.Series:
    """Per trial: the mean over periods of the mean over seeds; NaN if any run is infeasible."""
    import numpy as np

    ok = runs.assign(value=runs[objective].where(runs["status"] == "ok"))
    per_period = ok.groupby(["trial", "period"]).agg(mean=("value", "mean"), n=("value", "size"),
                                                     feasible=("value", "count"))
    per_period.loc[per_period["feasible"] < per_period["n"], "mean"] = np.nan
    return per_period["mean"].groupby(level="trial").agg(lambda s: s.mean(skipna=False))


def rank_agreement(reference: pd.Series, cheap: pd.Series) -> dict:
    """Spearman / Kendall of two objective series (lower is better) over their common trials.

    An infeasible trial (NaN) ranks last in its series. Also: the cheap series' best trial, its
    rank in the reference (1 = the same best), and its regret: how much worse its reference
    objective is than the reference best, as a fraction of the latter.
    """
    import numpy as np
    from scipy import stats

    common = reference.index.intersection(cheap.index)
    a = reference.loc[common].astype(float).fillna(np.inf)
    b = cheap.loc[common].astype(float).fillna(np.inf)
    out = {"trials": len(common), "spearman": math.nan, "spearman_low": math.nan,
           "spearman_high": math.nan, "kendall": math.nan, "best_trial": "",
           "best_trial_full_rank": math.nan, "regret": math.nan}
    if len(common) == 0:
        return out
    pick = b.idxmin()
    ranks = stats.rankdata(a.to_numpy(), method="min")
    out["best_trial"] = pick
    out["best_trial_full_rank"] = int(ranks[list(common).index(pick)])
    best = a.min()
    if math.isfinite(best) and math.isfinite(a[pick]) and best != 0:
        out["regret"] = float((a[pick] - best) / abs(best))
    elif not math.isfinite(a[pick]):
        out["regret"] = math.inf
    if len(common) >= 3:
        ra, rb = stats.rankdata(a.to_numpy()), stats.rankdata(b.to_numpy())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a constant series: the correlation is undefined (NaN)
            out["spearman"] = float(stats.spearmanr(ra, rb).statistic)
            out["kendall"] = float(stats.kendalltau(ra, rb).statistic)
            out["spearman_low"], out["spearman_high"] = bootstrap_spearman(a.to_numpy(), b.to_numpy())
    return out


def bootstrap_spearman(a, b, resamples: int = 2000, level: float = 0.9, seed: int = 0) -> tuple:
    """A `level` interval of Spearman's rho, resampling the trials (with few trials, rho is rough)."""
    import numpy as np
    from scipy import stats

    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(a), size=(resamples, len(a)))
    ra = stats.rankdata(np.where(np.isfinite(a), a, np.inf)[idx], axis=1)
    rb = stats.rankdata(np.where(np.isfinite(b), b, np.inf)[idx], axis=1)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    denom = np.sqrt((ra * ra).sum(axis=1) * (rb * rb).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (ra * rb).sum(axis=1) / denom
    rho = rho[np.isfinite(rho)]  # a resample with one distinct value has no correlation
    if len(rho) == 0:
        return math.nan, math.nan
    tail = (1 - level) / 2
    return float(np.quantile(rho, tail)), float(np.quantile(rho, 1 - tail))


def seed_ceiling(runs: pd.DataFrame, objective: str) -> dict | None:
    """The full study's agreement with itself: even seeds against odd seeds (None with one seed).

    `rerun`: that agreement carried to the full seed count (Spearman-Brown, 2r / (1 + r)): about
    how well a rerun of the whole study with fresh seeds would agree with it. A cheap setting is
    read against this noise ceiling, not against 1."""
    seeds = sorted(runs["seed"].unique())
    if len(seeds) < 2:
        return None
    even = runs[runs["seed"].isin(seeds[0::2])]
    odd = runs[runs["seed"].isin(seeds[1::2])]
    out = rank_agreement(trial_objectives(even, objective), trial_objectives(odd, objective))
    half = out["spearman"]
    out["rerun"] = 2 * half / (1 + half) if math.isfinite(half) and half > 0 else half
    return out


def example_epochs(runs: pd.DataFrame) -> float:
    """A machine-independent cost: training examples x epochs run, summed over runs."""
    return float((runs["train_examples"] * runs["epochs_run"]).sum())


def fidelity_table(full: pd.DataFrame, cheap: pd.DataFrame, objective: str, periods: list[str],
                   settings: list[Setting], threshold: float) -> pd.DataFrame:
    """One row per setting: the full study, the full training on `periods` alone (if that is not
    the whole study), every cheap setting.

    `full` is the study's runs.csv; `cheap` the cheap runs with a `setting` column.
    """
    import pandas as pd

    reference = trial_objectives(full, objective)
    full_cost = float(full["train_time"].sum())
    rows = [{"setting": "full", "kind": "full", "train": "full", "epochs": "full",
             "periods": int(full["period"].nunique()), "runs": len(full),
             "train_time": full_cost, "example_epochs": example_epochs(full),
             **rank_agreement(reference, reference)}]
    same = full[full["period"].isin(periods)]
    same_reference = trial_objectives(same, objective) if len(same) else reference
    if len(same) and set(periods) != set(full["period"]):
        n = same["period"].nunique()
        rows.append({"setting": f"full-{n}period" + ("s" if n > 1 else ""), "kind": "period",
                     "train": "full", "epochs": "full", "periods": n, "runs": len(same),
                     "train_time": float(same["train_time"].sum()),
                     "example_epochs": example_epochs(same),
                     **rank_agreement(reference, same_reference)})
    for setting in settings:
        runs = cheap[cheap["setting"] == setting.name] if len(cheap) else cheap
        if len(runs) == 0:
            continue
        objectives = trial_objectives(runs, objective)
        versus_same = rank_agreement(same_reference, objectives)
        rows.append({"setting": setting.name, "kind": "cheap", "train": setting.train,
                     "epochs": "full" if setting.epochs is None else str(setting.epochs),
                     "periods": int(runs["period"].nunique()), "runs": len(runs),
                     "train_time": float(runs["train_time"].sum()),
                     "example_epochs": example_epochs(runs),
                     **rank_agreement(reference, objectives),
                     "spearman_same_periods": versus_same["spearman"],
                     "kendall_same_periods": versus_same["kendall"]})
    table = pd.DataFrame(rows)
    for col in ("spearman_same_periods", "kendall_same_periods"):
        if col not in table:
            table[col] = math.nan
    table["cost_fraction"] = table["train_time"] / full_cost if full_cost > 0 else math.nan
    choice, _ = recommend(table, threshold)
    table["recommended"] = table["setting"] == choice
    return table[TABLE_COLUMNS]


def recommend(table: pd.DataFrame, threshold: float) -> tuple[str | None, str]:
    """The cheapest cheap setting whose Spearman reaches `threshold`, and why, in numbers."""
    cheap = table[table["kind"] == "cheap"]
    if cheap.empty:
        return None, "No cheap setting was run."
    good = cheap[cheap["spearman"] >= threshold].sort_values(["train_time", "spearman"],
                                                              ascending=[True, False])
    if good.empty:
        best = cheap.sort_values("spearman", ascending=False, na_position="last").iloc[0]
        return None, (f"No cheap setting reaches Spearman {threshold:.2f}: the closest is "
                      f"{best['setting']} (Spearman {_f(best['spearman'])}, Kendall "
                      f"{_f(best['kendall'])}) at {_pct(best['cost_fraction'])} of the full training "
                      "time. Keep the full mode for decisions, or try longer cheap settings.")
    pick = good.iloc[0]
    low, high = pick.get("spearman_low", math.nan), pick.get("spearman_high", math.nan)
    cheaper = cheap[(cheap["train_time"] < pick["train_time"]) & (cheap["setting"] != pick["setting"])]
    why = (f"{pick['setting']} is the cheapest setting whose ranking agrees with the full study at "
           f"Spearman >= {threshold:.2f}: Spearman {_f(pick['spearman'])} (90% bootstrap interval "
           f"{_f(low)} to {_f(high)}), Kendall "
           f"{_f(pick['kendall'])} over {int(pick['trials'])} trials, at "
           f"{_pct(pick['cost_fraction'])} of the full training time ({pick['train_time']:.1f} s "
           f"against {table.loc[table['kind'] == 'full', 'train_time'].iloc[0]:.1f} s). "
           f"Its best trial is the full study's #{_rank(pick['best_trial_full_rank'])}"
           f"{_regret_text(pick['regret'])}.")
    if len(cheaper):
        listed = ", ".join(f"{r.setting} ({_f(r.spearman)})"
                           for r in cheaper.sort_values("train_time").itertuples())
        why += f" The cheaper settings fall short (Spearman): {listed}."
    if math.isfinite(low) and low < threshold:
        why += (f" Tentative: over these {int(pick['trials'])} trials the interval reaches down to "
                f"{_f(low)}; more trials would settle it.")
    return str(pick["setting"]), why


def _f(x) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.2f}"


def _pct(x) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}%"


def _rank(x) -> str:
    return "?" if x is None or (isinstance(x, float) and math.isnan(x)) else str(int(x))


def _regret_text(regret) -> str:
    if regret is None or (isinstance(regret, float) and math.isnan(regret)) or regret == 0:
        return ""
    if math.isinf(regret):
        return " (infeasible in the full study)"
    return f" (its full-study objective is {100 * regret:.1f}% worse than the best's)"


# --- plot -------------------------------------------------------------------------------------------


def _get_fidelity_info(table: pd.DataFrame, threshold: float, ceiling: float | None) -> dict:
    """What the trade-off plot draws: one point per setting (cost fraction, Spearman, Kendall)."""
    points = []
    for row in table.itertuples():
        if row.kind == "full" or not math.isfinite(row.cost_fraction):
            continue
        points.append({"setting": row.setting, "kind": row.kind, "train": row.train,
                       "epochs": row.epochs, "cost": float(row.cost_fraction),
                       "spearman": float(row.spearman), "kendall": float(row.kendall),
                       "low": float(row.spearman_low), "high": float(row.spearman_high),
                       "recommended": bool(row.recommended)})
    trains = [p["train"] for p in points if p["kind"] == "cheap"]
    return {"points": points, "threshold": threshold, "ceiling": ceiling,
            "trains": list(dict.fromkeys(sorted(trains, key=_length_order)))}


def _length_order(train: str) -> float:
    if train == "full":
        return math.inf
    from tunelab.sanity.fast_mode import parse_length

    n, unit = parse_length(train)
    return n * {"d": 1, "w": 7, "m": 30.4}[unit]


def plot_fidelity(info: dict, path: str | Path, title: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tunelab.io import atomic_path

    fig, ax = plt.subplots(figsize=(9.5, 4.8), layout="constrained")
    colors = plt.get_cmap("viridis")
    n = max(len(info["trains"]), 1)
    color_of = {t: colors(0.1 + 0.75 * i / max(n - 1, 1)) for i, t in enumerate(info["trains"])}
    ax.axhline(info["threshold"], color="tab:red", ls="--", lw=1,
               label=f"threshold (Spearman {info['threshold']:.2f})")
    if info["ceiling"] is not None and math.isfinite(info["ceiling"]):
        ax.axhline(info["ceiling"], color="0.5", ls=":", lw=1,
                   label=f"full study, seeds vs seeds ({info['ceiling']:.2f})")
    _draw_fidelity_points(ax, info["points"], color_of)
    for train, color in color_of.items():
        ax.scatter([], [], marker="o", s=50, color=color, label=f"train {train}")
    ax.scatter([], [], marker="o", s=22, facecolor="none", edgecolor="0.3", label="(Kendall)")
    ax.plot([], [], color="0.75", lw=1, label="Spearman, 90% bootstrap interval")
    ax.scatter(1.0, 1.0, marker="*", s=140, color="black", zorder=3, label="full study (reference)")
    _fidelity_axes(ax, info["points"])
    ax.grid(alpha=0.3, which="both")
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(unique.values(), unique.keys(), fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title(title or "Fidelity: ranking agreement against cost", fontsize=10)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)


def _draw_fidelity_points(ax, points: list[dict], color_of: dict) -> None:
    """Each setting's Spearman (with its interval and Kendall) at its cost; the period-only points."""
    for p in points:
        y = p["spearman"] if math.isfinite(p["spearman"]) else -1.0
        if math.isfinite(p["low"]) and math.isfinite(p["spearman"]):
            ax.plot([p["cost"], p["cost"]], [p["low"], p["high"]], color="0.75", lw=1, zorder=1)
        if p["kind"] == "period":
            ax.scatter(p["cost"], y, marker="s", s=60, color="0.3", zorder=3,
                       label="full training, the same period(s) only")
        else:
            ax.scatter(p["cost"], y, marker="o", s=50, color=color_of[p["train"]], zorder=3,
                       edgecolor="black" if p["recommended"] else "none", linewidth=1.5)
            if math.isfinite(p["kendall"]):
                ax.scatter(p["cost"], p["kendall"], marker="o", s=22, facecolor="none",
                           edgecolor=color_of[p["train"]], zorder=2)
        label = p["setting"] + ("  (recommended)" if p["recommended"] else "")
        ax.annotate(label, (p["cost"], y), xytext=(5, 4), textcoords="offset points", fontsize=7.5,
                    fontweight="bold" if p["recommended"] else "normal")


def _fidelity_axes(ax, points: list[dict]) -> None:
    """Cost on a log axis in % of the full study; correlation down to the lowest point."""
    import matplotlib.ticker

    ax.set_xscale("log")
    costs = [p["cost"] for p in points if p["cost"] > 0] + [1.0]
    ax.set_xlim(min(costs) / 1.6, 2.2)  # room for the labels right of the points
    ax.xaxis.set_major_locator(matplotlib.ticker.LogLocator(base=10, subs=(1.0, 3.0)))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{100 * v:.3g}%"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("training time, % of the full study (log scale)")
    ax.set_ylabel("rank correlation with the full study")
    lows = [v for p in points for v in (p["spearman"], p["low"], p["kendall"]) if math.isfinite(v)]
    ax.set_ylim(min(-0.05, min(lows, default=0) - 0.05), 1.05)


# --- report -----------------------------------------------------------------------------------------


def fidelity_markdown(study: str, table: pd.DataFrame, threshold: float, objective: str,
                      periods: list[str], ceiling: dict | None, skipped: tuple[str, ...] = ()) -> str:
    choice, why = recommend(table, threshold)
    full = table[table["kind"] == "full"].iloc[0]
    where = (f"period {periods[0]} (the most recent: the one fast mode uses)" if len(periods) == 1
             else f"the full study's {len(periods)} periods ({', '.join(periods)})")
    lines = [f"# Fidelity of cheap settings: {study}", ""]
    lines += ["Does a cheap setting rank the study's trials the way the full study does? Every trial "
              f"was trained in each cheap setting on {where} and ranked by {objective}; the "
              f"reference is the full study ({int(full['periods'])} periods, {int(full['runs'])} runs, "
              f"{full['train_time']:.1f} s of training).", ""]
    lines += ["## Recommendation", "", f"**{choice or 'full mode'}**. {why}", ""]
    lines += ceiling_lines(table, threshold, ceiling)
    if choice:
        pick = table[table["setting"] == choice].iloc[0]
        epochs = f", `fast_epochs: {pick['epochs']}`" if pick["epochs"] != "full" else ""
        if pick["train"] != "full" and len(periods) == 1:
            lines += [f"To use it as the study's fast mode: `fast_train: {pick['train']}`{epochs}.", ""]
        elif pick["train"] != "full":
            lines += [f"To use it as the study's fast mode on these {len(periods)} periods: "
                      f"`fast_periods: {len(periods)}`, `fast_train: {pick['train']}`{epochs}.", ""]
        elif len(periods) > 1:
            lines += ["It was measured on all the study's periods: use it with every period (a shorter "
                      "`periods.train_months`, fewer `epochs`), not as the one-period fast mode.", ""]
    lines += _interpretation(table, threshold, ceiling)
    lines += ["## All settings", "",
              "| setting | train | epochs | runs | training time (s) | cost | Spearman (90% interval) "
              "| Kendall "
              "| its best trial: full rank | regret | Spearman, same period(s) |",
              "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in table.sort_values(["kind", "train_time"], key=_kind_key).itertuples():
        mark = " **(recommended)**" if r.recommended else ""
        regret = "-" if not math.isfinite(r.regret) else f"{100 * r.regret:.1f}%"
        if math.isinf(r.regret):
            regret = "infeasible"
        same = "-" if r.kind != "cheap" else _f(r.spearman_same_periods)
        lines.append(f"| {r.setting}{mark} | {r.train} | {r.epochs} | {r.runs} | {r.train_time:.1f} "
                     f"| {_pct(r.cost_fraction)} | {_f(r.spearman)}{_interval(r)} | {_f(r.kendall)} "
                     f"| {_rank(r.best_trial_full_rank)} | {regret} | {same} |")
    lines += ["", "Spearman and Kendall: rank correlation of the trials' objectives with the full study's "
              f"(over {int(full['trials'])} trials; an infeasible trial ranks last). Same period(s): "
              "with the full training on the setting's own period(s) instead, i.e. what the cheap "
              "training alone loses. Cost: training time summed over runs, against the full study's "
              "(the job start-up, about 2 s a job for Python and torch, comes on top for every "
              "setting). Regret: how much worse the full-study objective of the setting's best trial is "
              "than the full study's best.", "", "![fidelity](fidelity.png)", ""]
    if skipped:
        lines += [f"Skipped (longer than this study's training window): {', '.join(skipped)}.", ""]
    return "\n".join(lines)


def ceiling_lines(table: pd.DataFrame, threshold: float, ceiling: dict | None) -> list[str]:
    """The noise ceiling, read against the recommendation: how far each cheap setting's agreement
    falls short of what a rerun of the full study itself would reach."""
    if ceiling is None:
        return ["**Noise ceiling unmeasured**: the full study has one seed, so whether a low "
                "Spearman means a poor cheap setting or a noisy full ranking cannot be told.", ""]
    rerun = ceiling.get("rerun", math.nan)
    if not math.isfinite(rerun):
        return []
    cheap = table[table["kind"] == "cheap"]
    best = cheap.sort_values("spearman", ascending=False, na_position="last").head(1)
    text = (f"**Noise ceiling**: a rerun of the full study with fresh seeds would agree with it at "
            f"about Spearman {rerun:.2f} (its even and odd seeds agree at {_f(ceiling['spearman'])}, "
            "carried to all its seeds); no cheap setting can be expected to do better.")
    if rerun < threshold:
        text += (f" That is below the threshold {threshold:.2f}: the full ranking is itself mostly "
                 "seed noise here, so a low Spearman says little about the cheap setting; more "
                 "seeds or a wider search first.")
    if len(best) and math.isfinite(best["spearman"].iloc[0]) and rerun > 0:
        text += (f" The best cheap setting, {best['setting'].iloc[0]}, reaches "
                 f"{_f(best['spearman'].iloc[0])}, {100 * best['spearman'].iloc[0] / rerun:.0f}% of "
                 "the ceiling.")
    return [text, ""]


def _interpretation(table: pd.DataFrame, threshold: float, ceiling: dict | None) -> list[str]:
    """What bounds the agreement: the full study's own noise, and the choice of periods."""
    lines = []
    if ceiling is not None:
        text = (f"For scale: seed against seed (even against odd seeds), the full study agrees with "
                f"itself at Spearman {_f(ceiling['spearman'])}, Kendall {_f(ceiling['kendall'])}: a cheap "
                "setting that reaches about that agrees as well as a rerun of the full study would.")
        if math.isfinite(ceiling["spearman"]) and ceiling["spearman"] < threshold:
            text += (f" That is below the threshold ({threshold:.2f}): the trials' differences are "
                     "close to the seed noise, so no ranking (cheap or not) is settled; more seeds "
                     "or a wider search would make the comparison sharper.")
        lines += [text, ""]
    one = table[table["kind"] == "period"]
    if len(one):
        r = one.iloc[0]
        text = (f"The full training on the cheap settings' period(s) alone ({r['setting']}) agrees at "
                f"Spearman {_f(r['spearman'])}")
        if math.isfinite(r["spearman"]) and r["spearman"] < threshold:
            text += (": the choice of periods, not the cheap training, loses most of the ranking here "
                     "(the trials' order changes from period to period: data variance). A cheap mode "
                     "on fewer periods cannot be trusted for this study; `periods: all` measures the "
                     "cheap training on every period.")
        else:
            text += ": the period(s) keep the ranking; the cheap training decides the rest."
        lines += [text, ""]
    return lines


def _interval(r) -> str:
    if r.kind == "full" or not math.isfinite(r.spearman_low):
        return ""
    return f" ({_f(r.spearman_low)} to {_f(r.spearman_high)})"


def _kind_key(column):
    if column.name == "kind":
        return column.map({"full": 0, "period": 1, "cheap": 2})
    return column


def cheap_runs(paths: list[str]) -> pd.DataFrame:
    """The cheap runs, with the setting read from each path (.../fidelity/<setting>/runs/...)."""
    import pandas as pd

    from tunelab.collect import read_block

    rows = []
    for path in paths:
        setting = Path(path).parts[-6]
        rows += [{**row, "setting": setting} for row in read_block(path)]
    return pd.DataFrame(rows)


def fidelity_file(runs_csv: str, cheap_paths: list[str], out_csv: str, out_png: str, out_md: str,
                  study: str, objective: str, periods: list[str], settings: list[dict], threshold: float,
                  skipped: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """The fidelity rule: full runs + cheap runs -> fidelity.csv, fidelity.png, fidelity.md."""
    import pandas as pd

    from tunelab.collect import write_table
    from tunelab.io import write_text

    full = pd.read_csv(runs_csv, keep_default_na=False, na_values=[""])
    cheap = cheap_runs(cheap_paths)
    parsed = [Setting(s["train"], s["epochs"]) for s in settings]
    periods = list(periods)
    table = fidelity_table(full, cheap, objective, periods, parsed, threshold)
    ceiling = seed_ceiling(full, objective)
    write_table(table, out_csv)
    info = _get_fidelity_info(table, threshold, ceiling["spearman"] if ceiling else None)
    where = f"period {periods[0]}" if len(periods) == 1 else f"{len(periods)} periods"
    plot_fidelity(info, out_png, title=f"{study}: ranking agreement against cost ({where})")
    write_text(out_md, fidelity_markdown(study, table, threshold, objective, periods, ceiling,
                                         tuple(skipped)))
    print(table.to_string())
    print(recommend(table, threshold)[1])
    return table
