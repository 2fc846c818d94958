"""`tunelab`: look at a study from the shell, while it runs or after.

    tunelab status default          progress and the leaderboard of what has finished so far
    tunelab validate params/x.yaml  check a study file without running anything
    tunelab plan default            the periods and trials a run this month would train
    tunelab check-trainer command_lgbm   which of tunelab's promises the study's trainer keeps
    tunelab compare main            what the working tree's results change against main (Markdown)
    tunelab restore main            CI: main's results from DVC into the workspace, before dvc repro
    tunelab retrain default --trial T --period P -- --cores 2
                                    delete the named runs and retrain them (and what is built on them)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from pathlib import Path


def _study_path(name: str) -> Path:
    from tunelab.workflow import study_paths

    return study_paths(name)[0]


def cmd_status(args) -> int:
    import pandas as pd

    from tunelab.collect import (
        finished_blocks,
        hyperparameter_columns,
        leaderboard,
        runs_table,
        summarise,
    )

    study = Path(args.study).stem
    study_dir = Path(args.results) / study
    objective = args.objective or _study_objective(args.study)
    planned = _planned_blocks(args.study, study_dir)
    if planned is None:  # no study file or plan: show whatever has finished
        blocks, total = finished_blocks(study_dir), ""
    else:  # only the runs of the current plan, not those of earlier configurations
        paths, runs_planned = planned
        blocks, total = [p for p in paths if p.exists()], f" of {runs_planned}"
    runs = runs_table(blocks, adaptive_phases(study_dir))
    bad = int((runs["status"] != "ok").sum()) if len(runs) else 0
    print(f"study {study}: {len(runs)}{total} runs finished, {bad} infeasible")
    if planned is not None and (study_dir / "runs.csv").exists() and len(blocks) < len(planned[0]):
        gone = len(planned[0]) - len(blocks)
        print(f"WARNING: {gone} of {len(planned[0])} planned training jobs have no files, but "
              f"{study_dir}/runs.csv exists: its tables and report describe runs that are gone. "
              f"`snakemake --config study={study}` retrains them; `tunelab retrain {study}` retrains "
              "the runs you name")
    if runs.empty:
        _print_baselines(study_dir, objective)
        return 0
    board = status_board(runs, leaderboard(summarise(runs, objective), args.top), objective)
    varying = [c for c in hyperparameter_columns(runs) if runs[c].nunique() > 1]
    print(f"ranked by {objective} (mean over periods of the mean over seeds; lower is better)")
    with pd.option_context("display.width", 160, "display.max_columns", 30):
        shown = 9 if board.columns[2] == "phase" else 8
        print(board[[*board.columns[:shown], *varying]].to_string(float_format=lambda v: f"{v:.4g}"))
    _print_baselines(study_dir, objective)
    return 0


def status_board(runs, board, objective: str):
    """The leaderboard as `tunelab status` shows it: the metric named in its column, `seeds` the
    distinct seeds of a trial and `runs` its runs (seeds x periods)."""
    seeds = runs.groupby("trial")["seed"].nunique()
    count = runs.groupby("trial").size()
    out = board.assign(seeds=board["trial"].map(seeds), runs=board["trial"].map(count))
    out = out.rename(columns={"objective_mean": objective, "objective_std": "retrain_std"})
    first = ["trial", "group", "periods", "seeds", "runs", objective, "retrain_std", "period_std"]
    if "phase" in out and runs["phase"].nunique() > 1:  # which trials the adaptive rounds chose
        first.insert(2, "phase")
    return out[first + [c for c in out.columns if c not in first]]


def _study_objective(name: str) -> str:
    """The study file's objective (valid_mse if the file is gone or invalid)."""
    from tunelab.study import StudyError, load_study

    try:
        return load_study(_study_path(name)).objective
    except StudyError:
        return "valid_mse"


def _print_baselines(study_dir: Path, objective: str) -> None:
    """The simple baselines on the same periods (baselines.csv), to read the leaderboard against."""
    from tunelab.sanity.naive import baseline_lines, read_baselines

    frame = read_baselines(study_dir / "baselines.csv")
    if frame is not None and len(frame):
        print(f"simple baselines ({objective}, mean over the same periods):")
        print("\n".join(baseline_lines(frame, objective)))


def _planned_blocks(name: str, study_dir: Path) -> tuple[list[Path], int] | None:
    """metrics.json paths of this study's plan, for the month it was planned in, and its run count."""
    import csv

    from tunelab.workflow import USER_ERRORS, load_studies, metrics_files

    periods = study_dir / "periods.csv"
    if not periods.exists() or not _study_path(name).exists():
        return None
    with open(periods) as fh:
        month = next(csv.DictReader(fh))["month"]
    try:
        sp = next(iter(load_studies({"study": name, "month": month}).values()))
    except USER_ERRORS:
        return None
    root = study_dir.parent.parent  # metrics_files are relative to the working directory
    runs = len(sp.plan.periods) * len(sp.plan.trials) * len(sp.study.seeds)
    if sp.rungs is not None:  # with rungs: each run at the furthest rung it has reached so far
        paths = [_furthest_rung(root, sp, *job) for job in sp.plan.jobs()]
    else:
        paths = [root / p for p in metrics_files(sp)]
    adaptive, expected = _adaptive_blocks(sp, root)
    return paths + adaptive, runs + expected * len(sp.plan.periods) * len(sp.study.seeds)


def adaptive_phases(study_dir: Path) -> dict[str, tuple[str, int]]:
    """trial -> ("adaptive", round) of every trial in the study's round files."""
    import re

    from tunelab.search.rounds import round_trials

    phases = {}
    for path in sorted((study_dir / "rounds").glob("*/round*.csv")):
        k = int(re.sub(r"\D", "", path.stem) or 0)
        phases.update({t.id: ("adaptive", k) for t in round_trials(str(path))})
    return phases


def _adaptive_blocks(sp, root: Path) -> tuple[list[Path], int]:
    """The adaptive phase's blocks (the trials of the round files suggested so far, on every
    period and seed block) and the number of trials its rounds will hold in all."""
    from tunelab.search.rounds import groups
    from tunelab.workflow import run_dir

    then = sp.study.search.then
    if then is None:
        return [], 0
    trials = sorted(adaptive_phases(root / "results" / sp.study.name))
    blocks = sorted({b for _, _, b in sp.plan.jobs()})
    paths = [root / run_dir(sp.study.name, p.id, t, b) / "metrics.json"
             for t in trials for p in sp.plan.periods for b in blocks]
    return paths, then.rounds * then.batch * len(groups(sp.study))


def _furthest_rung(root: Path, sp, period: str, trial: str, block: str) -> Path:
    from tunelab.search.rungs import rung_dir

    paths = [root / rung_dir(sp.study.name, e, period, trial, block) / "metrics.json"
             for e in sp.rungs.bracket_of(trial).epochs]
    return next((p for p in reversed(paths) if p.exists()), paths[0])


def cmd_validate(args) -> int:
    """The study file (schema and meaning), its dataset (columns, time parse, duplicates, numeric
    types) and its plan (periods the data fills, size): what Snakemake checks at parse time."""
    from tunelab.workflow import USER_ERRORS, load_studies

    try:
        sp = next(iter(load_studies({"study": args.study, "month": args.month}).values()))
    except USER_ERRORS as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 1
    study, plan = sp.study, sp.plan
    for note in sp.notes:
        print(f"note: {note}", file=sys.stderr)
    searched = [f"{hp.name} ({hp.role})" for hp in study.space.values() if hp.searched]
    data = study.dataset.path or "span " + " to ".join(study.dataset.span)
    print(f"{study.path}: valid; {study.architecture}, searched: {', '.join(searched) or 'none'}; "
          f"dataset {data}: {len(plan.periods)} periods, {len(plan.trials)} trials in month {plan.month}")
    return 0


def cmd_plan(args) -> int:
    from tunelab.workflow import USER_ERRORS, load_studies

    try:
        sp = next(iter(load_studies({"study": args.study, "month": args.month,
                                     "fast": args.fast}).values()))
    except USER_ERRORS as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 1
    plan = sp.plan
    for note in sp.notes:
        print(f"note: {note}", file=sys.stderr)
    search_runs = len(plan.periods) * len(plan.trials) * len(sp.study.seeds)
    print(f"study {plan.study}, month {plan.month}: {len(plan.periods)} periods x "
          f"{len(plan.trials)} trials x {len(sp.study.seeds)} seeds = {search_runs} runs"
          + (_rungs_note(sp) if sp.rungs else f" in {len(plan.jobs())} jobs" + _grouped_note(plan)))
    carried = [t for t in plan.trials if t.carried]
    if carried:  # warm_start: their runs on periods last month shared are on disk already
        print(f"  {len(carried)} of the trials carried over from {carried[0].carried} (warm_start); "
              "their runs on the periods both months share are reused")
    adaptive_runs, adaptive_jobs = _adaptive_size(sp)
    confirm = confirmation_size(plan)
    print(f"confirmation: up to {confirm['trials']} trial{'' if confirm['trials'] == 1 else 's'} x "
          f"{len(plan.periods)} periods x "
          f"{confirm['seeds']} seeds = {confirm['runs']} runs in {confirm['jobs']} jobs "
          "(the baseline and the best trial of each scientific value, retrained on fresh seeds "
          "before the decision)")
    print(f"in all: up to {search_runs + adaptive_runs + confirm['runs']} runs in "
          f"{_search_jobs(sp) + adaptive_jobs + confirm['jobs']} jobs")
    on_disk = _on_disk_line(sp)
    if on_disk:
        print(on_disk)
    for row in plan.period_rows():
        print(f"  {row['period']}: train {row['train_start'][:10]}..{row['train_end'][:10]}, "
              f"valid ..{row['valid_end'][:10]}" + (f", test ..{row['test_end'][:10]}"
                                                    if row["test_end"] else ""))
    return 0


def _on_disk_line(sp, root: Path = Path(".")) -> str | None:
    """What of the plan is trained already: the search jobs, and the baseline's and the last
    candidates' confirmation jobs. The confirmation is planned by a checkpoint; where that reruns,
    `snakemake -n` cannot list it: this says whether a run trains it. None before any result."""
    import json

    from tunelab.workflow import confirm_files, metrics_files

    study_dir = root / "results" / sp.study.name
    if not study_dir.is_dir() or sp.rungs is not None:  # rungs: runs live per rung
        return None
    search = metrics_files(sp)
    trained = sum((root / f).exists() for f in search)
    base = sp.plan.baseline_trial.id
    candidates = study_dir / "candidates.json"
    chosen = json.loads(candidates.read_text()) if candidates.exists() else {}
    last = sorted({g["trial"] for g in chosen.get("per_group", [])} - {base})
    parts = [f"trained already: {trained} of {len(search)} search jobs"]
    for label, trials in ((f"the baseline {base}'s", [base]), ("the last candidates'", last)):
        files = confirm_files(sp, trials) if trials else []
        if files:
            done = sum((root / f).exists() for f in files)
            parts.append(f"{label} confirmation: {done} of {len(files)} jobs")
    return ("; ".join(parts) + " (the confirmation is planned by select_candidates: a dry run in "
            "which it reruns cannot list those jobs yet)")


def _grouped_note(plan) -> str:
    """Where trials_per_job groups trials: how many processes actually train, and the price."""
    processes = plan.training_processes()
    if processes == len(plan.jobs()):
        return ""
    return (f"; {processes} of them train (trials_per_job {plan.trials_per_job}: the trials of one "
            "shape on one period train together, the other jobs link their files; a changed trial "
            "retrains its group)")


def _search_jobs(sp) -> int:
    """The search's training jobs: one per trial, rung, period and seed block with rungs, else the plan's."""
    if not sp.rungs:
        return len(sp.plan.jobs())
    from tunelab.search.rungs import rung_sizes

    return sum(rung_sizes(sp.rungs)[0].values()) * len(sp.plan.periods) * len(sp.plan.seed_blocks)


def _rungs_note(sp) -> str:
    """With search.fidelity: how many trials train to each rung, in how many jobs, at what share
    of the epochs of training every trial fully (at most: a hopeless or diverged trial stops sooner)."""
    from tunelab.search.rungs import rung_sizes

    counts, share = rung_sizes(sp.rungs)
    steps = [f"{n} to {e}" for e, n in counts.items()]
    first = next(iter(counts))
    steps[0] = steps[0].replace(" to ", " trials to ") + (" epoch" if first == 1 else " epochs")
    ladder = ", ".join(steps[:-1]) + f" and {steps[-1]}" if len(steps) > 1 else steps[0]
    jobs = _search_jobs(sp)
    apart = "; each scientific value's trials are promoted among themselves" \
        if any(b.group for b in sp.rungs.brackets) else ""
    return (f", trained in successive-halving rungs (eta {sp.rungs.eta}{apart}): at most "
            f"{ladder}, in {jobs} jobs of one trial each, {share:.0%} of the epochs that training "
            "every trial fully would take")


def _adaptive_size(sp) -> tuple[int, int]:
    """(runs, jobs) of the adaptive phase (search.then), printed; (0, 0) without one."""
    from tunelab.search.rounds import groups

    then = sp.study.search.then
    if then is None:
        return 0, 0
    n_groups, periods, seeds = len(groups(sp.study)), len(sp.plan.periods), len(sp.study.seeds)
    trials = then.rounds * then.batch * n_groups
    blocks = len(sp.plan.seed_blocks)
    print(f"adaptive phase ({then.algorithm}): {then.rounds} rounds x {then.batch} trials x {n_groups} "
          f"group(s) = {trials} trials x {periods} periods x {seeds} seeds = {trials * periods * seeds} "
          f"runs in {trials * periods * blocks} jobs (suggested round by round, after the exploration)")
    return trials * periods * seeds, trials * periods * blocks


def confirmation_size(plan) -> dict:
    """The most the decision's confirmation can train beyond the search: the jobs of
    `plan.confirm_jobs` (the ones the decide rule asks for) for the baseline and one trial per
    scientific value that the search has not trained already. With confirm_seeds: 0 that is the
    baseline alone, on the study's own seeds, when the search did not draw it."""
    from tunelab.search.plan import block_seeds

    per_group = {t.group: t.id for t in reversed(plan.trials)}  # a stand-in candidate per value
    trials = list(dict.fromkeys([plan.baseline, *per_group.values()]))
    searched = set(plan.jobs())
    new = [job for job in plan.confirm_jobs(trials) if job not in searched]
    trained = sorted({t for _, t, _ in new})
    return {"trials": len(trained), "jobs": len(new),
            "runs": sum(len(block_seeds(b)) for _, _, b in new),
            "seeds": len({s for _, _, b in new for s in block_seeds(b)})}


def cmd_check_trainer(args) -> int:
    """One trial of the study at a tiny budget, trained a few times by its own trainer: which of
    tunelab's promises it keeps (tunelab.train.check)."""
    import tempfile

    from tunelab.data.dataset import prepare_file
    from tunelab.data.profile import prepare_params
    from tunelab.train.check import check_job, check_trainer, table, write_check
    from tunelab.workflow import USER_ERRORS, load_studies

    try:
        sp = next(iter(load_studies({"study": args.study, "month": args.month}).values()))
    except USER_ERRORS as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="tunelab-check-") as scratch:
        data = str(Path(scratch) / "prepared.parquet") if sp.study.dataset.is_file else ""
        if data:
            with contextlib.redirect_stdout(io.StringIO()):
                prepare_file(prepare_params(sp.dataset), data)
        job = check_job(sp, data)
        print(f"checking the trainer of {sp.study.name}: trial {job.spec['trial']}, period "
              f"{job.spec['period']}, seeds 0 and 1, {job.spec['hyperparameters']['epochs']} epochs",
              file=sys.stderr)
        promises = check_trainer(job, Path(scratch) / "runs")
    print(table(sp.study.name, promises, job.spec["trial"]))
    if args.out:
        out = Path(args.out)
        write_check(sp.study.name, job.spec["trial"], promises, out.with_suffix(".md"),
                    out.with_suffix(".json"))
    return 0 if all(p.kept is not False for p in promises) else 1


def cmd_compare(args) -> int:
    from tunelab.compare import compare
    from tunelab.io import write_text

    try:
        text = compare(args.base, args.study)
    except (ValueError, FileNotFoundError) as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.out:
        write_text(args.out, text)
        print(f"tunelab: comparison with {args.base} -> {args.out}")
    else:
        print(text, end="")
    return 0


def cmd_restore(args) -> int:
    from tunelab.compare import restore

    return restore(args.base, args.study)


def cmd_retrain(args) -> int:
    """Delete the named runs' files, then run Snakemake: rule all names every run, so it retrains
    exactly those and refreshes every table, plot and report built on them."""
    import shlex
    import shutil
    import subprocess

    from tunelab.workdir_guard import snakemake_processes

    study = Path(args.study).stem
    runs_dir = Path(args.results) / study / "runs"
    busy = snakemake_processes()
    if busy:
        print(f"tunelab retrain: another Snakemake (pid {busy[0][0]}) is running in this directory; "
              "wait for it to finish before retraining", file=sys.stderr)
        return 1
    folders = _run_folders(runs_dir, args.period, args.trial)
    if isinstance(folders, str):
        print(f"tunelab retrain: {folders}", file=sys.stderr)
        return 1
    command = [sys.executable, "-m", "snakemake", "--config", f"study={study}", *_month(runs_dir.parent),
               *args.snakemake_args]
    print(f"retrain: {len(folders)} run folder(s) of study {study}: "
          + ", ".join(str(f.relative_to(runs_dir)) for f in folders[:6]) + (" ..." if len(folders) > 6 else ""))
    if args.dry_run:
        print("dry run: nothing deleted; would run: " + shlex.join(command))
        return 0
    for folder in folders:
        shutil.rmtree(folder)
    print("running: " + shlex.join(command), flush=True)
    return subprocess.call(command)


def _run_folders(runs_dir: Path, periods: list[str] | None, trials: list[str] | None) -> list[Path] | str:
    """results/<study>/runs/<period>/<trial>/ folders named by --period and --trial (all if none)."""
    if not runs_dir.is_dir():
        return f"{runs_dir} does not exist: study {runs_dir.parent.name!r} has no trained run"
    known = sorted(p.name for p in runs_dir.iterdir() if p.is_dir())
    for period in periods or []:
        if period not in known:
            return f"--period {period}: no such period in {runs_dir}; it has: {', '.join(known)}"
    folders = [t for p in (periods or known) for t in sorted((runs_dir / p).iterdir()) if t.is_dir()]
    if trials:
        found = {f.name for f in folders}
        for trial in trials:
            if trial not in found:
                return (f"--trial {trial}: no runs of this trial in {runs_dir}"
                        + (f" for period(s) {', '.join(periods)}" if periods else "")
                        + f"; trials: {', '.join(sorted(found)[:12])}")
        folders = [f for f in folders if f.name in trials]
        folders += _group_blocks(runs_dir, periods or known, trials)
    return folders or f"no run folders in {runs_dir}"


def _group_blocks(runs_dir: Path, periods: list[str], trials: list[str]) -> list[Path]:
    """The job groups' block folders (runs/<period>/groups/<group>/<block>/, trials_per_job) that
    trained one of `trials`: deleted too, or the trial's own job would only link the old files
    again. The group's other trials retrain with it, to the same numbers."""
    return sorted({block for p in periods for block in (runs_dir / p / "groups").glob("g*/s*")
                   if block.is_dir() and any((block / t).is_dir() for t in trials)})


def _month(study_dir: Path) -> list[str]:
    """--config month=... of the plan that trained the runs (periods.csv), so the same runs retrain."""
    import csv

    try:
        with open(study_dir / "periods.csv") as fh:
            return [f"month={next(csv.DictReader(fh))['month']}"]
    except (OSError, StopIteration, KeyError):
        return []


def _add_check_trainer(sub) -> None:
    check = sub.add_parser("check-trainer", help="which of tunelab's promises a study's trainer keeps",
                           description="Train one trial of the study (its baseline, on its latest "
                           "period, seeds 0 and 1, a few epochs) several times with the study's own "
                           "trainer and say whether the same seed gives the same metrics, two seeds "
                           "differ, a resumed run equals an uninterrupted one, it trains on the windows "
                           "it is given, and its outputs are well-formed. Exit status 1 if one is broken.")
    check.add_argument("study", help="study name (params/<name>.yaml) or file")
    check.add_argument("--month", help="rotation month YYYY-MM (default: the study's, or current)")
    check.add_argument("--out", help="also write the table to OUT.md and OUT.json")
    check.set_defaults(func=cmd_check_trainer)


def make_parser() -> argparse.ArgumentParser:
    """The `tunelab` command and its subcommands, each with its own help."""
    parser = argparse.ArgumentParser(prog="tunelab", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    status = sub.add_parser("status", help="progress and leaderboard of a study")
    status.add_argument("study", help="study name (params/<name>.yaml) or file")
    status.add_argument("--results", default="results", help="results directory")
    status.add_argument("--top", type=int, default=10, help="rows of the leaderboard")
    status.add_argument("--objective", choices=["valid_mse", "valid_mae"],
                        help="rank by this metric (default: the study's objective)")
    status.set_defaults(func=cmd_status)
    validate = sub.add_parser("validate", help="check a study file, its dataset and its plan")
    validate.add_argument("study", help="study name (params/<name>.yaml) or file")
    validate.add_argument("--month", help="rotation month YYYY-MM (default: the study's, or current)")
    validate.set_defaults(func=cmd_validate)
    plan = sub.add_parser("plan", help="show the periods and size of a study's plan")
    plan.add_argument("study")
    plan.add_argument("--month", help="rotation month YYYY-MM (default: the study's, or current)")
    plan.add_argument("--fast", action="store_true", default=None,
                      help="the fast-mode plan (one period, short training, few epochs)")
    plan.set_defaults(func=cmd_plan)
    _add_check_trainer(sub)
    compare = sub.add_parser("compare", help="what the results changed against a git revision (Markdown)")
    compare.add_argument("base", help="the git revision to compare with, e.g. main or origin/main")
    compare.add_argument("--study", help="the study (default: `study` in params.yaml)")
    compare.add_argument("--out", help="write the Markdown here (default: print it)")
    compare.set_defaults(func=cmd_compare)
    restore = sub.add_parser("restore", help="CI: results of HEAD or BASE from DVC, touched for Snakemake")
    restore.add_argument("base", help="the git revision whose results to start from, e.g. origin/main")
    restore.add_argument("--study", help="the study (default: `study` in params.yaml)")
    restore.set_defaults(func=cmd_restore)
    retrain = sub.add_parser("retrain", help="delete the named runs and retrain them with snakemake",
                             description="Delete the files of the runs you name (all of the study's "
                             "if none) and run snakemake, which retrains them and rebuilds every table "
                             "and report built on them. Arguments after -- go to snakemake.")
    retrain.add_argument("study", help="study name (params/<name>.yaml) or file")
    retrain.add_argument("--trial", action="append", help="a trial id (repeatable)")
    retrain.add_argument("--period", action="append", help="a period id, e.g. v2012-03 (repeatable)")
    retrain.add_argument("--results", default="results", help="results directory")
    retrain.add_argument("-n", "--dry-run", action="store_true", help="say what would be retrained")
    retrain.set_defaults(func=cmd_retrain)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1:] if "--" in argv else []  # snakemake's options (retrain)
    args = parser.parse_args(argv[: len(argv) - len(extra) - (1 if "--" in argv else 0)])
    args.snakemake_args = extra
    try:
        code = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, not in Python's flush at exit
        return code
    except BrokenPipeError:  # `tunelab status x | head`: the reader has gone, so stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's final flush must not fail again
        return 0


if __name__ == "__main__":
    sys.exit(main())
