"""The report's "Carried over" section: what a warm start took from an earlier month
(tunelab.search.warmstart) and whether last month's winner still wins this month."""

from __future__ import annotations

import pandas as pd

from tunelab.analysis.tables import overall
from tunelab.fmt import fmt


def warm_start_lines(trials: pd.DataFrame, decision: dict, context: dict) -> list[str]:
    """The section, or nothing for a study without warm_start."""
    warm = context.get("warm_start")
    if warm is None:
        return []
    if not warm.get("month"):
        return ["## Carried over", "", warm["cold"], ""]
    lines = [f"## Carried over from {warm['month']}", ""]
    source = warm.get("baseline_source") or ("the study's own (warm_start.baseline: study, or "
                                             "last month's lies outside today's space)")
    lines += [f"- Baseline: {source}."]
    if warm["carried_trials"]:
        lines += [f"- {len(warm['carried_trials'])} of {warm['month']}'s best trials retrained on this "
                  f"month's periods (their runs on periods both months share were reused): "
                  f"{', '.join(f'`{t}`' for t in warm['carried_trials'])}."]
    if warm.get("history"):
        lines += [f"- The adaptive phase learned from {warm['history']} of {warm['month']}'s finished "
                  "trials, with the month as an input of its model."]
    if warm.get("left_behind"):
        lines += [f"- Left behind (outside today's space): {len(warm['left_behind'])} trials."]
    return lines + ["", winner_sentence(trials, decision, context), ""]


def winner_sentence(trials: pd.DataFrame, decision: dict, context: dict) -> str:
    """Whether last month's winner (its best trial) still wins this month."""
    warm = context["warm_start"]
    winner, month = warm.get("winner_now"), warm["month"]
    if not winner:
        return f"{month} left no feasible trial in today's space: there is no winner to carry."
    named = f"{month}'s winner `{winner}`"
    if winner == context["baseline"]["trial"]:
        verdict = decision.get("verdict")
        if verdict == "ADOPT":
            return (f"{named} is this month's baseline, and this month's candidate "
                    f"`{(decision.get('candidate') or {}).get('trial')}` beats it: it no longer wins.")
        return f"{named} is this month's baseline, and no candidate beats it ({verdict}): it still wins."
    board = overall(trials)
    board = board[board["feasible"] == board["seeds"]].sort_values(["objective_mean", "trial"])
    ranked = list(board["trial"])
    if winner not in ranked:
        return f"{named} did not run (or was infeasible) on every period this month: no answer."
    rank, best = ranked.index(winner) + 1, board.iloc[0]
    if rank == 1:
        return f"{named} is still the best of {len(ranked)} trials this month ({fmt(best.objective_mean)})."
    return (f"{named} ranks {rank} of {len(ranked)} this month ({fmt(board.loc[winner, 'objective_mean'])} "
            f"against the best, `{best.trial}`, {fmt(best.objective_mean)}): it no longer wins.")
