"""What `dvc repro` needs beyond Snakemake: the rotation month, the study's artefacts, mtimes.

dvc.yaml wraps the Snakemake DAG in a few coarse stages (see its header). This module serves them:

- `month` (stage `month`, re-evaluated on every `dvc repro`) writes the rotation month as a
  Snakemake config file. Its content changes only when the month does, so DVC re-runs the study
  in a new month and skips it in the same month.
- `report` (stage `report`) exports what DVC versions beside the study's results: the checkpoints
  of the selected trials (best trial per scientific value, and the candidate and baseline once the
  analysis names them) under models/<study>/, and small files for `dvc metrics` and `dvc plots`
  under reports/<study>/ (the study's summary.json, training curves of the selected trials, axis
  data), kept in git so that `dvc metrics diff` and `dvc plots diff` work without a pull.
- `touch` (a command, after `dvc pull` or `dvc checkout`): DVC gives restored files fresh mtimes in
  no particular order, and Snakemake would then re-train runs whose results are up to date. When
  `dvc status` shows the workspace matches dvc.lock, `snakemake --touch --forceall` puts the mtimes
  in order and records Snakemake's metadata for every job.

    python -m tunelab.dvc month  params/default.yaml results/default.month.yaml
    python -m tunelab.dvc report params/default.yaml results/default models/default reports/default
    python -m tunelab.dvc touch  [STUDY]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from tunelab.io import write_csv, write_json, write_text
from tunelab.search.plan import MONTH_RE, resolve_month
from tunelab.study import load_study

MONTH_ENV = "TUNELAB_MONTH"  # "the current month is ..." for a `dvc repro` (the study's pin still wins)

CURVE_COLUMNS = ["series", "role", "trial", "group", "split", "epoch", "loss", "runs"]
AXIS_COLUMNS = ["hyperparameter", "axis", "x", "value", "objective", "objective_std", "status", "trial",
                "group"]


# --- month ---------------------------------------------------------------------------------------

def dvc_month(study_path: str | Path, env: Mapping[str, str] | None = None,
              today: dt.date | None = None) -> str:
    """The rotation month of a `dvc repro`: the study's pinned month, else $TUNELAB_MONTH, else now."""
    env = os.environ if env is None else env
    override = env.get(MONTH_ENV, "").strip()
    if override:
        if not MONTH_RE.match(override):
            raise ValueError(f"{MONTH_ENV}: {override!r} is not a month; write YYYY-MM, e.g. 2024-05")
        today = dt.date(int(override[:4]), int(override[5:]), 1)
    study = load_study(study_path)
    if study.fast.on:
        raise ValueError(f"{study_path}: fast: true writes results/{study.name}-fast/, which dvc.yaml does "
                         "not track; run fast mode with snakemake (--config fast=true) and reproduce the "
                         "full study with dvc")
    return resolve_month(study, None, today)


def month_config(month: str) -> str:
    return ("# The rotation month of the last `dvc repro` (stage `month` of dvc.yaml), passed to\n"
            "# Snakemake with --configfile. It changes only when the month does: same month, no re-run.\n"
            f"month: '{month}'\n")


def write_month(study_path: str | Path, out: str | Path, env: Mapping[str, str] | None = None,
                today: dt.date | None = None) -> str:
    month = dvc_month(study_path, env, today)
    write_text(out, month_config(month))
    return month


def month_file(study: str) -> str:
    return f"results/{study}.month.yaml"


# --- selection -----------------------------------------------------------------------------------

def _finite(x) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _label(group) -> str:
    """A trial's group; pandas reads the empty group (no scientific hyperparameter) as NaN."""
    return group if isinstance(group, str) else ""


def _trial_ref(value) -> str | None:
    """A trial named by the analysis: a trial id, or a dict holding one under `trial`."""
    if isinstance(value, str) and value.startswith("t"):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("trial"), str):
        return value["trial"]
    return None


def select_models(trials, summary: Mapping | None = None) -> list[dict]:
    """The trials whose checkpoints are exported, best first within each role.

    `trials` is trials.csv as a DataFrame (its period == "all" rows rank trials). The best feasible
    trial of each group (scientific value) is selected; `summary` (summary.json of the analysis, when
    there is one) adds its candidate and baseline trials (`candidate_trial`, `baseline_trial`). A
    trial chosen twice is listed once, with every role it plays.
    """
    overall = trials[trials["period"].astype(str) == "all"]
    scored = overall[[_finite(v) for v in overall["objective_mean"]]]
    scored = scored.assign(group=scored["group"].map(_label))
    rows = {row["trial"]: row for _, row in overall.iterrows()}
    chosen: dict[str, dict] = {}

    def add(trial: str, role: str) -> None:
        if trial not in chosen:
            row = rows.get(trial)
            chosen[trial] = {
                "trial": trial,
                "roles": [],
                "group": "" if row is None else _label(row["group"]),
                "objective_mean": _number(row, "objective_mean"),
                "objective_std": _number(row, "objective_std"),
                "period_std": _number(row, "period_std"),
            }
        if role not in chosen[trial]["roles"]:
            chosen[trial]["roles"].append(role)

    best = scored.sort_values(["objective_mean", "trial"], kind="stable").drop_duplicates("group")
    for _, row in sorted(best.iterrows(), key=lambda item: group_key(item[1]["group"])):
        add(row["trial"], "best")
    for role in ("candidate", "baseline"):  # summary.json: candidate_trial, baseline_trial
        summary = summary or {}
        trial = _trial_ref(summary.get(f"{role}_trial")) or _trial_ref(summary.get(role))
        if trial:
            add(trial, role)
    for entry in chosen.values():
        entry["name"] = model_name(entry)
    return list(chosen.values())


def group_key(group: str) -> tuple:
    """Order groups by their scientific values, numerically where they are numbers (8 before 16)."""
    key = []
    for part in str(group).split(","):
        name, _, value = part.partition("=")
        key.append((name, (0, float(value), "") if _finite(value) else (1, 0.0, value)))
    return tuple(key)


def _number(row, column: str) -> float | None:
    if row is None or column not in row or not _finite(row[column]):
        return None
    return float(row[column])


def model_name(entry: dict) -> str:
    """A label a person can read: "hidden_size=32", "hidden_size=32 (candidate)", "baseline"."""
    roles = [r for r in entry["roles"] if r != "best"]
    label = entry["group"] if "best" in entry["roles"] and entry["group"] else ""
    if "best" in entry["roles"] and not label:
        label = "best"
    if roles:
        label = f"{label} ({', '.join(roles)})" if label else ", ".join(roles)
    return f"{label} {entry['trial']}"


# --- export --------------------------------------------------------------------------------------

def checkpoints(results: Path, trial: str) -> list[Path]:
    """Every models.pt of one trial: one per period and seed block (confirmation blocks included)."""
    return sorted(results.glob(f"runs/*/{trial}/*/models.pt"))


def export_models(results: Path, models: Path, selected: list[dict], header: dict) -> dict:
    """Copy the selected trials' checkpoints to models/<study>/<trial>/<period>.<block>.pt + manifest."""
    if models.exists():
        shutil.rmtree(models)  # only what is selected now: a stale export would be versioned too
    entries = []
    for entry in selected:
        files = []
        for src in checkpoints(results, entry["trial"]):
            block, period = src.parent.name, src.parent.parent.parent.name
            dest = models / entry["trial"] / f"{period}.{block}.pt"
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
            files.append(dest.relative_to(models).as_posix())
        entries.append({**entry, "files": files})
    manifest = {**header, "models": entries}
    models.mkdir(parents=True, exist_ok=True)
    write_json(models / "manifest.json", manifest)
    return manifest


def _curve_rows(results: Path, entry: dict) -> list[dict]:
    """Train and validation loss per epoch, averaged over the seeds and periods of one trial."""
    import pandas as pd

    frames = [pd.read_csv(p) for p in sorted(results.glob(f"runs/*/{entry['trial']}/*/curves.csv"))]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return []
    curves = pd.concat(frames, ignore_index=True)
    rows = []
    for split in ("train", "valid"):
        column = f"{split}_loss"
        per_epoch = curves.groupby("epoch")[column].agg(["mean", "count"])
        for epoch, stats in per_epoch.iterrows():
            if _finite(stats["mean"]):
                rows.append({"series": entry["name"], "role": "+".join(entry["roles"]),
                             "trial": entry["trial"], "group": entry["group"], "split": split,
                             "epoch": int(epoch), "loss": float(stats["mean"]), "runs": int(stats["count"])})
    return rows


def axis_rows(trials, scaling: Mapping[str, str]) -> list[dict]:
    """Objective against each numeric hyperparameter that varies: the data of DVC's axis plot.

    Log-scaled hyperparameters are plotted as log10(value) (DVC's templates have one x scale).
    Infeasible trials keep a row with status "infeasible", drawn at the worst feasible objective.
    """
    overall = trials[trials["period"].astype(str) == "all"]
    overall = overall.assign(group=overall["group"].map(_label))
    overall = overall.iloc[sorted(range(len(overall)), key=lambda i: group_key(overall["group"].iloc[i]))]
    known = set(_BASE_TRIAL_COLUMNS)
    feasible = [float(v) for v in overall["objective_mean"] if _finite(v)]
    worst = max(feasible) if feasible else 0.0
    rows = []
    for name in (c for c in overall.columns if c not in known):
        values = overall[name]
        numeric = [float(v) for v in values if _finite(v)]
        if len(numeric) != len(values) or len(set(numeric)) < 2:
            continue  # categorical, conditional (missing for some trials) or not varied
        log = scaling.get(name) == "log" and min(numeric) > 0
        axis = f"{name} (log10)" if log else name
        for (_, row), value in zip(overall.iterrows(), numeric, strict=True):
            ok = _finite(row["objective_mean"])
            rows.append({
                "hyperparameter": name, "axis": axis, "x": math.log10(value) if log else value,
                "value": int(value) if value.is_integer() else value,
                "objective": float(row["objective_mean"]) if ok else worst,
                "objective_std": float(row["objective_std"]) if _finite(row["objective_std"]) else 0.0,
                "status": "ok" if ok else "infeasible", "trial": row["trial"],
                "group": row["group"],
            })
    return rows


_BASE_TRIAL_COLUMNS = ["trial", "group", "period", "seeds", "feasible", "objective_mean", "objective_std",
                       "objective_min", "period_std", "worst_period", "valid_mae_mean", "periods"]


def headline(trials, selected: list[dict], header: dict) -> dict:
    """Headline numbers from trials.csv alone, named as in the analysis's summary.json: what
    `dvc metrics` shows for a study whose Snakemake run wrote no summary.json."""
    overall = trials[trials["period"].astype(str) == "all"]
    scored = [e for e in selected if "best" in e["roles"] and e["objective_mean"] is not None]
    metrics = {"month": header["month"], "objective": header["objective"], "trials": int(len(overall)),
               "feasible_trials": int(sum(_finite(v) for v in overall["objective_mean"]))}
    if scored:
        top = min(scored, key=lambda e: e["objective_mean"])
        metrics.update(best_trial=top["trial"], best_group=top["group"], best_objective=top["objective_mean"],
                       best_retrain_std=top["objective_std"], best_period_std=top["period_std"])
    return metrics


def report(study_path: str | Path, results: str | Path, models: str | Path, reports: str | Path) -> dict:
    """Stage `report`: export the selected checkpoints, and the tables for dvc metrics and plots."""
    import pandas as pd

    study = load_study(study_path)
    results, models, reports = Path(results), Path(models), Path(reports)
    trials = pd.read_csv(results / "trials.csv")
    summary_path = results / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else None
    month = _month_of(results)
    header = {"study": study.name, "month": month, "objective": study.objective}
    selected = select_models(trials, summary)
    manifest = export_models(results, models, selected, header)
    curves = [row for entry in selected for row in _curve_rows(results, entry)]
    write_csv(reports / "curves.csv", curves, CURVE_COLUMNS)
    scaling = {name: hp.scaling for name, hp in study.space.items()}
    write_csv(reports / "axis.csv", axis_rows(trials, scaling), AXIS_COLUMNS)
    # summary.json in git beside the plot tables: `dvc metrics diff` then needs no cache or pull
    numbers = summary if summary is not None else headline(trials, selected, header)
    write_json(reports / "summary.json", numbers)
    return manifest


def _month_of(results: Path) -> str:
    """The month recorded in periods.csv (every row holds it)."""
    periods = results / "periods.csv"
    if periods.exists():
        lines = periods.read_text().splitlines()
        if len(lines) > 1:
            header, first = lines[0].split(","), lines[1].split(",")
            if "month" in header:
                return first[header.index("month")]
    return ""


# --- touch ---------------------------------------------------------------------------------------

def changed_stages(status: Mapping[str, list]) -> dict[str, list]:
    """`dvc status --json` less what is always reported (stage `month` is always changed)."""
    return {stage: [e for e in entries if e != "always changed"]
            for stage, entries in status.items() if any(e != "always changed" for e in entries)}


def default_study(params: str | Path = "params.yaml") -> str:
    import yaml

    return str(yaml.safe_load(Path(params).read_text())["study"])


def touch(study: str | None = None, cores: int = 1) -> int:
    """After `dvc pull`/`dvc checkout`: mark the restored results up to date for Snakemake.

    Refuses unless `dvc status` is clean: the results must be those dvc.lock describes for the
    study file as it is now, or `snakemake --touch` would hide work that has to be done.
    """
    study = study or default_study()
    proc = subprocess.run(["dvc", "status", "--json"], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        return proc.returncode
    changed = changed_stages(json.loads(proc.stdout or "{}"))
    if changed:
        sys.stderr.write("tunelab: the workspace does not match dvc.lock (stages "
                         f"{', '.join(sorted(changed))} changed); run `dvc pull` or `dvc repro` "
                         "instead of touching.\n")
        return 1
    # --forceall: every job of the DAG, not only those whose mtimes are out of order, so that
    # Snakemake also records its metadata (params) for all of them; without it a later change of
    # a job's params alone (e.g. the month of rule plan) goes unseen in a fresh clone.
    cmd = ["snakemake", "--touch", "--forceall", "--cores", str(cores), "--config", f"study={study}",
           "--configfile", month_file(study)]
    print("tunelab:", " ".join(cmd), flush=True)
    return subprocess.run(cmd).returncode


# --- command line --------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tunelab.dvc", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("month", help="write the rotation month as a Snakemake config file")
    p.add_argument("study", help="the study file, e.g. params/default.yaml")
    p.add_argument("out", help="the month file, e.g. results/default.month.yaml")
    p = sub.add_parser("report", help="export selected checkpoints, DVC metrics and plot tables")
    p.add_argument("study")
    p.add_argument("results", help="results/<study>")
    p.add_argument("models", help="models/<study>")
    p.add_argument("reports", help="reports/<study>")
    p = sub.add_parser("touch", help="after dvc pull/checkout: snakemake --touch, if dvc status is clean")
    p.add_argument("study", nargs="?", help="the study (default: `study` in params.yaml)")
    args = parser.parse_args(argv)
    if args.command == "month":
        try:
            month = write_month(args.study, args.out)
        except ValueError as exc:  # StudyError too: one readable line, no traceback
            sys.stderr.write(f"tunelab: {exc}\n")
            return 1
        print(f"tunelab: rotation month {month} -> {args.out}")
    elif args.command == "touch":
        return touch(args.study)
    else:
        manifest = report(args.study, args.results, args.models, args.reports)
        for entry in manifest["models"]:
            print(f"tunelab: exported {entry['name']}: {len(entry['files'])} checkpoint(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
