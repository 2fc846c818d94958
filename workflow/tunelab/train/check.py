"""Does a study's trainer keep tunelab's promises? (`tunelab check-trainer`, rule check_trainer)

One trial of the study (its baseline) on its latest period, at a tiny budget, trained by the
study's own trainer (its `trainer.command`, or tunelab's loop for a model of the user's), a few
times over:

- the outputs are well-formed (every file a job writes, each field of the right type);
- the same seed gives the same metrics and curve (the job run twice);
- two seeds differ (else the seed never reaches the trainer and retrain variance reads as zero);
- a run resumed from a rung's state equals the uninterrupted run (`trainer.resume: true`, or
  tunelab's loop, which always resumes);
- the windows it trained on are the ones it was given (read.json, recorded by Job.select).

A promise is kept (True), broken (False) or not checked (None, with the reason). The table goes
to the terminal and trainer_check.md / .json; the report states what a broken one means for the
study's evidence (tunelab.report.markdown).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

TINY_EPOCHS = 4  # the budget of each check run (capped by the trial's own epochs)
SEEDS = [0, 1]


@dataclass
class Promise:
    name: str
    kept: bool | None  # None: not checked (detail says why)
    detail: str


@dataclass
class CheckJob:
    """What the check trains: a job spec of the study, its data, and how it is trained."""
    spec: dict
    data: str
    command: bool  # trainer.command (else tunelab's loop)
    resumable: bool


def check_job(sp, data: str) -> CheckJob:
    """The baseline trial on the plan's latest period, seeds 0 and 1, at a tiny budget."""
    return CheckJob(data=data, **check_params(sp))


def check_params(sp) -> dict:
    """The check job but its data: spec, command, resumable (the rule's params; cheap, torch-free)."""
    from tunelab.search.plan import block_name, job_spec

    plan = sp.plan
    trial = plan.baseline_trial or plan.trials[0]
    spec = job_spec(sp.study, plan, plan.periods[-1].id, trial.id, block_name(tuple(SEEDS)), trial)
    epochs = spec["hyperparameters"].get("epochs")
    spec["hyperparameters"] = {**spec["hyperparameters"],
                               "epochs": min(int(epochs or TINY_EPOCHS), TINY_EPOCHS)}
    trainer = sp.study.trainer
    return {"spec": spec, "command": trainer is not None,
            "resumable": trainer is None or bool(trainer.resume)}


def checks_trainer(sp) -> bool:
    """Whose trainer is the user's: a training command, or tunelab's loop with the user's module."""
    return sp.study.trainer is not None or bool(sp.study.model_factory)


def train(job: CheckJob, folder: Path, stop_epoch: int | None = None, resume: Path | None = None):
    """Run the job into `folder`; its numbers (metrics and curve, no wall times)."""
    spec = {**job.spec, **({"stop_epoch": stop_epoch} if stop_epoch else {})}
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    if job.command:
        from tunelab.train.command import command_job

        command_job(spec, job.data, folder, 1, resume and str(resume))
    else:
        from tunelab.train.loop import train_job

        train_job(spec, job.data, str(folder), threads=1, resume=resume and str(resume))
    return numbers(folder)


def numbers(folder: Path) -> dict:
    """A block's results without wall times: {seed: {metrics..., curve: [...]}}."""
    metrics = json.loads((folder / "metrics.json").read_text())["runs"]
    lines = (folder / "curves.csv").read_text().splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","), strict=True)) for line in lines[1:]]
    out = {}
    for m in metrics:
        curve = [{k: v for k, v in r.items() if k != "time"} for r in rows if r["seed"] == str(m["seed"])]
        out[m["seed"]] = {**{k: v for k, v in m.items() if k != "train_time"}, "curve": curve}
    return out


def first_difference(a: dict, b: dict) -> str:
    """Where two runs' numbers first differ, in words."""
    for seed in a:
        for key in a[seed]:
            if key != "curve" and a[seed][key] != b.get(seed, {}).get(key):
                return f"seed {seed}: {key} {a[seed][key]} then {b.get(seed, {}).get(key)}"
        for r, s in zip(a[seed]["curve"], b.get(seed, {}).get("curve", []), strict=False):
            if r != s:
                key = next(k for k in r if r[k] != s.get(k))
                return f"seed {seed}, epoch {r['epoch']}: {key} {r[key]} then {s.get(key)}"
    return "the curves differ in length"


def same_seed(first: dict, again: dict) -> Promise:
    name = "the same seed gives the same metrics"
    if first == again:
        return Promise(name, True, "two runs of seeds 0 and 1: equal metrics and curves")
    return Promise(name, False, "two runs differ: " + first_difference(first, again) +
                   "; retrain variance includes the non-determinism of the trainer")


def seeds_differ(first: dict) -> Promise:
    name = "two seeds differ"
    a, b = (first[s].get("valid_mse") for s in SEEDS)
    if a != b:
        return Promise(name, True, f"valid_mse {a:.6g} (seed 0) and {b:.6g} (seed 1)")
    return Promise(name, False, f"seeds 0 and 1 both give valid_mse {a}; the seed does not reach "
                   "the model: its retrain variance is zero")


def resume_exact(job: CheckJob, root: Path) -> Promise:
    name = "a resumed run equals the uninterrupted one"
    if not job.resumable:
        return Promise(name, None, "trainer.resume is false: a promoted trial retrains from scratch")
    budget = job.spec["hyperparameters"]["epochs"]
    half = max(1, budget // 2)
    straight = train(job, root / "straight", stop_epoch=budget)
    train(job, root / "first_rung", stop_epoch=half)
    resumed = train(job, root / "resumed", stop_epoch=budget, resume=root / "first_rung" / "state.pt")
    if resumed == straight:
        return Promise(name, True, f"{half} epochs, saved, resumed to {budget}: equal to {budget} straight")
    return Promise(name, False, f"{half} epochs, resumed to {budget}, differ from {budget} straight: "
                   + first_difference(straight, resumed) + "; a promoted trial's rung results are not "
                   "the uninterrupted run's")


def windows_read(job: CheckJob, folder: Path) -> Promise:
    name = "it trains on the windows it is given"
    if not job.command:
        return Promise(name, True, "tunelab's loop reads the windows of its spec")
    path = folder / "read.json"
    if not path.is_file():
        return Promise(name, None, "the command recorded nothing it read (read.json: Job.select or "
                       "Job.record_read writes it)")
    read = json.loads(path.read_text())
    for part, window in job.spec["windows"].items():
        if window is None:
            continue
        got = read.get(part)
        if not got or not got.get("rows"):
            return Promise(name, False, f"read.json: no rows of the {part} window {window[0]}..{window[1]}")
        start, end = (w.replace("T", " ") for w in window)
        if not (start <= got["first"] and got["last"] < end):
            return Promise(name, False, f"{part}: read {got['first']}..{got['last']}, outside the window "
                           f"[{start}, {end})")
    return Promise(name, True, ", ".join(f"{p}: {r['rows']} rows" for p, r in read.items()))


def check_trainer(job: CheckJob, root: Path) -> list[Promise]:
    """Every promise, each checked (or not, and why)."""
    from tunelab.train.command import TrainerFailed

    outputs = "its outputs are well-formed"
    try:
        first = train(job, root / "first")
    except TrainerFailed as exc:
        rest = [Promise(n, None, "not checked: the first run failed") for n in
                ("the same seed gives the same metrics", "two seeds differ",
                 "a resumed run equals the uninterrupted one", "it trains on the windows it is given")]
        return [Promise(outputs, False, str(exc)), *rest]
    promises = [Promise(outputs, True, "metrics.json, curves.csv, test.json, models.pt")]
    try:
        promises += [same_seed(first, train(job, root / "again")), seeds_differ(first),
                     resume_exact(job, root), windows_read(job, root / "first")]
        if promises[1].kept is False and promises[3].kept is False:
            promises[3].detail += " (the trainer is not deterministic either, which alone would do it)"
    except TrainerFailed as exc:
        promises.append(Promise(outputs, False, f"a later run failed: {exc}"))
    return promises


def table(study: str, promises: list[Promise], trial: str = "") -> str:
    lines = [f"# Trainer check: {study}", ""]
    if trial:
        lines += [f"Trial {trial} (the baseline) on the latest period, seeds {SEEDS[0]} and {SEEDS[1]}, "
                  f"{TINY_EPOCHS} epochs at most; `tunelab check-trainer` runs the same check.", ""]
    lines += ["| promise | kept | detail |", "|---|---|---|"]
    mark = {True: "yes", False: "**no**", None: "not checked"}
    for p in promises:
        lines.append(f"| {p.name} | {mark[p.kept]} | {p.detail.replace('|', '/').replace(chr(10), ' ')} |")
    return "\n".join(lines) + "\n"


def write_check(study: str, trial: str, promises: list[Promise], md: str | Path, js: str | Path) -> None:
    from tunelab.io import write_json, write_text

    write_json(js, {"study": study, "trial": trial, "promises": [asdict(p) for p in promises]})
    write_text(md, table(study, promises, trial))


def check_file(params: dict, data: str, scratch: str, md: str, js: str) -> list[Promise]:
    """The check_trainer rule: the check job (check_params) and the prepared data ->
    trainer_check.md / .json."""
    job = CheckJob(data=data, **params)
    promises = check_trainer(job, Path(scratch))
    study = job.spec["study"]
    write_check(study, job.spec["trial"], promises, md, js)
    shutil.rmtree(scratch, ignore_errors=True)
    print(table(study, promises))
    return promises
