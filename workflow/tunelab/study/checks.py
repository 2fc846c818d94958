"""The rules a study must keep that the schema cannot state: columns that clash, values the trainer
cannot use, conditional hyperparameters that would never be used, date ranges out of order, a plan
too large to finish, a text encoding Python does not know, sbatch options the SLURM plugin sets itself.
Each raises StudyError naming the file, the key and the value."""

from __future__ import annotations

import codecs
import datetime as dt
import re

from tunelab.study.factory import command_problem, factory_problem
from tunelab.study.limits import check_range, check_value
from tunelab.study.resolved import Study
from tunelab.study.schema import StudyError


def check_study(study: Study) -> None:
    check_columns(study)
    for i, rng in enumerate(study.periods.ranges):
        check_date_range(rng, f"periods.ranges.{i}", study.path)
    check_model(study)
    check_trainer(study)
    check_space(study)
    check_kernel(study)
    check_slurm_extra(study)
    check_baseline(study)
    check_size(study)


def check_columns(study: Study) -> None:
    """Each column is time, target, numeric feature or categorical, never two of them."""
    ds, path = study.dataset, study.path
    overlap = set(ds.features) & set(ds.categorical)
    if overlap:
        raise StudyError(f"{path}: dataset.categorical: {sorted(overlap)[0]!r} is also in "
                         "dataset.features; a column is numeric or categorical, not both")
    if ds.target in ds.features:
        raise StudyError(f"{path}: dataset.features: {ds.target!r} is the target; its history "
                         "is always an input, do not list it as a feature")
    if ds.target in ds.categorical:
        raise StudyError(f"{path}: dataset.categorical: {ds.target!r} is the target; a target is "
                         "numeric and its history is always an input, do not list it")
    for key, cols in (("target", [ds.target]), ("features", ds.features), ("categorical", ds.categorical)):
        clash = [c for c in cols if c in ds.time_columns]
        if clash:
            raise StudyError(f"{path}: dataset.{key}: {clash[0]!r} is also a time column "
                             "(dataset.time); a column is either time or data")
    _check_time_format(ds, path)
    _check_encoding(ds.encoding, path)


def _check_encoding(encoding: str, path: str) -> None:
    """A text encoding Python knows (codecs.lookup is a table look-up: cheap at parse time)."""
    try:
        text = codecs.lookup(encoding)._is_text_encoding
    except LookupError:
        text = None
    if not text:
        what = "is not a text encoding Python knows" if text is None else "is not a text encoding"
        raise StudyError(f"{path}: dataset.encoding: {encoding!r} {what}; write e.g. utf-8, "
                         "latin-1 or cp1252")


def _check_time_format(ds, path: str) -> None:
    """Two text columns [date, time] read as ISO 8601 unless time_format says otherwise."""
    if ds.time_format is None:
        return
    if len(ds.time_columns) > 2:
        raise StudyError(f"{path}: dataset.time_format: {ds.time_format!r} applies to a text "
                         f"time; dataset.time {ds.time_columns} are numeric parts [year, month, day, ...]")
    if "%" not in ds.time_format:
        raise StudyError(f"{path}: dataset.time_format: {ds.time_format!r} has no strftime code; "
                         "write e.g. '%d/%m/%Y %H:%M:%S'")


def check_space(study: Study) -> None:
    """Values the trainer can use (tunelab.study.limits), and no searched hyperparameter that its
    condition makes unused in every trial."""
    entries, path = study.hyperparameters, study.path
    user = set(study.user_hyperparameters)
    for name, hp in study.space.items():
        key = f"hyperparameters.{name}"
        if name in user:  # a custom model's own: its factory checks the values it takes
            values, where = [], key
        elif hp.kind == "fixed":
            values, where = [hp.value], key
        elif hp.kind == "categorical":
            values, where = list(hp.points), f"{key}.feasible_points"
        else:
            reason = check_range(name, hp.low, hp.high, hp.kind == "integer")
            if reason:
                raise StudyError(f"{path}: {key}: {reason}")
            values, where = [], key
        for value in values:
            reason = check_value(name, value)
            if reason and (name in entries or hp.kind != "fixed"):
                raise StudyError(f"{path}: {where}: {reason}")
        if hp.searched and hp.when:
            _check_active(hp, study.space, key, path)


def check_model(study: Study) -> None:
    """`architecture: custom` comes with model.factory, a built-in one without; the factory's
    module exists and defines the function (read, not imported: tunelab.study.factory)."""
    custom, given = study.architecture == "custom", "model" in study.json
    if custom and not given:
        raise StudyError(f"{study.path}: model.factory: architecture is 'custom' and no factory is "
                         "given; add model: {factory: my_models.gru:build} (module:function)")
    if given and not custom:
        raise StudyError(f"{study.path}: model: given with architecture {study.architecture!r}, which "
                         "builds its own model; set architecture: custom to use model.factory")
    problem = factory_problem(study.model_factory) if custom else None
    if problem:
        raise StudyError(f"{study.path}: model.factory: {study.model_factory!r}: {problem}")


def check_trainer(study: Study) -> None:
    """trainer.command's program exists; its jobs train one trial each (trials_per_job batches
    tunelab's own models only)."""
    if study.trainer is None:
        return
    problem = command_problem(study.trainer.command)
    if problem:
        raise StudyError(f"{study.path}: trainer.command: {study.trainer.command!r}: {problem}")
    if study.trials_per_job > 1:
        raise StudyError(f"{study.path}: trials_per_job: {study.trials_per_job} with trainer.command; "
                         "a command trains one trial per job: remove trials_per_job")


def check_kernel(study: Study) -> None:
    """A cnn's kernel_size at most task.lags: a wider kernel than the input window reads mostly
    the zero padding (padding="same"), which no search should spend runs on."""
    hp = study.space.get("kernel_size")
    if study.architecture != "cnn" or hp is None:
        return
    widest = hp.value if hp.kind == "fixed" else (max(hp.points) if hp.kind == "categorical" else hp.high)
    lags = study.task.lags
    if isinstance(widest, int | float) and not isinstance(widest, bool) and widest > lags:
        raise StudyError(f"{study.path}: hyperparameters.kernel_size: {widest!r} exceeds task.lags "
                         f"{lags}; a kernel wider than the input window reads mostly padding: "
                         f"use kernel_size <= {lags}, or raise task.lags")


# sbatch options that snakemake-executor-plugin-slurm (2.8) sets itself and refuses in
# slurm_extra (its validation.get_forbidden_slurm_options): found here, at parse time, instead of
# at the first submission. value: the study key or profile setting to use instead.
SLURM_OWN = {
    r"--job-name|-J": None, r"--output|-o": None,
    r"--error|-e": None, r"--parsable": None,
    r"--export": None, r"--comment": None, r"--chdir|--workdir|-D": None,
    r"--account|-A": "slurm-account in the profile", r"--partition|-p": "slurm_partition in the profile",
    r"--mem|--mem-per-cpu": "resources.mem_mb", r"--ntasks|-n|--ntasks-per-gpu|--nodes|-N": None,
    r"--cpus-per-task|-c|--cpus-per-gpu": "resources.cpus_per_task",
    r"--time|-t": "resources.runtime", r"--gres|--gpus|-G": "resources.gpu",
    r"--constraint|-C": "set-resources: {train: {constraint: ...}} in the profile",
    r"--qos": "set-resources: {train: {qos: ...}} in the profile",
    r"--clusters|-M": "set-resources: {train: {clusters: ...}} in the profile",
}


def check_slurm_extra(study: Study) -> None:
    """resources.slurm_extra may not repeat an option the profile or the plugin already sets."""
    extra = study.resources.slurm_extra
    for word in extra.split():
        option = word.split("=", 1)[0]
        for pattern, instead in SLURM_OWN.items():
            if re.fullmatch(pattern, option):
                raise StudyError(f"{study.path}: resources.slurm_extra: {option} in {extra!r} is an "
                                 "sbatch option the SLURM profile (its executor plugin) sets itself "
                                 "and refuses at submission; "
                                 + (f"use {instead} instead" if instead else "leave it out"))


def check_baseline(study: Study) -> None:
    """Baseline values the trainer can use; a searched hyperparameter of a custom model has no
    built-in value to stand in, so the baseline must give it."""
    user = set(study.user_hyperparameters)
    for name, value in study.baseline.items():
        if name not in study.space:
            raise StudyError(f"{study.path}: baseline.{name}: not a hyperparameter of architecture "
                             f"{study.architecture!r}")
        reason = None if name in user else check_value(name, value)
        if reason:
            raise StudyError(f"{study.path}: baseline.{name}: {reason}")
    missing = [name for name in study.user_hyperparameters
               if study.space[name].searched and name not in study.baseline]
    if missing:
        raise StudyError(f"{study.path}: baseline.{missing[0]}: searched, and only your model knows it, "
                         "so there is no built-in value to stand in for the baseline's; give the "
                         f"value in use today (baseline: {{{missing[0]}: ...}})")


def _check_active(hp, space: dict, key: str, path: str) -> None:
    """A searched conditional hyperparameter must exist for some value its parents can take."""
    for parent, allowed in hp.when.items():
        other = space[parent]
        possible = [other.value] if other.kind == "fixed" else list(other.points)
        if other.kind in ("fixed", "categorical") and not set(map(repr, possible)) & set(map(repr, allowed)):
            raise StudyError(f"{path}: {key}: searched, but it exists only when {parent} is one of "
                             f"{list(allowed)} and {parent} is {_show(possible)} here; it would never "
                             f"be used: search {parent} too, or make {hp.name} fixed")


def _show(values: list) -> str:
    return repr(values[0]) if len(values) == 1 else f"one of {values}"


def check_size(study: Study) -> None:
    """A plan no machine here can finish is refused unless the study opts in with max_runs."""
    runs = study.run_count
    if runs > study.max_runs:
        seeds = len(study.seeds) + len(study.confirm_seeds)
        raise StudyError(
            f"{study.path}: max_runs: this study would train up to {runs:,} runs ({study.period_count} "
            f"periods x {study.trial_count:,} trials x {seeds} seeds, confirmation included), above "
            f"max_runs {study.max_runs:,}, more than a machine here finishes; lower search.budget or "
            f"seeds, or set max_runs: {runs} to run it anyway")


def check_date_range(rng: dict, key: str, path: str) -> None:
    previous_end = None
    for part in ("train", "valid", "test"):
        if part not in rng:
            continue
        start, end = (_date(d, f"{key}.{part}", path) for d in rng[part])
        if not start < end:
            raise StudyError(f"{path}: {key}.{part}: {rng[part]!r} ends before it starts")
        if previous_end is not None and start < previous_end:
            raise StudyError(f"{path}: {key}.{part}: {rng[part]!r} starts before the previous "
                             "window ends; windows must be chronological (train, valid, test)")
        previous_end = end


def _date(text: str, key: str, path: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise StudyError(f"{path}: {key}: {text!r} is not a calendar date (YYYY-MM-DD)") from None
