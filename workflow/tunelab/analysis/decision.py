"""Adopt or reject: is the study's candidate better than the baseline, by more than seed noise, on
every period, by enough to be worth the change?

1. `select_candidates` (a Snakemake checkpoint) picks the candidate, the study's best trial, and
   the best trial of each scientific value, from the search's results (trials.csv).
2. The baseline and those candidates are retrained with `confirm_seeds` fresh seeds on every
   period (extra training jobs, requested through the checkpoint). Fresh seeds matter: the
   candidate won the search on the search's seeds, so its numbers there are biased in its favour
   (the winner's curse); the confirmation runs are not.
3. `decide` compares candidate and baseline per period with a one-sided Welch t-test on the
   confirmation seeds (each side keeps its own retrain variance), and weighs the complexity of the
   change (how many hyperparameters differ from the baseline).

The verdict:
- REJECT when there is no candidate, when the candidate is the baseline's configuration, when it
  diverged in confirmation, when it is significantly worse on some period, or when it is not
  better on average;
- ADOPT when it is significantly better on every period (one-sided p < alpha), confirmed on fresh
  seeds, and its mean relative gain reaches `min_gain` per changed hyperparameter;
- INCONCLUSIVE otherwise (better on average, but within seed noise on some period, below the
  complexity bar, or not confirmed on fresh seeds), with the reason.
For an adopted candidate the test windows (test.json of the confirmation blocks) are read once, at
the end, and reported beside validation; they never take part in the decision.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from tunelab.analysis.tables import (
    jsonable,
    markdown_table,
    natural_key,
    ranked,
    read_table,
    stopped_at_a_rung,
)
from tunelab.fmt import fmt, mean_std, pct
from tunelab.io import write_text

UNMEASURED = "noise unmeasured"

# ---------------------------------------------------------------- candidates (the checkpoint)


def select_candidates(trials: pd.DataFrame, context: dict) -> dict:
    """The candidate (best trial of the search), the best of each group, and what to confirm."""
    board = ranked(trials).dropna(subset=["objective_mean"])
    board = board[~stopped_at_a_rung(board, context)]
    baseline = context["baseline"]
    candidate = None
    if len(board):
        best = board.iloc[0]
        candidate = {"trial": best["trial"], "group": best["group"],
                     "objective_mean": float(best["objective_mean"])}
    per_group = []
    if context["mode"] == "per_scientific" and context["scientific"]:
        for row in board.groupby("group", sort=False).head(1).itertuples():
            per_group.append({"group": row.group, "trial": row.trial,
                              "objective_mean": float(row.objective_mean)})
        per_group.sort(key=lambda g: natural_key(g["group"]))
    confirm = []
    if candidate is not None:
        confirm = list(dict.fromkeys([baseline["trial"], candidate["trial"],
                                      *[g["trial"] for g in per_group]]))
    return {"study": context["study"], "objective": context["objective"],
            "baseline": {"trial": baseline["trial"], "group": baseline["group"],
                         "source": baseline["source"]},
            "candidate": candidate, "per_group": per_group, "confirm": confirm}


def select_file(trials_csv: str, context: dict, output: str) -> dict:
    """The select_candidates checkpoint: trials.csv -> candidates.json."""
    chosen = select_candidates(read_table(trials_csv), context)
    write_text(output, json.dumps(jsonable(chosen), indent=1) + "\n")
    print(json.dumps(jsonable(chosen), indent=1))
    return chosen


# ---------------------------------------------------------------- statistics


def welch(baseline: np.ndarray, candidate: np.ndarray) -> dict:
    """One-sided Welch t-test that the candidate's objective is lower (better) than the baseline's.

    gain = mean(baseline) - mean(candidate) (> 0: the candidate is better). With fewer than two
    values on a side no variance can be estimated and both p-values are 1 (no evidence). The
    p-values are Student's t distribution function, `scipy.special.stdtr`: what `scipy.stats.t.sf`
    and `.cdf` return, to the bit, without importing scipy.stats (0.75 s, a sixth of the job).
    """
    from scipy import special

    a, b = np.asarray(baseline, float), np.asarray(candidate, float)
    na, nb = len(a), len(b)
    out = {"n_baseline": na, "n_candidate": nb,
           "baseline_mean": float(a.mean()) if na else math.nan,
           "baseline_std": float(a.std(ddof=1)) if na > 1 else math.nan,
           "candidate_mean": float(b.mean()) if nb else math.nan,
           "candidate_std": float(b.std(ddof=1)) if nb > 1 else math.nan}
    gain = out["baseline_mean"] - out["candidate_mean"]
    out.update(gain=gain, relative_gain=gain / out["baseline_mean"] if out["baseline_mean"] else math.nan,
               se=math.nan, t=math.nan, df=math.nan, p_better=1.0, p_worse=1.0)
    if na < 2 or nb < 2:
        return out
    va, vb = a.var(ddof=1) / na, b.var(ddof=1) / nb
    se = math.sqrt(va + vb)
    out["se"] = se
    if se == 0:  # both sides identical across seeds: the sign of the gain is all there is
        out["t"] = math.copysign(math.inf, gain) if gain else 0.0
        out["p_better"] = 0.0 if gain > 0 else 1.0
        out["p_worse"] = 0.0 if gain < 0 else 1.0
        return out
    df = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
    t = gain / se
    out.update(t=t, df=df, p_better=float(special.stdtr(df, -t)), p_worse=float(special.stdtr(df, t)))
    return out


def compare(baseline: dict[str, np.ndarray], candidate: dict[str, np.ndarray], alpha: float
            ) -> list[dict]:
    """Per period: the Welch test and a word: better, worse, within noise, or noise unmeasured
    (one seed on a side: no retrain variance, so neither "within" nor "beyond" noise can be said)."""
    rows = []
    for period in sorted(set(baseline) | set(candidate)):
        test = welch(baseline.get(period, np.array([])), candidate.get(period, np.array([])))
        if test["n_baseline"] == 0 and test["n_candidate"] > 0:
            word = "better"  # the baseline diverged on every seed of this period
        elif test["n_candidate"] == 0:
            word = "worse"
        elif test["n_baseline"] < 2 or test["n_candidate"] < 2:
            word = UNMEASURED
        elif test["p_better"] < alpha and test["gain"] > 0:
            word = "better"
        elif test["p_worse"] < alpha and test["gain"] < 0:
            word = "worse"
        else:
            word = "within noise"
        rows.append({"period": period, **test, "outcome": word})
    return rows


def seed_values(runs: pd.DataFrame, trial: str, objective: str) -> dict[str, np.ndarray]:
    """Per period: the objective of the trial's feasible runs."""
    mine = runs[(runs["trial"] == trial) & (runs["status"] == "ok")]
    return {p: g[objective].to_numpy(float) for p, g in mine.groupby("period", sort=True)}


def changed_hyperparameters(baseline: dict, candidate: dict) -> list[str]:
    """Names whose values differ (a hyperparameter present on one side only counts as changed)."""
    def same(a, b):
        if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=0.0)
        return a == b
    names = list(dict.fromkeys([*baseline, *candidate]))
    return [n for n in names if n not in baseline or n not in candidate
            or not same(baseline[n], candidate[n])]


# ---------------------------------------------------------------- the decision


def decide(runs: pd.DataFrame, candidates: dict, context: dict, values: dict[str, dict],
           tests: pd.DataFrame | None = None, simple: pd.DataFrame | None = None) -> dict:
    """The verdict, its reasons and the numbers. `runs`: the comparison runs (runs.csv layout) of
    the baseline and the candidates; `values`: each trial's hyperparameters; `tests`: their test
    runs (test.json rows), read only if the candidate is adopted; `simple`: the simple forecasts
    (baselines.csv): a candidate that loses to the best of them on every period is rejected."""
    objective = context["objective"]
    settings = {"alpha": 0.05, "min_gain": 0.005, **context.get("decision", {})}
    alpha, min_gain = settings["alpha"], settings["min_gain"]
    confirmed = context.get("confirm_seeds", 0) >= 2
    base, cand = candidates["baseline"], candidates.get("candidate")
    out = {"study": context["study"], "objective": objective, "alpha": alpha, "min_gain": min_gain,
           "confirmed": confirmed, "seeds": sorted(runs["seed"].unique().tolist()) if len(runs) else [],
           "baseline": {**base, "values": values.get(base["trial"], {})},
           "candidate": None if cand is None else {**cand, "values": values.get(cand["trial"], {})},
           "periods": [], "changed": [], "required_gain": math.nan, "mean_gain": math.nan,
           "mean_relative_gain": math.nan, "test": None}
    verdict, reasons = _verdict(runs, out, context, confirmed, alpha, min_gain)
    out["baseline_verdict"] = verdict  # against the baseline alone, before the simple forecasts
    out["fresh"] = context.get("confirm_seeds", 0) >= 1  # the comparison's seeds are fresh ones
    out["simple"] = versus_simple(runs, out, simple, objective)
    verdict, reasons = simple_verdict(out["simple"], verdict, reasons)
    out["verdict"], out["reasons"] = verdict, reasons
    out["headline"] = reasons[0]
    if verdict == "ADOPT" and tests is not None:
        out["test"] = test_windows(tests, runs, base["trial"], cand["trial"], objective)
    out["question"] = answer_question(runs, candidates, context, alpha) or tuning_answer(out, context)
    out["attribution"] = attribute_gain(runs, candidates, out, context)
    return out


def versus_simple(runs: pd.DataFrame, out: dict, simple: pd.DataFrame | None, objective: str) -> dict | None:
    """Per period, the best simple forecast (baselines.csv) beside the baseline's and the
    candidate's mean over the comparison seeds; None without simple forecasts."""
    if simple is None or simple.empty or objective not in simple:
        return None
    rows = simple[simple["period"].astype(str) != "all"].dropna(subset=[objective])
    trials = {"baseline": out["baseline"]["trial"],
              "candidate": out["candidate"]["trial"] if out["candidate"] else None}
    periods = []
    for period, group in rows.groupby("period", sort=True):
        best = group.loc[group[objective].idxmin()]
        row = {"period": str(period), "simple": str(best["baseline"]), "simple_value": float(best[objective])}
        for side, trial in trials.items():
            values = seed_values(runs, trial, objective).get(str(period)) if trial else None
            row[side] = float(np.mean(values)) if values is not None and len(values) else math.nan
        periods.append(row)
    loses = {side: [p["period"] for p in periods if np.isfinite(p[side]) and p[side] > p["simple_value"]]
             for side in trials}
    return {"periods": periods, "loses": loses}


def simple_verdict(facts: dict | None, verdict: str, reasons: list[str]) -> tuple[str, list[str]]:
    """A candidate that loses to the simplest forecast on every period is rejected, whatever it
    does against the baseline: that is the verdict. On some periods: said beside the verdict."""
    if not facts or not facts["periods"]:
        return verdict, reasons
    periods, loses = facts["periods"], facts["loses"]
    if loses["candidate"] and len(loses["candidate"]) == len(periods):
        names, gap = sorted({p["simple"] for p in periods}), _mean_gap(periods, "candidate")
        base = (f"; so does the baseline ({pct(_mean_gap(periods, 'baseline'))} worse)"
                if len(loses["baseline"]) == len(periods) else "")
        head = (f"The candidate does not beat the simplest forecast: {' / '.join(names)} scores better "
                f"on every period (the candidate is {pct(gap)} worse on average){base}. Tuning has not "
                "produced a model worth deploying: look at its inputs, lags or capacity before tuning "
                "further.")
        return "REJECT", [head, *[r for r in reasons if r.startswith("Per period")],
                          f"Against the baseline alone: {reasons[0]}"]
    if loses["candidate"]:
        reasons = [*reasons, _lost_periods(periods, loses["candidate"])]
    return verdict, reasons


def _lost_periods(periods: list[dict], lost: list[str]) -> str:
    """'On P1, P2 the candidate loses to the simplest forecast (linear)': each losing period with
    the simple forecast that beat it there (not one that only won elsewhere)."""
    by_name: dict[str, list[str]] = {}
    for p in periods:
        if p["period"] in lost:
            by_name.setdefault(p["simple"], []).append(p["period"])
    parts = [f"{', '.join(ps)} the candidate loses to the simplest forecast ({name})"
             for name, ps in sorted(by_name.items())]
    return "On " + "; on ".join(parts) + "."


def _mean_gap(periods: list[dict], side: str) -> float:
    """How much worse than the best simple forecast, relative, averaged over periods."""
    gaps = [p[side] / p["simple_value"] - 1 for p in periods if np.isfinite(p[side]) and p["simple_value"] > 0]
    return float(np.mean(gaps)) if gaps else math.nan


# The verdict of each case verdict_facts can find, in the order it looks for them.
VERDICT_OF = {"no_candidate": "REJECT", "is_baseline": "REJECT", "diverged": "REJECT",
              "unmeasured": "INCONCLUSIVE", "worse": "REJECT", "not_better": "REJECT",
              "unconfirmed": "INCONCLUSIVE", "within_noise": "INCONCLUSIVE",
              "too_small": "INCONCLUSIVE", "adopt": "ADOPT"}


def _verdict(runs, out, context, confirmed, alpha, min_gain) -> tuple[str, list[str]]:
    facts = verdict_facts(runs, out, context, confirmed, alpha, min_gain)
    case = facts["case"]
    if case in ("no_candidate", "is_baseline", "diverged", "unmeasured"):
        return VERDICT_OF[case], _unsettled_sentences(facts, out, context)
    return VERDICT_OF[case], _comparison_sentences(facts, out, alpha, min_gain)


def verdict_facts(runs, out, context, confirmed, alpha, min_gain) -> dict:
    """What the verdict rests on, without its words: `case` is the first of VERDICT_OF's cases
    that applies; the per-period comparison and the gains go into `out`."""
    objective = context["objective"]
    base, cand = out["baseline"], out["candidate"]
    if cand is None:
        return {"case": "no_candidate"}
    changed = changed_hyperparameters(base["values"], cand["values"]) if base["values"] else []
    out["changed"] = changed
    if cand["trial"] == base["trial"] or (base["values"] and not changed):
        return {"case": "is_baseline"}
    failed = runs[(runs["trial"] == cand["trial"]) & (runs["status"] != "ok")]
    periods = compare(seed_values(runs, base["trial"], objective),
                      seed_values(runs, cand["trial"], objective), alpha)
    out["periods"] = periods
    gains = [p["relative_gain"] for p in periods if np.isfinite(p["relative_gain"])]
    finite = [p["gain"] for p in periods if np.isfinite(p["gain"])]
    out["mean_gain"] = float(np.mean(finite)) if finite else math.nan  # no warning for none
    out["mean_relative_gain"] = mean_rel = float(np.mean(gains)) if gains else math.nan
    out["required_gain"] = min_gain * len(changed)
    by = {o: [p for p in periods if p["outcome"] == o] for o in (UNMEASURED, "worse", "better", "within noise")}
    facts = {"failed": failed, "total": int((runs["trial"] == cand["trial"]).sum()), "confirmed": confirmed,
             "unmeasured": by[UNMEASURED], "worse": by["worse"], "better": by["better"],
             "noise": by["within noise"]}
    cases = [("diverged", len(failed)), ("unmeasured", by[UNMEASURED]), ("worse", by["worse"]),
             ("not_better", not np.isfinite(mean_rel) or mean_rel <= 0), ("unconfirmed", not confirmed),
             ("within_noise", by["within noise"]), ("too_small", mean_rel < out["required_gain"])]
    return {**facts, "case": next((case for case, holds in cases if holds), "adopt")}


def _unsettled_sentences(facts: dict, out: dict, context: dict) -> list[str]:
    """The words of the cases decided before any comparison: nothing to adopt, a diverged
    candidate, retrain noise unmeasured."""
    cand, case = out["candidate"], facts["case"]
    if case == "no_candidate":
        return ["The search found no trial that trained on every seed and period: "
                "there is nothing to adopt; keep the baseline."]
    if case == "is_baseline":
        return [f"The study's best trial {cand['trial']} is the baseline's own "
                "configuration: there is nothing to adopt; keep the baseline."]
    if case == "diverged":
        failed, which = facts["failed"], "confirmation" if facts["confirmed"] else "search"
        return [f"The candidate {cand['trial']} diverged on {len(failed)} of its {facts['total']} "
                f"{which} runs ({failed['reason'].iloc[0]}): it is not robust; keep the "
                "baseline."]
    unmeasured = facts["unmeasured"]
    n = min(min(p["n_baseline"], p["n_candidate"]) for p in unmeasured)
    seeds = f"{n} {'confirmation' if context.get('confirm_seeds', 0) else 'search'} seed" \
        + ("" if n == 1 else "s")
    return [
        f"NO DECISION: the comparison rests on {seeds} per side on {_names(unmeasured)}: "
        "with fewer than two seeds the retrain noise is unmeasured, so no difference can be "
        "called beyond (or within) seed noise. Set confirm_seeds: 2 or more (3 or more to "
        f"trust it) and run again. The candidate {cand['trial']} differs by "
        f"{pct(out['mean_relative_gain'])} "
        "on average, an unqualified point estimate.", f"Per period: {detail_of(out['periods'])}."]


def _comparison_sentences(facts: dict, out: dict, alpha: float, min_gain: float) -> list[str]:
    """The words of the cases the per-period comparison decides."""
    cand, case, changed = out["candidate"]["trial"], facts["case"], out["changed"]
    mean_rel, detail = out["mean_relative_gain"], f"Per period: {detail_of(out['periods'])}."
    if case == "worse":
        return [f"The candidate {cand} is worse than the baseline on {_names(facts['worse'])}, "
                f"beyond seed noise{exact_note(facts['worse'])}: the gain does not hold on every "
                "period; keep the baseline.", detail]
    if case == "not_better":
        return [f"The candidate {cand} is not better than the baseline on average over the periods "
                f"({pct(mean_rel)}); keep the baseline.", detail]
    complexity = (f"It changes {len(changed)} hyperparameter(s) ({', '.join(changed)}), so it must "
                  f"gain at least {100 * out['required_gain']:.1f}% on average "
                  f"({100 * min_gain:.1f}% per change); it gains {100 * mean_rel:.1f}%.")
    if case == "unconfirmed":
        return [f"The candidate {cand} looks better ({pct(mean_rel)} on average), but it was "
                "measured on the search's own seeds only (confirm_seeds < 2), where the winner of a "
                "search is flattered by chance; confirm it on fresh seeds before adopting.",
                detail, complexity]
    if case == "within_noise" and _fewest_seeds(facts["noise"]) < POWERED_SEEDS:
        n = _fewest_seeds(facts["noise"])
        return [f"The candidate {cand} is better on average ({pct(mean_rel)}), but on "
                f"{_names(facts['noise'])} there are too few seeds to tell: with {n} seeds per side "
                "the one-sided Welch test has almost no power, so 'not significant' there is not "
                f"evidence that the gain is noise. Set confirm_seeds: {POWERED_SEEDS + 2} or more and "
                "run again.", detail, complexity]
    if case == "within_noise":
        advice = ("More confirm_seeds or periods may settle it." if mean_rel >= out["required_gain"] else
                  f"More seeds would not change the verdict: even beyond noise, a gain of {pct(mean_rel)} "
                  f"is below the {100 * out['required_gain']:.1f}% its {len(changed)} change(s) ask for.")
        return [f"The candidate {cand} is better on average ({pct(mean_rel)}), but on "
                f"{_names(facts['noise'])} the difference is within seed noise (one-sided Welch p >= "
                f"{alpha}): the gain is not shown to hold on every period. {advice}", detail, complexity]
    if case == "too_small":
        return [f"The candidate {cand} is better on every period, but by {pct(mean_rel)} on "
                f"average, less than its {len(changed)} change(s) ask for "
                f"({100 * out['required_gain']:.1f}%): probably not worth the change.", detail, complexity]
    return [f"Adopt the candidate {cand}: it beats the baseline on all {len(facts['better'])} periods "
            f"beyond seed noise (one-sided Welch p < {alpha} on each{exact_note(facts['better'], '; ')}), "
            f"by {pct(mean_rel)} on average, "
            f"confirmed on {len(out['seeds'])} fresh seeds.", detail, complexity]


POWERED_SEEDS = 3  # fewer seeds per side: Welch's test has about one degree of freedom


def seeds_agree(p: dict) -> bool:
    """Both sides measured on two or more seeds, and every seed of each gave the same value: no
    retrain noise at all (a trainer that ignores the seed), so Welch's test is the gain's sign."""
    return _tested(p) and p["se"] == 0


def exact_note(periods: list[dict], lead: str = " (") -> str:
    """' (on P both sides' seeds agree exactly: ...)' where it applies, else ''."""
    exact = [p for p in periods if seeds_agree(p)]
    if not exact:
        return ""
    return (f"{lead}on {_names(exact)} both sides' seeds agree exactly, so there is no retrain noise "
            "and the sign of the gain decides" + (")" if lead == " (" else ""))


def _fewest_seeds(periods: list[dict]) -> int:
    return min((min(p["n_baseline"], p["n_candidate"]) for p in periods), default=0)


def detail_of(periods: list[dict]) -> str:
    return "; ".join(_period_words(p) for p in periods)


def _names(periods: list[dict]) -> str:
    return ", ".join(p["period"] for p in periods)


def _period_words(p: dict) -> str:
    t = "inf" if math.isinf(p["t"]) else f"{p['t']:.1f}" if np.isfinite(p["t"]) else "-"
    return (f"{p['period']} {p['outcome']} (candidate {fmt(p['candidate_mean'])} vs baseline "
            f"{fmt(p['baseline_mean'])}, {pct(p['relative_gain'])}, t = {t})")


def test_windows(tests: pd.DataFrame, runs: pd.DataFrame, baseline: str, candidate: str,
                 objective: str) -> list[dict]:
    """Per period: validation and test means of baseline and candidate (confirmation seeds)."""
    metric = "test_mae" if objective == "valid_mae" else "test_mse"
    rows = []
    for period in sorted(runs["period"].unique()):
        row = {"period": period}
        for who, trial in (("baseline", baseline), ("candidate", candidate)):
            v = runs[(runs["trial"] == trial) & (runs["period"] == period) & (runs["status"] == "ok")]
            t = tests[(tests["trial"] == trial) & (tests["period"] == period)]
            row[f"{who}_valid"] = float(v[objective].mean()) if len(v) else math.nan
            row[f"{who}_test"] = float(t[metric].mean()) if len(t) else math.nan
        row["test_gain"] = row["baseline_test"] - row["candidate_test"]
        rows.append(row)
    return rows


def answer_question(runs: pd.DataFrame, candidates: dict, context: dict, alpha: float) -> dict | None:
    """The scientific question: the best of each scientific value, compared on the confirmation
    runs; the winner is tested against each other value, period by period."""
    groups = candidates.get("per_group") or []
    if len(groups) == 1 and context.get("scientific"):
        return _unanswered(groups[0], context)
    if len(groups) < 2:
        return None
    objective = context["objective"]
    entries = []
    for g in groups:
        values = seed_values(runs, g["trial"], objective)
        means = [float(v.mean()) for v in values.values() if len(v)]
        entries.append({**g, "confirmed_mean": float(np.mean(means)) if means else math.nan,
                        "per_period": {p: float(v.mean()) for p, v in values.items() if len(v)}})
    entries.sort(key=lambda e: (not np.isfinite(e["confirmed_mean"]), e["confirmed_mean"]))
    winner = entries[0]
    duels = [_duel(runs, winner, other, objective, alpha) for other in entries[1:]]
    clear = all(d["clear"] for d in duels)
    if clear:
        text = (f"{winner['group']} (trial {winner['trial']}) is best on the fresh confirmation "
                "seeds, once the nuisance hyperparameters are tuned for each value: "
                + "; ".join(f"against {d['against']} it {d['words']}" for d in duels) + ".")
    else:
        text = ("No clear answer: " + "; ".join(f"{winner['group']} {d['words']}" for d in duels)
                + ". Do not read the order of these values as a finding; more confirm_seeds or "
                "periods may separate them.")
    return {"winner": winner["group"], "clear": clear, "groups": entries, "duels": duels,
            "answer": text}


def _unanswered(only: dict, context: dict) -> dict:
    """One scientific value has a qualifying trial: nothing to compare it with, said as such."""
    why = ("the rungs stopped every trial at the other values before the full budget, and a value "
           "is compared on trials trained fully" if context.get("full_epochs") else
           "no trial at the other values was feasible")
    fix = ("more trials per value (search.budget) or a smaller eta would answer it"
           if context.get("full_epochs") else "look at why they diverged (the checklist)")
    return {"winner": None, "clear": False, "compared": False, "groups": [], "duels": [],
            "answer": f"Not answered: only {only['group']} has a trial to confirm ({only['trial']}); "
                      f"{why}, so there is nothing to compare it with; {fix}."}


def tuning_answer(out: dict, context: dict) -> dict | None:
    """A study without a scientific hyperparameter asks whether tuning beats the configuration in
    use: the verdict answers it, and the answer says so."""
    if context["scientific"] or out["candidate"] is None:
        return None
    cand, verdict = out["candidate"]["trial"], out.get("baseline_verdict", out["verdict"])
    if verdict == "ADOPT":
        winner, words = f"trial {cand}", f"it does: the tuned trial {cand} beats the baseline (adopt it)"
    elif verdict == "REJECT":
        winner, words = "the baseline", "it does not: the configuration in use suits (keep the baseline)"
    else:
        winner, words = None, "not shown yet: the tuned candidate is not separated from the baseline"
    if _loses_everywhere(out):  # the verdict is the simple forecast's, whatever tuning did
        simple = " / ".join(sorted({p["simple"] for p in out["simple"]["periods"]}))
        winner = f"the simplest forecast ({simple})"
        words = (f"against the baseline alone {words.removeprefix('it ')}; but the tuned model loses to "
                 f"{simple} on every period, so neither configuration is worth deploying")
    return {"winner": winner, "clear": winner is not None, "groups": [], "duels": [],
            "answer": "The study has no scientific hyperparameter, so its question is whether tuning "
                      f"the nuisance hyperparameters beats the configuration in use: {words}."}


def _loses_everywhere(out: dict) -> bool:
    """Whether the candidate loses to the best simple forecast on every period."""
    facts = out.get("simple") or {}
    return bool(facts.get("periods")) and len(facts["loses"]["candidate"]) == len(facts["periods"])


def _duel(runs, winner: dict, other: dict, objective: str, alpha: float) -> dict:
    """The winner against another value, period by period; its lead in units of retrain noise."""
    mine, theirs = seed_values(runs, winner["trial"], objective), seed_values(runs, other["trial"],
                                                                              objective)
    periods = compare(theirs, mine, alpha)
    outcomes = [p["outcome"] for p in periods]
    lead = float(np.nanmean([p["gain"] for p in periods])) if periods else math.nan
    variances = [v.var(ddof=1) for side in (mine, theirs) for v in side.values() if len(v) > 1]
    noise = float(np.sqrt(np.mean(variances))) if variances else math.nan
    size = (f"leads it by {fmt(lead)} on average, {lead / noise:.2g}x the confirmation retrain std "
            f"{fmt(noise)} (both values' fresh seeds, pooled)"
            if np.isfinite(noise) and noise > 0 else f"leads it by {fmt(lead)} on average")
    against = other["group"]
    clear = bool(outcomes) and all(o == "better" for o in outcomes)
    if clear:
        words = (f"beats it on every period, beyond seed noise ({size.removeprefix('leads it ')}"
                 f"{exact_note(periods, '; ')})")
    elif "worse" in outcomes:
        words = (f"and {against} are not ordered the same on every period: {size}, but it is worse "
                 f"on {_names([p for p in periods if p['outcome'] == 'worse'])}")
    elif UNMEASURED in outcomes:
        words = (f"and {against} cannot be told apart: with one seed the retrain noise is "
                 f"unmeasured on {_names([p for p in periods if p['outcome'] == UNMEASURED])} "
                 f"({size.replace('leads it', f'the first leads {against}')})")
    else:
        noisy = [p for p in periods if p["outcome"] == "within noise"]
        within = (f"within seed noise on {_names(noisy)}" if _fewest_seeds(noisy) >= POWERED_SEEDS else
                  f"and on {_names(noisy)} {_fewest_seeds(noisy)} seeds per side are too few for the "
                  "test to tell")
        words = (f"and {against} are not separated beyond retrain noise: the first "
                 f"{size.replace('leads it', f'leads {against}')}, {within}")
    return {"against": against, "periods": periods, "words": words, "clear": clear,
            "lead": lead, "noise": noise}


def attribute_gain(runs: pd.DataFrame, candidates: dict, out: dict, context: dict) -> dict | None:
    """Which of the candidate's changes the gain comes from. The changed hyperparameters by role;
    when the best trial at the baseline's own scientific value was confirmed too, the gain splits
    into tuning at that value (nuisance) and the switch of scientific value; a switch between
    values the question could not separate is credited to the nuisance changes, not to it."""
    base, cand = out["baseline"], out["candidate"]
    changed = out.get("changed") or []
    if cand is None or not changed:
        return None
    roles = {"scientific": [n for n in changed if n in context["scientific"]],
             "nuisance": [n for n in changed if n in context["nuisance"]]}
    roles["fixed"] = [n for n in changed if n not in roles["scientific"] + roles["nuisance"]]
    listed = "; ".join(f"{', '.join(names)} ({role})" for role, names in roles.items() if names)
    others = ", ".join(roles["nuisance"] + roles["fixed"]) or "no other hyperparameter"
    parts = [f"The candidate changes {listed}."]
    versus = out.get("baseline_verdict", out.get("verdict"))
    if versus == "REJECT" or not (out["mean_relative_gain"] > 0):
        parts.append("No gain over the baseline is shown (against the baseline the verdict is "
                     f"{versus or 'not to adopt'}), so there is none to attribute.")
        return {**roles, "tuning_gain": math.nan, "switch_gain": math.nan, "text": " ".join(parts)}
    if versus != "ADOPT":
        parts.append(f"Its {pct(out['mean_relative_gain'])} over the baseline is a point estimate, "
                     f"not confirmed ({versus} against the baseline).")
    question = out.get("question")
    same = next((g for g in candidates.get("per_group") or [] if g["group"] == base["group"]), None)
    objective = context["objective"]
    tuning = _relative_gain(runs, base["trial"], same["trial"], objective) if same else math.nan
    switch = _relative_gain(runs, same["trial"], cand["trial"], objective) if same else math.nan
    gain = "the gain" if versus == "ADOPT" else "the gain, if it holds,"
    if not context["scientific"]:
        parts.append(f"The study has no scientific hyperparameter: {gain} comes from tuning {others}.")
    elif not roles["scientific"]:
        parts.append(f"It keeps the baseline's scientific value, so {gain} comes from {others} "
                     "alone, not from the scientific hyperparameter.")
    elif np.isfinite(tuning) and np.isfinite(switch) and same["trial"] != cand["trial"]:
        parts.append(f"The best trial at the baseline's own {base['group']} ({same['trial']}) "
                     f"already gains {pct(tuning)} over the baseline: that part comes from {others}. "
                     f"Switching to {cand['group']} changes it by {pct(switch)} more"
                     + (", within retrain noise: the gain is not from the scientific value."
                        if question and not question["clear"] else "."))
    elif same is None:
        parts.append(_unsearched_baseline(base, question, roles["scientific"], others, context))
    else:
        parts.append(_switch_words(question, roles["scientific"], others, cand))
    return {**roles, "tuning_gain": tuning, "switch_gain": switch, "text": " ".join(parts)}


def _switch_words(question: dict | None, scientific: list[str], others: str, cand: dict) -> str:
    """The candidate switched scientific value, and its split could not be measured apart."""
    if question and not question["clear"]:
        return (f"The scientific values are not separated beyond retrain noise, so the gain is not "
                f"shown to come from {', '.join(scientific)}: read it as coming from {others}, not "
                "from the scientific value.")
    return (f"The scientific values are separated beyond retrain noise "
            f"({question['winner'] if question else cand['group']} is best), so part of the gain is "
            f"the scientific value's; the rest comes from {others}.")


def _unsearched_baseline(base: dict, question: dict | None, scientific: list[str], others: str,
                         context: dict) -> str:
    """No confirmed trial at the baseline's scientific value (not one of the searched values, or
    none of its trials qualified), so the gain cannot be split between the switch and the tuning."""
    names, value = ", ".join(scientific), base["group"] or "scientific value"
    if _searched(context, scientific):
        why = ("the rungs stopped every trial at it before the full budget" if context.get("full_epochs")
               else "none was feasible")
        own = f"The baseline's {value} was searched, but {why}"
        fix = "more trials at it" if context.get("full_epochs") else "a trial at it that trains"
    else:
        own, fix = f"The baseline's {value} is not one of the searched values", \
            f"the baseline's value in {names}'s feasible_points"
    split = (f"so how much of the gain comes from {names} and how much from {others} is not measured "
             f"({fix} would split it)")
    if question and question.get("clear"):
        return (f"The scientific values are separated beyond retrain noise ({question['winner']} is "
                f"best), but {own[0].lower()}{own[1:]}, {split}.")
    if question and not question.get("compared", True):
        return f"{own}, {split}."
    return f"{own}, {split}; the searched values are not separated beyond retrain noise either."


def _searched(context: dict, scientific: list[str]) -> bool:
    """Whether the baseline's value of every scientific hyperparameter is among its searched ones."""
    values = context["baseline"].get("values") or {}
    for name in scientific:
        info = context["space"].get(name, {})
        points, value = info.get("points") or [], values.get(name)
        inside = value in points if points else (
            value is not None and info.get("low") is not None and info["low"] <= value <= info["high"])
        if not inside:
            return False
    return True


def _relative_gain(runs: pd.DataFrame, before: str, after: str, objective: str) -> float:
    """Mean over periods of the relative gain of `after` over `before` (their confirmation runs)."""
    a, b = seed_values(runs, before, objective), seed_values(runs, after, objective)
    gains = [1 - b[p].mean() / a[p].mean() for p in a if p in b and len(a[p]) and len(b[p])
             and a[p].mean()]
    return float(np.mean(gains)) if gains else math.nan


# ---------------------------------------------------------------- the page


def decision_markdown(d: dict, context: dict) -> str:
    """decision.md: the verdict and its reasons, then the evidence, section by section."""
    lines = [f"# Decision: {d['study']}", "", f"**Verdict: {d['verdict']}.** {d['headline']}", ""]
    lines += [f"- {r}" for r in d["reasons"][1:]]
    lines += _candidate_lines(d, context)
    if d["periods"]:
        lines += _per_period_lines(d)
    if d.get("question"):
        lines += _question_lines(d["question"], context)
    if d.get("attribution"):
        lines += ["", "## Where the gain comes from", "", d["attribution"]["text"]]
    lines += _test_lines(d)
    lines += ["", "## How this was decided", "",
              f"The candidate must beat the baseline on every period with a one-sided Welch t-test "
              f"at alpha = {d['alpha']} (each side keeps its own retrain variance), on fresh "
              f"confirmation seeds (the search's seeds flatter its winner), and its mean relative gain "
              f"must reach {100 * d['min_gain']:.1f}% per changed hyperparameter. Worse beyond noise "
              "on any period, or not better on average: REJECT. Otherwise: INCONCLUSIVE. A "
              "candidate that loses to the best simple forecast (persistence, the training mean, "
              "linear regression on the lags) on every period is REJECTED whatever it does against "
              "the baseline.", ""]
    return "\n".join(lines)


def _candidate_lines(d: dict, context: dict) -> list[str]:
    """The baseline, the candidate, and what the candidate changes."""
    base, cand = d["baseline"], d["candidate"]
    lines = ["", "## Baseline and candidate", "",
             f"- Baseline: trial {base['trial']} ({context['baseline']['source']})."]
    if not cand:
        return lines
    lines.append(f"- Candidate: trial {cand['trial']}, the study's best trial "
                 f"({d['objective']} {fmt(cand['objective_mean'])} on the search's seeds).")
    names = d["changed"] or []
    if names:
        frame = pd.DataFrame({"hyperparameter": names,
                              "baseline": [fmt(base["values"].get(n)) for n in names],
                              "candidate": [fmt(cand["values"].get(n)) for n in names]})
        lines += ["", f"What the candidate changes ({len(names)} hyperparameter(s)):", "",
                  markdown_table(frame)]
    return lines


def _per_period_lines(d: dict) -> list[str]:
    """The baseline against the candidate on each period: means, stds, Welch t, outcome."""
    seeds = d["seeds"]
    fresh = d.get("fresh", d["confirmed"]) and seeds
    span = f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {seeds[0]}..{seeds[-1]}"
    which = (f"confirmation {span}" if fresh else
             "the search's seeds (not confirmed on fresh seeds)")
    which += "" if d["confirmed"] or not fresh else f": {len(seeds)} per side, too few to confirm"
    frame = pd.DataFrame([{
        "period": p["period"],
        "baseline": mean_std(p["baseline_mean"], p["baseline_std"], p["n_baseline"]),
        "candidate": mean_std(p["candidate_mean"], p["candidate_std"], p["n_candidate"]),
        "gain": fmt(p["gain"]), "relative": pct(p["relative_gain"]),
        "Welch t": "inf" if math.isinf(p["t"]) else fmt(p["t"], 3),
        "p (better)": fmt(p["p_better"], 2) if _tested(p) else "no test (one seed)",
        "outcome": p["outcome"]} for p in d["periods"]])
    return ["", f"## Per period ({d['objective']}, mean ± std over {which})", "", markdown_table(frame), "",
            f"Mean gain {fmt(d['mean_gain'])} ({pct(d['mean_relative_gain'])}); required for "
            f"{len(d['changed'])} change(s): {100 * d['required_gain']:.1f}%."] + _agree_lines(d["periods"])


def _agree_lines(periods: list[dict]) -> list[str]:
    """Under the table: the periods on which both sides' seeds agree exactly (t = inf there)."""
    exact = [p for p in periods if seeds_agree(p)]
    if not exact:
        return []
    return ["", f"On {_names(exact)} every seed of the baseline gave the same value, and every seed "
            "of the candidate too: the trainer ignores the seed there, so there is no retrain noise "
            "to test against, t is infinite and the outcome is the sign of the gain. The seeds "
            "cannot say whether such a gain would hold on other data; only the periods can."]


def _tested(p: dict) -> bool:
    """Whether Welch's test ran on this period (two or more seeds on each side)."""
    return min(p["n_baseline"], p["n_candidate"]) >= 2


def _question_lines(q: dict, context: dict) -> list[str]:
    """The best trial of each scientific value, per period, and the question's answer."""
    lines = ["", "## The study's question", ""]
    if context.get("question"):
        lines += [f"> {context['question']}", ""]
    if not q["groups"]:  # no scientific hyperparameter: the verdict is the answer
        return lines + [q["answer"]]
    periods = sorted({p for g in q["groups"] for p in g["per_period"]})
    frame = pd.DataFrame([{"value": g["group"], "best trial": g["trial"],
                           "search mean": fmt(g["objective_mean"]),
                           "confirmed mean": fmt(g["confirmed_mean"]),
                           **{p: fmt(g["per_period"].get(p)) for p in periods}}
                          for g in q["groups"]])
    return lines + [markdown_table(frame), "", q["answer"]]


def _test_lines(d: dict) -> list[str]:
    """The test windows, read once and only for an adopted candidate."""
    obj, lines = d["objective"], ["", "## Test windows", ""]
    if not d["test"]:
        return lines + ["Not evaluated: the test windows are read only for an adopted candidate."]
    metric = "test_mae" if obj == "valid_mae" else "test_mse"
    frame = pd.DataFrame([{"period": r["period"], f"baseline {obj}": fmt(r["baseline_valid"]),
                           f"candidate {obj}": fmt(r["candidate_valid"]),
                           f"baseline {metric}": fmt(r["baseline_test"]),
                           f"candidate {metric}": fmt(r["candidate_test"])} for r in d["test"]])
    holds = sum(r["test_gain"] > 0 for r in d["test"])
    return lines + ["Evaluated once, after the decision, for the adopted candidate (the test windows "
                    "took no part in any choice):", "", markdown_table(frame), "",
                    f"The candidate is also better on the test window of {holds} of "
                    f"{len(d['test'])} periods."]


def read_blocks(paths: list[str]) -> tuple[pd.DataFrame, dict[str, dict]]:
    """Runs of the given metrics.json (or test.json) blocks, and each trial's hyperparameters."""
    from tunelab.collect import read_block

    rows, values = [], {}
    for path in paths:
        block = json.loads(Path(path).read_text())
        values[block["trial"]] = block["hyperparameters"]
        rows += read_block(path)
    frame = pd.DataFrame(rows)
    if frame.empty:
        frame = pd.DataFrame(columns=["study", "period", "trial", "group", "seed", "status"])
    return frame, values


def decide_file(metrics: list[str], tests: list[str], candidates_json: str, context: dict,
                out_md: str, out_json: str, baselines_csv: str | None = None) -> dict:
    """The decide rule: confirmation blocks + candidates.json (+ baselines.csv, the simple
    forecasts) -> decision.md, decision.json."""
    from tunelab.analysis.skill import read_baselines

    candidates = json.loads(Path(candidates_json).read_text())
    runs, values = read_blocks(metrics)
    test_runs, _ = read_blocks(tests)
    decision = decide(runs, candidates, context, values, test_runs, read_baselines(baselines_csv))
    write_text(out_md, decision_markdown(decision, context))
    write_text(out_json, json.dumps(jsonable(decision), indent=1) + "\n")
    print(f"{decision['verdict']}: {decision['headline']}")
    return decision
