"""What the analysis needs to know about a study, as plain JSON-able values (a rule's `params`).

Built at parse time from the study and its plan (pure Python, no file read), so the analysis
functions can be unit-tested with a hand-made dict instead of a study file.
"""

from __future__ import annotations

from typing import Any


def hyperparameter_info(hp) -> dict[str, Any]:
    return {"role": hp.role, "kind": hp.kind, "low": hp.low, "high": hp.high,
            "scaling": hp.scaling, "points": list(hp.points)}


class StudyContext(dict):
    """The context dict, printed short. `snakemake --report` shows a job's parameters with str():
    one line. Snakemake's params rerun trigger stores and compares repr(), and prints both sides
    in a job's reason line: the whole dict there was ~2.8 KB twice per analysis job of a dry run.
    repr() is the study and a digest of every value instead, so any change still reruns the job."""

    def __str__(self) -> str:
        names = ", ".join(self.get("scientific") or []) or "none"
        return (f"study {self.get('study')} (rotation month {self.get('month')}, "
                f"{self.get('architecture')} models, objective {self.get('objective')}, "
                f"scientific: {names})")

    def __repr__(self) -> str:
        import hashlib
        import json

        text = json.dumps(self, sort_keys=True, default=repr)
        return f"<context of study {self.get('study')}, sha256 {hashlib.sha256(text.encode()).hexdigest()[:16]}>"


def study_context(study, plan, rungs=None) -> dict[str, Any]:
    """The study's question, objective, searched space, seeds, baseline and decision settings;
    with rungs (`rungs`: its RungPlan, search.fidelity) the full epoch budget a candidate must have
    trained to and the rungs' epochs (curves plots draw them). Without, those keys are absent, so
    other studies' analysis parameters (and thus their finished outputs) do not change."""
    from tunelab.search.baseline import baseline_values

    _, source = baseline_values(study)
    source = plan.baseline_source or source  # a warm start's baseline
    base = plan.baseline_trial
    searched = {name: hyperparameter_info(hp) for name, hp in study.space.items()
                if hp.searched and name in plan.columns}
    return StudyContext({
        "study": plan.study,
        "question": " ".join(study.question.split()),
        "objective": study.objective,
        "month": plan.month,
        "architecture": study.architecture,
        "models": model_label(study),
        "scaled": study.dataset.is_file,  # errors scaled by the target's variance (a span: as reported)
        "space": searched,
        "scientific": [n for n, h in searched.items() if h["role"] == "scientific"],
        "nuisance": [n for n, h in searched.items() if h["role"] == "nuisance"],
        "mode": study.search.mode,
        "search": {"algorithm": study.search.algorithm, "budget": study.search.budget,
                   "seed": study.search.seed},
        "seeds": len(study.seeds),
        "confirm_seeds": len(study.confirm_seeds),
        "study_repeats": study.study_repeats,
        "baseline": {"trial": base.id, "group": base.group, "values": dict(base.values),
                     "source": source, "given": bool(study.baseline)},
        "decision": study.section("decision"),
        **({"warm_start": warm_context(study, plan)} if study.warm_start is not None else {}),
        **({"full_epochs": rungs.full_epochs, "rung_epochs": list(rungs.brackets[0].epochs)} if rungs else {}),
    })


def warm_context(study, plan) -> dict[str, Any]:
    """What the report says about a warm start: where from, what came, last month's winner."""
    from tunelab.search.plan import trial_id

    carried = plan.carried
    if carried is None:
        return {"month": None, "cold": f"`warm_start` is set, but no earlier month of this study was "
                f"on disk (results/{plan.study}/months/): this month started cold."}
    winner = trial_id(study.architecture, carried.winner_values) if carried.winner_values else ""
    adaptive = study.search.then is not None  # only rounds learn from last month's history
    return {**carried.context(), "winner_now": winner, "history": len(carried.history) if adaptive else 0,
            "carried_trials": [trial_id(study.architecture, values) for values, _ in carried.trials]}


def model_label(study) -> str:
    """What trains the study's models, as the report's first line names it."""
    if study.trainer is not None:
        return f"models trained by `{study.trainer.command}`"
    if study.model_factory:
        return f"models of `{study.model_factory}` (trained by tunelab's loop)"
    return f"{study.architecture} models"


def make_context(**overrides) -> dict[str, Any]:
    """A context with neutral defaults, for tests and for callers outside Snakemake."""
    context = {
        "study": "study", "question": "", "objective": "valid_mse", "month": "", "architecture": "mlp",
        "space": {}, "scientific": [], "nuisance": [], "mode": "per_scientific",
        "search": {"algorithm": "quasi_random", "budget": 0, "seed": 0}, "seeds": 0,
        "confirm_seeds": 0, "study_repeats": 1,
        "baseline": {"trial": "", "group": "", "values": {}, "source": "", "given": False},
        "decision": {"alpha": 0.05, "min_gain": 0.005},
    }
    context.update(overrides)
    return context
