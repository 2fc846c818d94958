"""What the Snakefile needs at parse time: studies loaded and validated, plans built in memory.

Nothing here writes a file: a bad study stops the run before any job starts, and a good one only
costs reading the study file and the dataset's time columns.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

from tunelab.data.periods import PeriodError
from tunelab.data.profile import DataError, WindowCheck, dataset_profile
from tunelab.machine import device_problem
from tunelab.sanity.fast_mode import fast_mode, fast_requested, fast_values
from tunelab.sanity.fidelity import fidelity_plan
from tunelab.search.plan import Plan, StudyPlan, block_name, group_spec, job_spec, make_plan, resolve_month
from tunelab.search.rounds import find_trial, groups
from tunelab.search.rungs import RungPlan, bracket_sizes, make_rung_plan, rung_dir, rung_epochs, split_groups
from tunelab.search.warmstart import carry_over, previous_record, warm_notes
from tunelab.study import Study, StudyError, load_study

USER_ERRORS = (StudyError, DataError, PeriodError, ValueError)


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
    check_study_file(Path(path))
    study = load_study(path)
    refusal, device_note = device_problem(study.device)
    if refusal:
        raise StudyError(f"{path}: {refusal}")
    try:
        profile, start, end, fits = data_span(study)
        month = resolve_month(study, config.get("month"))
        carried, warm = warm_start(study, month)
        plan = make_plan(study, start, end, month, fits, carried)
        check_rungs(study, plan)  # the full study's epochs: fast mode caps them on purpose
        if fast_requested(study, config):  # one period, short training, few epochs
            study, plan = fast_mode(study, plan)
        groups(study)  # an adaptive phase with nothing to search stops here
        rungs = plan_rungs(study, plan)
        fidelity_plan(StudyPlan(study, plan))  # fidelity.train too long for a period (sanity.smk)
    except USER_ERRORS as exc:
        raise StudyError(in_file(path, exc)) from None
    notes = [*plan_notes(study, plan, fits.skipped if fits else {}),
             *(data_notes(study, profile) if profile else [])]
    notes += [f"{path}: {device_note}"] if device_note else []
    return StudyPlan(study, plan, tuple(notes + warm), rungs)


def warm_start(study: Study, month: str):
    """A study's warm start (tunelab.search.warmstart) and its notes; (None, []) without one."""
    if study.warm_start is None:
        return None, []
    record = previous_record(study.name, month)
    carried = carry_over(study, record) if record else None
    return carried, warm_notes(study, month, carried)


def data_span(study: Study):
    """(profile, start, end, fits): the data file's profile, first and last time and window check;
    or, for a dataset given as a span (data only the training command reads), no profile, the
    span, and every period fits."""
    if not study.dataset.is_file:
        start, end = (dt.datetime.fromisoformat(d) for d in study.dataset.span)
        return None, start, end, None
    profile = dataset_profile(study.section("dataset"))  # cached by the file's identity
    start, end, _ = profile.span()
    task = study.task
    return profile, start, end, WindowCheck(profile, task.lags, task.horizon, study.periods.min_examples)


def in_file(path: str | Path, exc: BaseException) -> str:
    """The one message of a refusal: the study file's path first, once, whoever raised it."""
    text = str(exc)
    return text if text.startswith(f"{path}: ") else f"{path}: {text}"


def check_study_file(path: Path) -> None:
    """A study's name is its file's name alone (results/<study>/): a file in a folder under
    params/, or one elsewhere named like a file of params/, would share another study's results."""
    params = Path("params")
    own = params / f"{path.stem}.yaml"
    try:
        nested = path.resolve().parent != params.resolve() and path.resolve().is_relative_to(params.resolve())
    except OSError:
        return
    if nested:
        raise StudyError(f"{path}: study files live directly in params/: a study's results are named "
                         f"by its file's name alone, so this one would write results/{path.stem}/ "
                         f"as {own} does; move it to params/ under a name of its own")
    if own.is_file() and path.is_file() and own.resolve() != path.resolve():
        raise StudyError(f"{path}: its results would go to results/{path.stem}/, the folder of "
                         f"{own}; rename one of the two files")


def data_notes(study: Study, profile) -> list[str]:
    """The dataset's inputs that never change (not an error: the target's history remains)."""
    constant = [c for c in getattr(profile, "constant", ()) if c != study.dataset.target]
    if not constant:
        return []
    names, where = ", ".join(constant), f"constant in {study.dataset.path}"
    if set([*study.dataset.features, *study.dataset.categorical]) <= set(constant):
        return [f"{study.path}: dataset.features: every feature is {where} ({names}): the model "
                "learns from the target's own history alone"]
    return [f"{study.path}: dataset.features: {names} {where}: they carry no information"]


def plan_notes(study: Study, plan: Plan, skipped: dict[str, str]) -> list[str]:
    """Lines a person should read before the run: candidate periods the data does not fill, and a
    search that yields fewer distinct trials than its budget."""
    from tunelab.data.periods import skipped_summary

    notes = []
    if skipped and not study.periods.ranges:
        notes.append(f"{study.path}: periods: skipped {len(skipped)} candidate period(s) the data "
                     f"does not fill: {skipped_summary(skipped, limit=5)}")
    search = study.search
    if search.algorithm != "grid":
        groups = max(1, len({t.group for t in plan.trials}))
        asked = search.budget * groups * study.study_repeats
        drawn = len(plan.trials)
        if drawn < asked:
            notes.append(f"{study.path}: search.budget: {search.budget} x {groups} group(s) asked "
                         f"for {asked} trials but the search space holds only {drawn} distinct "
                         "configurations (repeated draws are trained once)")
    return notes


def plan_rungs(study: Study, plan: Plan) -> RungPlan | None:
    """The rung plan of `search.fidelity` (None without it); every trial needs the same epochs."""
    fidelity = study.search.fidelity
    if not fidelity:
        return None
    return make_rung_plan(fidelity, _full_epochs(plan), [t.id for t in plan.trials], _rung_groups(study, plan))


def _rung_groups(study: Study, plan: Plan) -> list[str] | None:
    """Each trial's scientific values in per_scientific mode (each value is promoted apart), else None."""
    return None if study.joint else [t.group for t in plan.trials]


def _full_epochs(plan: Plan) -> int:
    budgets = sorted({int(t.values["epochs"]) for t in plan.trials})
    if len(budgets) != 1:
        raise ValueError(f"search.fidelity: the trials have different `epochs` ({budgets}); "
                         "rungs need one full budget: fix `epochs` or drop search.fidelity")
    return budgets[0]


def check_rungs(study: Study, plan: Plan) -> None:
    """search.fidelity must halve something: at least two rungs, and a trial in every bracket."""
    fidelity = study.search.fidelity
    if not fidelity or not plan.trials:
        return
    full = _full_epochs(plan)
    rungs = rung_epochs(fidelity.min_epochs, fidelity.eta, full)
    if len(rungs) < 2:
        raise ValueError(f"search.fidelity.min_epochs: {fidelity.min_epochs} is not below the "
                         f"trials' epochs ({full}): one rung, nothing is halved; lower min_epochs "
                         "(or raise hyperparameters.epochs), or drop search.fidelity")
    brackets = min(fidelity.brackets, len(rungs))
    group, trials = min(split_groups([t.id for t in plan.trials], _rung_groups(study, plan)),
                        key=lambda g: len(g[1]))
    sizes = bracket_sizes(len(trials), brackets, fidelity.eta, len(rungs))
    if fidelity.brackets > len(rungs) or 0 in sizes:
        where = f"the {len(trials)} trial(s) of {group} (each scientific value has brackets of its own)" \
            if group else f"{len(trials)} trial(s)"
        raise ValueError(f"search.fidelity.brackets: {fidelity.brackets} brackets need "
                         f"{fidelity.brackets} rungs and a trial in each; min_epochs "
                         f"{fidelity.min_epochs}, eta {fidelity.eta} and epochs {full} give "
                         f"{len(rungs)} rung(s), and {where} fill "
                         f"{sum(1 for n in sizes if n)}: lower brackets or raise search.budget")


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
    rows, usable = usable_labels(sp)
    write_csv(periods_out, rows, PERIOD_COLUMNS + usable)
    write_csv(plan_out, plan.plan_rows(), plan.plan_columns())
    print(f"{plan.study}: month {month}, {len(plan.periods)} periods, {len(plan.trials)} trials, "
          f"{len(plan.jobs())} training jobs")
    return plan


def usable_labels(sp: StudyPlan) -> tuple[list[dict], list[str]]:
    """The plan's period rows with, per window, the labels a training job can use (observed, with
    a gap-free input history) and their share of the window's time steps: a window can hold far
    fewer examples than its length says. No columns for a dataset given as a span."""
    rows = sp.plan.period_rows()
    profile, _, _, fits = data_span(sp.study)
    if profile is None:
        return rows, []
    step = profile.span()[2]
    for row, period in zip(rows, sp.plan.periods, strict=True):
        for part, window in period.windows().items():
            if window is None:
                row[f"{part}_usable"], row[f"{part}_share"] = "", ""
                continue
            start, end = (dt.datetime.fromisoformat(w) for w in window)
            n = profile.usable((start, end), fits.lags, fits.horizon)
            row[f"{part}_usable"], row[f"{part}_share"] = n, round(n / max((end - start) / step, 1), 4)
    return rows, [f"{p}_{k}" for p in ("train", "valid", "test") for k in ("usable", "share")]


def missing_runs(sp: StudyPlan, root: str | Path = ".") -> tuple[int, int]:
    """(missing, planned) metrics files of the plan's search runs (exploration phase)."""
    files = metrics_files(sp)
    return sum(not (Path(root) / f).exists() for f in files), len(files)


def missing_runs_note(sp: StudyPlan, root: str | Path = ".") -> str | None:
    """Say so when runs.csv exists but planned runs have no files (deleted by hand, or lost)."""
    collected = Path(root) / "results" / sp.study.name / "runs.csv"
    if not collected.exists() or getattr(sp, "rungs", None) is not None:  # rungs: runs live per rung
        return None
    missing, planned = missing_runs(sp, root)
    if not missing:
        return None
    return (f"study {sp.study.name!r}: {missing} of {planned} planned training jobs have no files "
            f"under results/{sp.study.name}/runs/ although runs.csv exists (deleted or lost); "
            "`snakemake` retrains them and refreshes every table and report built on them")


def baseline_confirmation(sp: StudyPlan, root: str | Path = ".") -> tuple[int, int]:
    """(missing, planned) metrics files of the baseline's confirmation jobs."""
    base = sp.plan.baseline_trial
    files = confirm_files(sp, [base.id]) if base else []
    return sum(not (Path(root) / f).exists() for f in files), len(files)


def confirmation_note(sp: StudyPlan, root: str | Path = ".") -> str | None:
    """After a baseline change: its confirmation jobs are planned by a checkpoint that reruns, so
    `snakemake -n` does not list them; say that they will train."""
    chosen = Path(root) / "results" / sp.study.name / "candidates.json"
    if not chosen.exists() or getattr(sp, "rungs", None) is not None:
        return None
    missing, planned = baseline_confirmation(sp, root)
    if not missing:
        return None
    return (f"study {sp.study.name!r}: {missing} of the {planned} confirmation jobs of the baseline "
            f"{sp.plan.baseline_trial.id} have no files: a run trains them after select_candidates "
            "(a dry run in which select_candidates reruns cannot list them yet)")


def check_datasets(studies: dict[str, StudyPlan]) -> None:
    """Two studies may share a prepared dataset (data/prepared/<name>.parquet) only if they describe
    it the same way: the selected studies, and every other study file beside them (run another
    day, it would re-prepare the data under this one's runs)."""
    seen: dict[str, tuple[str, dict]] = {}
    for sp in studies.values():
        if "span" in sp.dataset:  # no prepared file: nothing to share
            continue
        ds = _prepared_identity(sp.dataset)
        earlier = [seen[ds["name"]]] if ds["name"] in seen else []
        for other, other_ds in [*earlier, *_sibling_datasets(sp.study.path, ds["name"])]:
            if other_ds != ds:
                diff = sorted(k for k in ds if ds.get(k) != other_ds.get(k))
                raise StudyError(f"{sp.study.path}: dataset.name: {ds['name']!r} is also the dataset of "
                                 f"{other} with another {', '.join(diff)}; both would write "
                                 f"data/prepared/{ds['name']}.parquet: give one another name")
        seen[ds["name"]] = (sp.study.path, ds)


def _prepared_identity(dataset: dict) -> dict:
    """The dataset keys that shape the prepared file, defaults filled in."""
    from tunelab.data.profile import READING_DEFAULTS

    keys = ("name", "path", "time", "target", "features", "categorical", "time_format", *READING_DEFAULTS)
    filled = {"features": [], "categorical": [], **READING_DEFAULTS, **dataset}
    return {k: filled.get(k) for k in keys}


def _sibling_datasets(study_path: str, name: str) -> list[tuple[str, dict]]:
    """(file, dataset) of the other study files in the same folder that name dataset `name`."""
    import yaml

    found = []
    here = Path(study_path)
    for other in sorted(here.parent.glob("*.yaml")):
        if other.resolve() == here.resolve():
            continue
        try:
            ds = yaml.safe_load(other.read_text(encoding="utf-8"))["dataset"]
        except Exception:  # noqa: BLE001 (not a study, or a broken one: it speaks for itself when run)
            continue
        if isinstance(ds, dict) and ds.get("name") == name and "span" not in ds:
            found.append((str(other), _prepared_identity(ds)))
    return found


def datasets(studies: dict[str, StudyPlan]) -> dict[str, dict]:
    """The prepare rule's params per dataset name (reading keys at their default left out)."""
    from tunelab.data.profile import prepare_params

    return {sp.dataset["name"]: prepare_params(sp.dataset) for sp in studies.values() if "span" not in sp.dataset}


def run_dir(study: str, period: str, trial: str, block: str) -> str:
    return f"results/{study}/runs/{period}/{trial}/{block}"


def metrics_files(sp: StudyPlan, name: str = "metrics.json") -> list[str]:
    """`name` (metrics.json, curves.csv) of every training job of the plan."""
    return [f"{run_dir(sp.study.name, p, t, b)}/{name}" for p, t, b in sp.plan.jobs()]


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
    if found:  # an adaptive trial: in fast mode its epochs are capped too
        found = dataclasses.replace(found, values=fast_values(sp.study, found.values))
    spec = job_spec(sp.study, sp.plan, period, trial, block, found)
    group = sp.plan.job_group(trial, block)
    if group:  # trained by its job group's job (trials_per_job): this job only links its files
        spec["from_group"] = group_dir(sp.study.name, period, group, block)
    return json.dumps(spec, sort_keys=True, separators=(",", ":"))


def study_rounds(sp: StudyPlan, group: str | None = None, upto: int | None = None) -> list[tuple[str, int]]:
    """(group, k) of every adaptive round of the study, or of `group`'s rounds 1..upto, in order
    (static: the rounds' files are the suggest jobs' outputs, whatever they hold)."""
    then = sp.study.search.then
    if not then:
        return []
    last = then.rounds if upto is None else upto
    return [(g, k) for g in ([group] if group else groups(sp.study)) for k in range(1, last + 1)]


def collected(study: str, part: tuple[str, int] | None = None, kind: str = "blocks.jsonl") -> str:
    """A collected part (tunelab.collect): the exploration's, or (part = (group, k)) a round's."""
    stem = "exploration" if part is None else f"{part[0]}/round{part[1]}"
    return f"results/{study}/collected/{stem}.{kind}"


def axis_names(sp: StudyPlan) -> list[str]:
    """Hyperparameters that vary in the study: one axis plot each."""
    return [n for n, hp in sp.study.space.items() if hp.searched and n in sp.plan.columns]


def isolation_names(sp: StudyPlan) -> list[str]:
    """The scientific ones among them: one isolation plot each."""
    return [n for n in axis_names(sp) if sp.study.space[n].role == "scientific"]


def group_dir(study: str, period: str, group: str, block: str) -> str:
    return f"results/{study}/runs/{period}/groups/{group}/{block}"


def train_input(sp: StudyPlan, period: str, trial: str, block: str) -> list[str]:
    """What a training job of `trial` needs besides the data: its job group's outputs, if any."""
    group = sp.plan.job_group(trial, block)
    return [group_dir(sp.study.name, period, group, block)] if group else []


def group_spec_json(sp: StudyPlan, period: str, group: str, block: str) -> str:
    spec = group_spec(sp.study, sp.plan, period, group, block)
    return json.dumps(spec, sort_keys=True, separators=(",", ":"))


def per_study(studies: dict[str, StudyPlan], value, grows: bool = False):
    """A rule attribute (input, threads, resource) that comes from each selected study's
    `value(StudyPlan)`: the value itself when every selected study gives the same one, else a
    function of the `study` wildcard. Snakemake evaluates a function once per job and per
    attribute, with an `inspect.signature` each time (~0.1-0.3 ms): on a 10,000-job grid the
    constant saves seconds. `grows`: the value is multiplied by the job's attempt (a retry after an
    out-of-memory or time-limit kill asks for more), so it stays a function of the attempt."""
    values = {name: value(sp) for name, sp in studies.items()}
    shared = len({json.dumps(v, sort_keys=True) for v in values.values()}) == 1
    only = next(iter(values.values()), None)
    if grows:
        if shared:
            return signature_once(lambda wildcards, attempt: only * attempt)
        return signature_once(lambda wildcards, attempt: values[wildcards.study] * attempt)
    if shared:
        return only
    return signature_once(lambda wildcards: values[wildcards.study])


def signature_once(func):
    """Tell Snakemake `func`'s parameters once, instead of `inspect.signature(func)` at every call
    (Snakemake reads them from this attribute: snakemake.common.overwrite_function_params). Where
    a Snakemake version has no such attribute, nothing changes."""
    import inspect

    try:
        from snakemake.common import FUNC_OVERWRITE_PARAMS_ATTR
    except ImportError:
        return func
    setattr(func, FUNC_OVERWRITE_PARAMS_ATTR, inspect.signature(func).parameters)
    return func


def rung_spec_json(sp: StudyPlan, epochs: int, period: str, trial: str, block: str) -> str:
    """A rung's job: the trial's own spec (its full `epochs`: the schedule spans them), stopped at
    the rung's epoch budget."""
    spec = {**job_spec(sp.study, sp.plan, period, trial, block), "stop_epoch": int(epochs)}
    return json.dumps(spec, sort_keys=True, separators=(",", ":"))


def rung_files(sp: StudyPlan, epochs: int, trials: list[str], name: str = "metrics.json") -> list[str]:
    """`name` of every block of `trials` at the rung of `epochs` epochs."""
    blocks = [block_name(b) for b in sp.plan.seed_blocks]
    return [f"{rung_dir(sp.study.name, epochs, p.id, t, b)}/{name}"
            for p in sp.plan.periods for t in trials for b in blocks]


def final_rung_files(sp: StudyPlan, last: dict[str, int], name: str = "metrics.json",
                     trials: list[str] | None = None) -> list[str]:
    """`name` of every block of the exploration's trials (or of `trials`) at the last rung each
    trained in (`last`: trial -> epochs), in plan order: what runs.csv, the curves and the adaptive
    rounds read when the study has rungs."""
    blocks = [block_name(b) for b in sp.plan.seed_blocks]
    ids = [t.id for t in sp.plan.trials] if trials is None else trials
    return [f"{rung_dir(sp.study.name, last[t], p.id, t, b)}/{name}"
            for p in sp.plan.periods for t in ids for b in blocks]


def train_entry(study: Study) -> str:
    """The module that trains one job of `study`: tunelab's loop, or, for a study with a
    `trainer.command`, the adapter that runs the command under the file contract
    (tunelab.train.command)."""
    return "tunelab.train.command" if study.trainer else "tunelab.train.loop"


def group_runtime(sp: StudyPlan, job_group: str, attempt: int = 1) -> int:
    """The wall-time limit of a job group's job (trials_per_job): one trial's `runtime` for each
    of its trials, as if they trained one after another (on a CPU a wide model's members cost
    about that much batched too), so a cluster does not kill it at one trial's limit."""
    return train_resources(sp.study, attempt)["runtime"] * len(sp.plan.job_groups[job_group])


def train_resources(study: Study, attempt: int = 1) -> dict:
    """Snakemake resources of one training job of `study` (its `resources` key, schema defaults
    where it is silent). Memory and runtime grow with the attempt, so a retry after an
    out-of-memory or time-limit kill asks for more. A job with `device: cuda` holds one `gpu`
    token: `--resources gpu=N` on a workstation runs at most N at once, SLURM gets --gpus.
    None means "not declared" (Snakemake drops the resource): a CPU job has no `gpu` at all, as
    some executors (Kubernetes) treat any `gpu` key as a GPU request."""
    res = study.resources
    gpu = res.gpu if res.gpu is not None else (1 if study.device == "cuda" else 0)
    return {
        "mem_mb": res.mem_mb * attempt,
        "runtime": res.runtime * attempt,
        "cpus_per_task": res.cpus_per_task,
        "gpu": gpu or None,
        "slurm_extra": res.slurm_extra or None,
    }


def threads_warnings(studies: dict[str, StudyPlan], cores: int | None) -> list[str]:
    """Snakemake caps a job's threads at --cores, also for cluster jobs: say so when a study asks
    for more CPUs per training job than that, instead of training silently on fewer threads."""
    if not cores:
        return []
    return [f"tunelab: study {name!r} asks for resources.cpus_per_task="
            f"{sp.study.resources.cpus_per_task} but --cores is {cores}: its training jobs "
            f"get {cores} thread(s); pass --cores {sp.study.resources.cpus_per_task} or more"
            for name, sp in studies.items() if sp.study.resources.cpus_per_task > cores]
