"""results/<study>/report.md (for people) and summary.json (headline numbers for DVC and CI).

The report reads top to bottom: the question and the verdict, the periods, the leaderboard, the
three variances, the axis and isolation plots, the training curves, the checklist and the decision.
It only assembles what the other rules computed; every number in it is in one of their outputs.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import pandas as pd

from tunelab.analysis.axis import boundary_check
from tunelab.analysis.isolation import describe_isolation, isolation_info
from tunelab.analysis.skill import (
    IN_SKILL,
    baseline_rows,
    best_simple,
    label,
    losers,
    mean_disagreement_lines,
    period_loss_count,
    period_loss_words,
    period_losses,
    read_baselines,
    skill_scores,
)
from tunelab.analysis.tables import (
    jsonable,
    markdown_table,
    overall,
    ranked,
    read_table,
    stopped_at_a_rung,
    varying_columns,
)
from tunelab.fmt import fmt, listing
from tunelab.io import optional_input, write_text
from tunelab.report.warmstart import warm_start_lines

VERDICT_CODE = {"ADOPT": 1, "INCONCLUSIVE": 0, "REJECT": -1}
LEADERBOARD_ROWS = 10


def leaderboard_table(trials: pd.DataFrame, context: dict, top: int = LEADERBOARD_ROWS,
                      baselines: pd.DataFrame | None = None) -> pd.DataFrame:
    """The best `top` trials, then the simple baselines (rank `simple`) on the same periods. With
    baselines: a `skill` column (1 - error / best simple baseline's error, per period, averaged)
    and trials worse than the best simple baseline marked in their rank."""
    objective = context["objective"]
    board = ranked(trials)
    cols = varying_columns(trials, context)
    frame = pd.DataFrame({
        "rank": range(1, len(board) + 1),
        "trial": board["trial"].to_numpy(),
        "group": board["group"].to_numpy(),
        **phase_columns(board),
        objective: board["objective_mean"].to_numpy(),
        "retrain std": board["objective_std"].to_numpy(),
        "period std": board["period_std"].to_numpy(),
        "worst period": board["worst_period"].to_numpy(),
        **{c: board[c].to_numpy() for c in cols},
    })
    frame["rank"] = [str(r) if pd.notna(v) else "infeasible"
                     for r, v in zip(frame["rank"], frame[objective], strict=True)]
    if context.get("full_epochs") and "rung_epochs" in board:  # rungs: which trials trained fully
        stopped = stopped_at_a_rung(board, context)
        frame.insert(3, "epochs", [f"{int(e)} (stopped at a rung)" if s and pd.notna(e) else
                                   (str(int(e)) if pd.notna(e) else "") for e, s in
                                   zip(board["rung_epochs"], stopped, strict=True)])
    frame = frame.head(top)
    if baselines is not None and not baselines.empty:
        best = best_simple(baselines, objective)
        lose = set(losers(trials, baselines, objective))
        frame["rank"] = [f"{r} (worse than {label(best[0])})" if t in lose else r
                         for r, t in zip(frame["rank"], frame["trial"], strict=True)]
        frame.insert(frame.columns.get_loc(objective) + 1, "skill",  # beside the objective, whatever
                     frame["trial"].map(skill_scores(trials, baselines, objective)["skill"]))  # precedes
        simple = baseline_rows(baselines, objective)
        frame = pd.concat([frame, pd.DataFrame({
            "rank": "simple", "trial": [label(b) for b in simple["baseline"]], "group": "",
            **{c: "" for c in phase_columns(board)},
            objective: simple["objective_mean"], "skill": simple["skill"],
            "retrain std": "", "period std": simple["period_std"],
            "worst period": simple["worst_period"], **{c: "" for c in cols}})], ignore_index=True)
    if not context["scientific"] or context["mode"] == "joint":
        frame = frame.drop(columns="group")
    return frame


def baseline_lines(trials: pd.DataFrame, baselines: pd.DataFrame | None, context: dict) -> list[str]:
    """What the leaderboard's simple-baseline rows say, in words."""
    objective = context["objective"]
    best = best_simple(baselines, objective)
    if best is None:
        return ["No simple baselines (baselines.csv): nothing says what the obvious forecast scores."]
    lose = losers(trials, baselines, objective)
    n = len(overall(trials).dropna(subset=["objective_mean"]))
    lines = [f"Rows `simple`: the simple baselines fitted on each period's training window. The best, "
             f"{label(best[0])}, scores {fmt(best[1])}. Skill = 1 - error / the best simple "
             "baseline's error on that period, averaged over periods (0: no better than the "
             "obvious forecast; scale-free, so every period counts the same)."]
    stopped = set(overall(trials).loc[stopped_at_a_rung(overall(trials), context), "trial"])
    if lose and stopped:
        lines.append(rung_losers(lose, stopped, n, label(best[0])))
    elif lose:
        lines.append(f"**{len(lose)} of {n} feasible trials are worse than {label(best[0])}** "
                     f"(the best simple baseline; negative skill): {listing(lose, 10)}.")
    else:
        lines.append(f"Every feasible trial beats the best simple baseline ({label(best[0])}) {IN_SKILL}.")
    lines += mean_disagreement_lines(trials, baselines, objective)  # skill against the objective column
    losses = period_losses(trials, baselines, objective)
    if losses:
        lines.append(f"**{period_loss_count(losses, n - len(lose))}** ({period_loss_words(losses)}).")
    return lines


def rung_losers(lose: list[str], stopped: set[str], n: int, simple: str) -> str:
    """Trials worse than the best simple forecast, those trained fully apart from those a rung
    stopped (measured after fewer epochs: not the same claim)."""
    full = [t for t in lose if t not in stopped]
    rest = len(lose) - len(full)
    subject = f"{rest} of the {len(stopped)} trials stopped at a rung are" if len(stopped) > 1 else \
        f"the one trial stopped at a rung is{'' if rest else ' not'}"
    late = f"{subject} worse{' too' if full and rest else ''}, measured after fewer epochs."
    if not full:
        return (f"Every trial trained to the full budget beats {simple} (the best simple baseline) "
                f"{IN_SKILL}; " + late)
    return (f"**{len(full)} of the {n - len(stopped)} trials trained to the full budget are worse than "
            f"{simple}** (the best simple baseline; negative skill): {', '.join(full[:10])}; " + late)


def summary_numbers(trials, runs, variance, checklist, decision, context, baselines=None) -> dict:
    board = ranked(trials).dropna(subset=["objective_mean"])
    best = board.iloc[0] if len(board) else None
    periods = decision.get("periods") or []
    test = decision.get("test") or []
    sv = variance.get("study", {})
    verdicts = [i["verdict"] for i in checklist]
    question = decision.get("question") or {}

    def mean_of(key):
        values = [p[key] for p in periods if p.get(key) is not None and math.isfinite(p[key])]
        return sum(values) / len(values) if values else None

    def test_mean(key):
        values = [r[key] for r in test if r.get(key) is not None and math.isfinite(r[key])]
        return sum(values) / len(values) if values else None

    infeasible = int((runs["status"] != "ok").sum()) if len(runs) else 0
    return jsonable({
        "study": context["study"], "month": context["month"], "objective": context["objective"],
        "verdict": decision["verdict"], "verdict_code": VERDICT_CODE[decision["verdict"]],
        "adopt": int(decision["verdict"] == "ADOPT"),
        "periods": len(variance.get("periods", [])), "trials": int(len(overall(trials))),
        "runs": int(len(runs)), "infeasible_runs": infeasible,
        "infeasible_fraction": infeasible / len(runs) if len(runs) else 0.0,
        "best_trial": None if best is None else best["trial"],
        "best_group": None if best is None else best["group"],
        "best_objective": None if best is None else float(best["objective_mean"]),
        "best_retrain_std": None if best is None else float(best["objective_std"]),
        "best_period_std": None if best is None else float(best["period_std"]),
        "pooled_retrain_std": variance["retrain_std"]["overall"],
        "rank_agreement_spearman": variance["rank_agreement"]["spearman_mean"],
        "rank_agreement_kendall_w": variance["rank_agreement"]["kendall_w"],
        "study_repeats": sv.get("repeats", 1),
        "study_best_std": sv.get("std") if sv.get("measured") else None,
        "baseline_trial": decision["baseline"]["trial"],
        "candidate_trial": (decision.get("candidate") or {}).get("trial"),
        "baseline_confirmed": mean_of("baseline_mean"),
        "candidate_confirmed": mean_of("candidate_mean"),
        "gain": decision.get("mean_gain"), "relative_gain": decision.get("mean_relative_gain"),
        "required_gain": decision.get("required_gain"),
        "changed_hyperparameters": len(decision.get("changed") or []),
        "periods_better": sum(p["outcome"] == "better" for p in periods),
        "periods_worse": sum(p["outcome"] == "worse" for p in periods),
        "baseline_test": test_mean("baseline_test"), "candidate_test": test_mean("candidate_test"),
        "checklist_warnings": verdicts.count("warning"), "checklist_notes": verdicts.count("note"),
        "question_winner": question.get("winner"), "question_clear": question.get("clear"),
        **simple_numbers(trials, baselines, context, None if best is None else best["trial"]),
    })


def simple_numbers(trials, baselines, context: dict, best: str | None) -> dict:
    """The simple baselines in summary.json: the best one's objective, the best trial's skill, and
    how many trials lose to it (None without baselines.csv)."""
    objective = context["objective"]
    simple = best_simple(baselines, objective)
    skill = skill_scores(trials, baselines, objective)["skill"] if simple else None
    return {"best_simple_baseline": simple[0] if simple else None,
            "best_simple_baseline_objective": simple[1] if simple else None,
            "best_skill": float(skill[best]) if simple and best in skill.index else None,
            "trials_worse_than_simple_baseline":
                len(losers(trials, baselines, objective)) if simple else None}


def _demote(markdown: str, levels: int = 1) -> str:
    """Drop the page title and push every heading `levels` deeper, to nest a page in the report."""
    lines = markdown.splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    return "\n".join(re.sub(r"^(#+) ", lambda m: "#" * (len(m.group(1)) + levels) + " ", line)
                     for line in lines).strip()


def phase_columns(board: pd.DataFrame) -> dict:
    """`phase` and `round` of each trial, shown only when the study has an adaptive phase."""
    if "phase" not in board or set(board["phase"].dropna()) <= {"exploration"}:
        return {}
    return {"phase": board["phase"].to_numpy(), "round": board["round"].to_numpy()}


def convergence_lines(plots: dict, context: dict, trials=None, variance: dict | None = None) -> list[str]:
    """The convergence plot: best objective so far against trials, phases and rounds marked; and
    what the adaptive phase bought, in units of the search's retrain std."""
    if not plots.get("convergence"):
        return []
    bought = adaptive_gain(trials, context, variance) if trials is not None else None
    order = ("(exploration first, then each adaptive round)" if bought else "")
    lines = ["## Convergence", "",
             f"Best {context['objective']} so far against the trials in the order the search drew "
             f"them{' ' + order if order else ''}; the band is the retrain std of the best trial."
             + (" Adaptive trials are not uniform draws: axis plots over them are biased towards the "
                "region the optimiser favoured." if bought else ""), ""]
    return lines + ([bought, ""] if bought else []) + [f"![convergence]({plots['convergence']})", ""]


def adaptive_gain(trials, context: dict, variance: dict | None) -> str | None:
    """What the adaptive phase bought over the exploration's best, in units of the search's
    retrain std, and how many of its trials sat on an edge of the search range."""
    from tunelab.analysis.tables import unit_position

    rows = overall(trials).dropna(subset=["objective_mean"])
    if "phase" not in rows or not (rows["phase"] == "adaptive").any():
        return None
    explored = rows[rows["phase"] != "adaptive"]["objective_mean"].min()
    adaptive = rows[rows["phase"] == "adaptive"]
    gain = explored - adaptive["objective_mean"].min()
    noise = ((variance or {}).get("retrain_std") or {}).get("overall", math.nan)
    size = f" ({abs(gain) / noise:.2g}x the search's retrain std)" if noise and math.isfinite(noise) else ""
    ranged = {n: i for n, i in context["space"].items() if i.get("kind") != "categorical" and n in adaptive}
    on_edge = [any(abs(unit_position(float(r[n]), i) - 0.5) >= 0.475 for n, i in ranged.items()
                   if pd.notna(r[n])) for _, r in adaptive.iterrows()]
    edge = sum(on_edge)
    best_on_edge = gain > 0 and on_edge[int(adaptive["objective_mean"].to_numpy().argmin())]
    text = (f"The adaptive phase's {len(adaptive)} trials improved the exploration's best by "
            f"{fmt(gain)}{size}." if gain > 0 else
            f"The adaptive phase's {len(adaptive)} trials did not improve on the exploration's best: "
            f"the best of them is {fmt(-gain)} behind it{size}.")
    if edge:
        text += (f" {edge} of them {'lies' if edge == 1 else 'lie'} on an edge of the search range "
                 "(within 2.5% of it)")
        text += (", the best trial among them: the optimum may lie beyond that edge; widen the range "
                 "there." if best_on_edge else
                 ", where the model is least certain; the best trial is not among them, so this "
                 "alone is no reason to widen the range.")
    return text


def report_markdown(trials, runs, periods, variance, checklist_md, decision, decision_md,
                    plots: dict, context: dict, baselines: pd.DataFrame | None = None,
                    rungs_md: str = "", trainer_check: dict | None = None,
                    importance: pd.DataFrame | None = None) -> str:
    """report.md: the summary, then one section per kind of evidence, in reading order.
    `trainer_check`: what the study's own trainer was found to keep (tunelab.train.check);
    `importance`: importance.csv (tunelab.analysis.importance)."""
    lines = summary_section(trials, runs, periods, decision, context)
    lines += warm_start_lines(trials, decision, context)
    lines += periods_section(periods, plots)
    lines += leaderboard_section(trials, variance, context, baselines)
    lines += convergence_lines(plots, context, trials, variance)
    lines += rungs_section(rungs_md, plots)
    lines += ["## Variance", ""] + variance_lines(variance) + trainer_lines(trainer_check) + [""]
    lines += importance_lines(importance, plots)
    lines += axis_section(trials, plots, context)
    lines += isolation_section(trials, plots, context)
    lines += ["## Training curves", "", f"![all training curves]({plots['curves_all']})", "",
              f"![best trial per scientific value]({plots['curves_best']})", ""]
    lines += ["## Checklist", "", _demote(checklist_md), ""]
    lines += ["## Decision", "", _demote(decision_md), ""]
    return "\n".join(lines)


def importance_lines(table: pd.DataFrame | None, plots: dict) -> list[str]:
    """Which hyperparameters matter: the sentence, the pooled table with its intervals, the plot."""
    from tunelab.analysis.importance import importance_sentence

    if table is None:
        return []
    lines = ["## Which hyperparameters matter", "", importance_sentence(table), ""]
    if len(table):
        pooled = table[table["scope"] == "all"].sort_values("importance", ascending=False)
        per = table[table["scope"] != "all"].pivot(index="hyperparameter", columns="scope", values="importance")
        frame = pd.DataFrame({"hyperparameter": pooled["hyperparameter"],
                              "importance [5-95%]": [f"{r.importance:.2f} [{r.low:.2f}, {r.high:.2f}]"
                                                     for r in pooled.itertuples()],
                              **{str(c): [fmt(per.at[h, c], 2) for h in pooled["hyperparameter"]]
                                 for c in per.columns}})
        lines += [markdown_table(frame), "", "fANOVA (Optuna) on the trials that ran on every period "
                  "and, with rungs, to the full budget; the range over resampled trials, periods and "
                  "seeds; one column per period alone.", ""]
    if plots.get("importance"):
        lines += [f"![importance]({plots['importance']})", ""]
    return lines


def run_sentence(runs, periods, n_trials: int, bad: int, context: dict) -> str:
    """What was run: the rotation month (the key that draws the periods, not a date of the data),
    the models, the search and its phases, and the runs as the product they are."""
    search = context["search"]
    models = context.get("models") or f"{context['architecture']} models"
    per = " per scientific value" if context["mode"] == "per_scientific" and context["scientific"] else ""
    repeats = f", {context['study_repeats']} repeats" if context["study_repeats"] > 1 else ""
    adaptive = 0
    if len(runs) and "phase" in runs:
        adaptive = int(runs.loc[runs["phase"] == "adaptive", "trial"].nunique())
    phases = f", then {adaptive} more trials from the adaptive (Bayesian) rounds" if adaptive else ""
    kind = "exploration" if adaptive else "search"  # the budget is the exploration's only
    product = n_trials * context["seeds"] * len(periods)
    runs_text = (f"{n_trials} trials x {context['seeds']} seeds x {len(periods)} periods = {len(runs)} runs"
                 if product == len(runs) else
                 f"{n_trials} trials, {context['seeds']} seeds, {len(periods)} periods: {len(runs)} runs "
                 "(not every trial ran on every period and seed)")
    return (f"Rotation month **{context['month']}** (the key that draws the periods, not a date of "
            f"the data); {len(periods)} periods; {models}; {search['algorithm']} {kind}, budget "
            f"{search['budget']}{per}, sampler seed {search['seed']}{repeats}{phases}; {runs_text}, "
            f"{bad} infeasible. Objective: {context['objective']} on the validation window (best "
            "epoch), minimised.")


def summary_section(trials, runs, periods, decision, context: dict) -> list[str]:
    """The title, the question, what was run, the verdict and, if known, the question's answer."""
    study = context["study"]
    n_trials = len(overall(trials))
    bad = int((runs["status"] != "ok").sum()) if len(runs) else 0
    lines = [f"# Study report: {study}", ""]
    if context["question"]:
        lines += [f"> {context['question']}", ""]
    lines += [
        run_sentence(runs, periods, n_trials, bad, context), "",
        f"**Verdict: {decision['verdict']}.** {decision['headline']} (details in "
        "[the decision](#decision))", ""]
    if decision.get("question"):
        lines += [f"**The question:** {decision['question']['answer']}", ""]
    if decision.get("attribution"):
        lines += [f"**Where the gain comes from:** {decision['attribution']['text']}", ""]
    return lines


def periods_section(periods, plots: dict) -> list[str]:
    """The periods' windows as a table, and the timeline plot."""
    frame = pd.DataFrame({
        "period": periods["period"],
        "train": [f"{a[:10]} to {b[:10]}" for a, b in zip(periods["train_start"], periods["train_end"],
                                                           strict=True)],
        "validation": [f"{a[:10]} to {b[:10]}" for a, b in zip(periods["valid_start"],
                                                                periods["valid_end"], strict=True)],
        "test": [f"{a[:10]} to {b[:10]}" if isinstance(a, str) and a else "-"
                 for a, b in zip(periods["test_start"], periods["test_end"], strict=True)],
    })
    note = "Ends are exclusive."
    if "train_usable" in periods:  # the examples a window holds, not its length
        frame["usable labels (train / validation / test)"] = [
            " / ".join(_usable(r, part) for part in ("train", "valid", "test")) for r in periods.to_dict("records")]
        note += (" Usable labels: observed values with a gap-free input history, the examples a "
                 "training job finds (and their share of the window's time steps).")
    return ["## Periods", "", markdown_table(frame), "", note, "", f"![periods]({plots['periods']})", ""]


def _usable(row: dict, part: str) -> str:
    n, share = row.get(f"{part}_usable"), row.get(f"{part}_share")
    if n is None or (isinstance(n, float) and math.isnan(n)) or n == "":
        return "-"
    return f"{int(n)} ({float(share):.0%})"


# What each objective's numbers are, said wherever a table of them is shown.
OBJECTIVE_UNITS = {
    "valid_mse": "a mean squared error divided by the target's variance over each period's "
                 "training window (the simple baselines are on the same scale; valid_mae in runs.csv "
                 "is in the target's own units).",
    "valid_mae": "in the target's own units (valid_mse in runs.csv is scaled by the target's "
                 "variance over each period's training window).",
}


def objective_units(context: dict) -> str:
    if not context.get("scaled", True):
        return ("as the study's training command reports it, in the target's own units (the dataset "
                "is a span tunelab does not read, so it cannot scale the errors).")
    return OBJECTIVE_UNITS.get(context["objective"], "")


def leaderboard_section(trials, variance, context: dict, baselines) -> list[str]:
    """The leaderboard, the simple baselines beside it, and whether retrain noise was measured."""
    n_trials = len(overall(trials))
    lines = ["## Leaderboard", "",
             f"Trials ranked by {context['objective']} averaged over periods (each period: the mean "
             "over seeds), " + objective_units(context) + " Retrain std: pooled "
             "over periods; period std: spread of the period means; both in the same units.",
             "", markdown_table(leaderboard_table(trials, context, baselines=baselines)), ""]
    lines += [line for text in baseline_lines(trials, baselines, context) for line in (text, "")]
    if not noise_measured(variance):
        lines += ["**Retrain noise unmeasured** (one seed per trial and period): the retrain std "
                  "is missing, not zero, and no gap in this table can be called seed noise.", ""]
    lines += seeds_agree_lines(trials)
    if n_trials > LEADERBOARD_ROWS:
        lines += [f"Top {LEADERBOARD_ROWS} of {n_trials}; all in trials.csv and variance.csv.", ""]
    return lines


def seeds_agree_lines(trials: pd.DataFrame) -> list[str]:
    """Trials whose retrain std is exactly 0 over two or more seeds: their seeds agree exactly (a
    trainer that ignores the seed for them), which a bare 0 in the table does not say."""
    rows = overall(trials)
    exact = rows[(rows["objective_std"] == 0) & (rows["seeds"] >= 2)]["trial"].tolist() \
        if {"objective_std", "seeds"} <= set(rows.columns) else []
    if not exact:
        return []
    return [f"Retrain std 0 for {len(exact)} trial(s) ({listing(exact, 6)}): their seeds agree exactly, so "
            "the trainer's result does not depend on the seed there (LightGBM without feature "
            "sampling, say); they add no retrain noise, and their seeds buy nothing.", ""]


def rungs_section(rungs_md: str, plots: dict) -> list[str]:
    """Successive halving (search.fidelity): rungs.md, and the curves through the rungs."""
    if not rungs_md:
        return []
    lines = [rungs_md.strip(), "",
             "A trial stopped at a rung is on the leaderboard with its value at that rung, drawn "
             "as an open diamond in the axis plots; it is never the candidate.", ""]
    if plots.get("curves_rungs"):
        lines += [f"![validation curves through the rungs]({plots['curves_rungs']})", ""]
    return lines


def axis_section(trials, plots: dict, context: dict) -> list[str]:
    """One axis plot per varying hyperparameter, each with its boundary findings."""
    lines = ["## Axis plots", "",
             "Objective against each hyperparameter that varies: one point per trial (mean over "
             "periods ± retrain std), infeasible trials as red X, the best trial as a star, the "
             "search range's edges dashed.", ""]
    findings = boundary_check(trials, context)
    for name, path in plots["axis"].items():
        lines += [f"![axis plot of {name}]({path})", ""]
        lines += [f"- Boundary: {f['message']}" for f in findings if f["hp"] == name]
        lines += [""]
    if not findings and plots["axis"]:
        lines += ["Boundary check: no group's best trial lies near an edge of a searched range.", ""]
    return lines


def isolation_section(trials, plots: dict, context: dict) -> list[str]:
    """One isolation plot per scientific hyperparameter, with what it shows in words."""
    lines = ["## Isolation plots", ""]
    if not plots["isolation"]:
        return lines + ["The study has no scientific hyperparameter: no isolation plot.", ""]
    for name, path in plots["isolation"].items():
        info = isolation_info(trials, name, context)
        lines += [describe_isolation(info), "", f"![isolation plot of {name}]({path})", ""]
    return lines


# What each broken promise of the study's trainer means for the evidence (tunelab.train.check).
BROKEN_PROMISE = {
    "the same seed gives the same metrics":
        "**the trainer is not deterministic**: the same seed gave other metrics on a second run, so "
        "the retrain variance above includes the trainer's own non-determinism, not only the seed's",
    "two seeds differ":
        "**two seeds gave the same metrics**: the seed does not reach the model, so its retrain "
        "variance is zero; if the model should vary with its seed (initialisation, sampling), pass "
        "the job's seed to it",
    "a resumed run equals the uninterrupted one":
        "**resume is not exact**: a run continued from a rung's state differs from one trained "
        "straight, so a promoted trial's results are close to, not equal to, a full run's",
    "it trains on the windows it is given":
        "**the trainer read outside its windows**: a validation or test result may have seen "
        "data it should not have",
    "its outputs are well-formed": "**the trainer's outputs were malformed** in the check",
}


def trainer_lines(check: dict | None) -> list[str]:
    """The Variance section's word on the study's own trainer (trainer_check.md), when it has one."""
    if not check:
        return []
    broken = [p for p in check["promises"] if p["kept"] is False]
    unchecked = [p["name"] for p in check["promises"] if p["kept"] is None]
    if not broken:
        line = "- **Trainer**: the study's own trainer keeps tunelab's promises in its check " \
               "([trainer_check.md](trainer_check.md))"
        return [line + (f"; not checked: {', '.join(unchecked)}." if unchecked else ".")]
    trial = f"trial {check['trial']}: " if check.get("trial") else ""
    return [f"- **Trainer** ([trainer_check.md](trainer_check.md)): {BROKEN_PROMISE[p['name']]} "
            f"({trial}{p['detail'].split(';')[0]})." for p in broken]


def _at_most_chance(spearman_mean) -> bool:
    """A mean pairwise Spearman of 0 or below: the periods' orders are unrelated, or opposed (with
    m periods Kendall's W is then at most 1/m, which 'agree weakly' would misread)."""
    return spearman_mean is not None and math.isfinite(spearman_mean) and spearman_mean <= 0


def agreement_word(kendall_w: float, spearman_mean: float) -> str:
    """How well the periods agree on the trials' order, by the weaker of Kendall's W and the mean
    pairwise Spearman (W 0.42 beside a mean Spearman of 0.13 is not 'moderate')."""
    def word(x: float) -> int:
        return 2 if x >= 0.7 else 1 if x >= 0.4 else 0

    levels = [word(x) for x in (kendall_w, spearman_mean) if x is not None and math.isfinite(x)]
    return ("weak", "moderate", "strong")[min(levels)] if levels else "weak"


def variance_lines(v: dict) -> list[str]:
    rs, ra, sv = v["retrain_std"], v["rank_agreement"], v["study"]
    if not noise_measured(v):
        lines = ["- **Trial (retrain) variance**: unmeasured. No trial has two or more feasible "
                 "seeds on a period (seeds: 1), so the seed noise is unknown: no difference in "
                 "this report can be called within or beyond seed noise. Set seeds: 2 or more."]
    else:
        lines = [f"- **Trial (retrain) variance**, the search's yardstick: pooled std over the "
                 f"search's seeds {fmt(rs['overall'])} "
                 f"(over the better half of each period's trials, {rs['trials']} in all); per "
                 "period: " + ", ".join(f"{p} {fmt(s)}" for p, s in rs["by_period"].items())
                 + ". Differences smaller than about twice this are seed noise."]
    if ra["periods"] >= 2 and ra["trials"] >= 3:
        strength = agreement_word(ra["kendall_w"], ra["spearman_mean"])
        said = ("do not agree on the order of the trials, no more than chance would" if
                _at_most_chance(ra["spearman_mean"]) else f"agree {strength}ly on the order of the trials")
        lines.append(f"- **Data variance**: the periods {said} "
                     f"(Kendall's W {fmt(ra['kendall_w'], 2)} over {ra['trials']} trials; mean "
                     f"Spearman between periods {fmt(ra['spearman_mean'], 2)}, 0 for unrelated "
                     "orders).")
    else:
        lines.append("- **Data variance**: too few periods or trials to compare rankings.")
    if v.get("best_trial"):
        ranks = ", ".join(f"{p}: {int(r)}" for p, r in v["best_trial_ranks"].items() if r is not None)
        lines.append(f"- The best trial {v['best_trial']} ranks {ranks}"
                     + (" - best on every period." if v["best_everywhere"] else
                        " - best on average, not on every period."))
    if sv.get("measured"):
        lines.append(f"- **Study variance**: {sv['repeats']} repeats of the search found best "
                     f"objectives " + ", ".join(fmt(b) for b in sv["best"])
                     + f" (std {fmt(sv['std'])}, range {fmt(sv['range'])}"
                     + (f", {fmt(sv['std'] / rs['overall'], 2)}x the retrain std"
                        if rs["overall"] and math.isfinite(rs["overall"]) else "") + "); "
                     + ("every repeat found the same best trial." if sv["same_best"] else
                        "the repeats found different best trials."))
    else:
        lines.append(f"- **Study variance**: not measured (study_repeats: {sv.get('repeats', 1)}); "
                     "set study_repeats: 3 to draw the search three times.")
    return lines


def noise_measured(variance: dict) -> bool:
    """Whether the study measured its retrain noise (some trial had two or more seeds)."""
    overall_std = variance["retrain_std"]["overall"]
    return overall_std is not None and math.isfinite(overall_std)


def plot_links(paths: list[str], report_path: str) -> dict:
    """Plot files -> the links report_file wants, relative to the report's folder."""
    links: dict = {"axis": {}, "isolation": {}}
    base = Path(report_path).parent
    for path in paths:
        rel = os.path.relpath(path, base)
        kind, _, rest = Path(path).name.partition(".")
        key = rest.removesuffix(".png")
        if kind in ("axis", "isolation"):
            links[kind][key] = rel
        elif kind == "curves":
            links[f"curves_{key}"] = rel
        else:
            links[kind] = rel
    return links


def report_file(inputs: dict, plots: dict, context: dict, out_md: str, out_json: str) -> dict:
    """The report rule: every table and page of the study -> report.md + summary.json.

    `plots` holds paths relative to the report's folder: periods, curves_all, curves_best, and
    dicts hp -> path for axis and isolation.
    """
    trials, runs = read_table(inputs["trials"]), read_table(inputs["runs"])
    periods = read_table(inputs["periods"])
    variance = json.loads(Path(inputs["variance"]).read_text())
    checklist = json.loads(Path(inputs["checklist_json"]).read_text())
    decision = json.loads(Path(inputs["decision_json"]).read_text())
    baselines = read_baselines(inputs.get("baselines"))
    text = report_markdown(trials, runs, periods, variance, Path(inputs["checklist"]).read_text(),
                           decision, Path(inputs["decision"]).read_text(), plots, context, baselines,
                           _read_optional(inputs.get("rungs")),
                           json.loads(_read_optional(inputs.get("trainer_check")) or "null"),
                           _optional_table(inputs.get("importance")))
    summary = summary_numbers(trials, runs, variance, checklist, decision, context, baselines)
    write_text(out_md, text)
    write_text(out_json, json.dumps(summary, indent=1) + "\n")
    print(json.dumps(summary, indent=1))
    return summary


def _optional_table(path) -> pd.DataFrame | None:
    """A CSV input that may be an empty list (the rule does not apply to the study)."""
    path = optional_input(path)
    return read_table(path) if path else None


def _read_optional(path) -> str:
    """The text of an optional input (a rule's input that may be an empty list)."""
    path = optional_input(path)
    return Path(path).read_text() if path else ""
