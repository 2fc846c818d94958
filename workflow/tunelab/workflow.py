"""What the Snakefile needs at parse time: studies loaded and validated, plans built in memory.

Nothing here writes a file: a bad study stops the run before any job starts, and a good one only
costs reading the study file and the dataset's time columns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tunelab.data.dataset import DataError, time_span
from tunelab.data.periods import PeriodError
from tunelab.sanity.fast import fast_mode, fast_requested
from tunelab.search.plan import Plan, block_name, job_spec, make_plan, resolve_month
from tunelab.search.rounds import find_trial, groups
from tunelab.study import Study, StudyError, load_study

USER_ERRORS = (StudyError, DataError, PeriodError, ValueError)


@dataclass(frozen=True)
class StudyPlan:
    study: Study
    plan: Plan

    @property
    def dataset(self) -> dict:
        return self.study["dataset"]


def study_paths(selection: str | list | None) -> list[Path]:
    """`--config study=NAME[,NAME...]`: names under params/, or paths to YAML files."""
    if selection is None:
        selection = "default"
    items = selection if isinstance(selection, list) else str(selection).split(",")
    paths = []
    for item in (i.strip() for i in items if str(i).strip()):
        path = Path(item) if item.endswith((".yaml", ".yml")) else Path("params") / f"{item}.yaml"
        paths.append(path)
    return paths


def plan_study(path: str | Path, config: dict) -> StudyPlan:
    """Validate one study file and plan it for `config` (month, fast); one readable error if bad."""
    study = load_study(path)
    try:
        start, end, _ = time_span(study["dataset"])
        plan = make_plan(study, start, end, resolve_month(study, config.get("month")))
        if fast_requested(study, config):  # one period, short training, few epochs
            study, plan = fast_mode(study, plan)
        groups(study)  # an adaptive phase with nothing to search stops here
    except USER_ERRORS as exc:
        raise StudyError(f"{path}: {exc}") from None
    return StudyPlan(study, plan)


def load_studies(config: dict) -> dict[str, StudyPlan]:
    """Every study selected by `config`, validated and planned; the first bad one raises."""
    studies: dict[str, StudyPlan] = {}
    for path in study_paths(config.get("study")):
        sp = plan_study(path, config)
        if sp.study.name in studies:
            raise StudyError(f"study: {sp.study.name!r} is selected twice")
        studies[sp.study.name] = sp
    check_datasets(studies)
    return studies


def write_plan_files(study_path: str, month: str, periods_out: str, plan_out: str,
                     fast: bool = False) -> Plan:
    """The plan rule: the plan the Snakefile built (same study, month and mode), for people to read."""
    from tunelab.data.periods import PERIOD_COLUMNS
    from tunelab.io import write_csv

    sp = plan_study(study_path, {"month": month, "fast": fast})
    plan = sp.plan
    write_csv(periods_out, plan.period_rows(), PERIOD_COLUMNS)
    write_csv(plan_out, plan.plan_rows(), plan.plan_columns())
    print(f"{plan.study}: month {month}, {len(plan.periods)} periods, {len(plan.trials)} trials, "
          f"{len(plan.jobs())} training jobs")
    return plan


def check_datasets(studies: dict[str, StudyPlan]) -> None:
    """Two studies may share a prepared dataset only if they describe it the same way."""
    seen: dict[str, tuple[str, dict]] = {}
    for name, sp in studies.items():
        ds = sp.dataset
        if ds["name"] in seen and seen[ds["name"]][1] != ds:
            raise StudyError(f"{sp.study.path}: dataset.name: {ds['name']!r} is also used by study "
                             f"{seen[ds['name']][0]!r} with other settings; give it another name")
        seen[ds["name"]] = (name, ds)


def datasets(studies: dict[str, StudyPlan]) -> dict[str, dict]:
    return {sp.dataset["name"]: sp.dataset for sp in studies.values()}


def run_dir(study: str, period: str, trial: str, block: str) -> str:
    return f"results/{study}/runs/{period}/{trial}/{block}"


def metrics_files(sp: StudyPlan) -> list[str]:
    return [f"{run_dir(sp.study.name, p, t, b)}/metrics.json" for p, t, b in sp.plan.jobs()]


def curves_files(sp: StudyPlan) -> list[str]:
    return [f"{run_dir(sp.study.name, p, t, b)}/curves.csv" for p, t, b in sp.plan.jobs()]


def confirm_files(sp: StudyPlan, trials: list[str], name: str = "metrics.json") -> list[str]:
    """`name` of every block that compares the baseline and the candidates (`trials`)."""
    return [f"{run_dir(sp.study.name, p, t, b)}/{name}" for p, t, b in sp.plan.confirm_jobs(trials)]


def trial_files(sp: StudyPlan, trials: list[str], name: str = "metrics.json") -> list[str]:
    """`name` of every block of `trials` (e.g. an adaptive round's) on every period."""
    blocks = [block_name(b) for b in sp.plan.seed_blocks]
    return [f"{run_dir(sp.study.name, p.id, t, b)}/{name}"
            for p in sp.plan.periods for t in trials for b in blocks]


def spec_json(sp: StudyPlan, period: str, trial: str, block: str) -> str:
    found = None if trial in sp.plan.trial_by_id else find_trial(sp.study.name, trial)
    spec = job_spec(sp.study, sp.plan, period, trial, block, found)
    return json.dumps(spec, sort_keys=True, separators=(",", ":"))


def train_resources(study: Study, attempt: int = 1) -> dict:
    """Snakemake resources of one training job of `study` (its `resources` key, schema defaults
    where it is silent). Memory and runtime grow with the attempt, so a retry after an
    out-of-memory or time-limit kill asks for more. A job with `device: cuda` holds one `gpu`
    token: `--resources gpu=N` on a workstation runs at most N at once, SLURM gets --gpus.
    None means "not declared" (Snakemake drops the resource): a CPU job has no `gpu` at all, as
    some executors (Kubernetes) treat any `gpu` key as a GPU request."""
    res = study["resources"]
    gpu = res.get("gpu", 1 if study["device"] == "cuda" else 0)
    return {
        "mem_mb": res["mem_mb"] * attempt,
        "runtime": res["runtime"] * attempt,
        "cpus_per_task": res["cpus_per_task"],
        "gpu": gpu or None,
        "slurm_extra": res["slurm_extra"] or None,
    }


def threads_warnings(studies: dict[str, StudyPlan], cores: int | None) -> list[str]:
    """Snakemake caps a job's threads at --cores, also for cluster jobs: say so when a study asks
    for more CPUs per training job than that, instead of training silently on fewer threads."""
    if not cores:
        return []
    return [f"tunelab: study {name!r} asks for resources.cpus_per_task="
            f"{sp.study['resources']['cpus_per_task']} but --cores is {cores}: its training jobs "
            f"get {cores} thread(s); pass --cores {sp.study['resources']['cpus_per_task']} or more"
            for name, sp in studies.items() if sp.study["resources"]["cpus_per_task"] > cores]
