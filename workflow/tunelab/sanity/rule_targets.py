"""Parse-time glue of the sanity rules (workflow/rules/sanity.smk): their targets and parameters.

Nothing here reads data or writes files; it only turns a planned study into paths and small,
JSON-able rule parameters.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tunelab.sanity.fidelity import FidelityPlan, fidelity_plan, setting_spec
from tunelab.study.space import model_configs

if TYPE_CHECKING:
    from tunelab.search.plan import StudyPlan


def period_windows(sp: StudyPlan) -> dict[str, dict]:
    """{period id: {train, valid, test}} as ISO strings, in plan order."""
    return {p.id: p.windows() for p in sp.plan.periods}


def fidelity_outputs(name: str) -> list[str]:
    return [f"results/{name}/fidelity/fidelity.{ext}" for ext in ("csv", "png", "md")]


def sanity_targets(sp: StudyPlan) -> list[str]:
    """What `snakemake` (rule all) builds beside a study; the fidelity study only when it has a
    `fidelity:` section (otherwise it is built on request: `snakemake fidelity`)."""
    name = sp.study.name
    reads_data = [f"results/{name}/{page}" for page in ("data_report.md", "baselines.csv", "sanity.md")]
    targets = [*(reads_data if sp.study.dataset.is_file else []), f"results/{name}/dynamics.md"]
    if sp.study.fidelity.given and not sp.study.fast.on:
        targets += fidelity_outputs(name)
    return targets


def fidelity_plans(studies: dict[str, StudyPlan]) -> dict[str, FidelityPlan]:
    """The fidelity study of every selected study that can have one (not a fast study)."""
    plans = {}
    for name, sp in studies.items():
        fp = fidelity_plan(sp)
        if fp is not None:
            plans[name] = fp
    return plans


def overfit_params(sp: StudyPlan) -> dict:
    """The overfit check's parameters (the sanity rule's `check`): the distinct models and the first
    period's windows."""
    first = sp.plan.periods[0]
    return {"architecture": sp.study.model_builder,  # a custom model: its factory
            "models": model_configs([t.values for t in sp.plan.trials]),
            "period": first.id, "windows": first.windows()}


def setting_rows(fp: FidelityPlan) -> list[dict]:
    return [{"name": s.name, "train": s.train, "epochs": s.epochs} for s in fp.settings]


def fidelity_spec_json(sp: StudyPlan, fp: FidelityPlan, setting: str, period: str, trial: str,
                       block: str) -> str:
    """The train_fidelity job's spec (see tunelab.sanity.fidelity.setting_spec), as the train job reads it."""
    spec = setting_spec(sp, fp, setting, period, trial, block)
    return json.dumps(spec, sort_keys=True, separators=(",", ":"))
