"""Gather the runs of a study into tables: runs.csv (one row per run) and trials.csv (per trial).

Collection goes in two steps, so that an adaptive round's checkpoint re-plans only jobs with few
inputs (Snakemake re-resolves every input of every job that depends on a checkpoint):
- each phase's finished blocks (the exploration's; each adaptive round's) are gathered into one
  part, `collected/<phase>.blocks.jsonl` (every block's metrics.json, verbatim, one per line) and
  `collected/<phase>.curves.parquet` (`collect_part_file`);
- runs.csv, curves.parquet, the dynamics check and the next round read the parts (`read_parts`).

`trials.csv` has one row per trial and period (statistics over seeds: the trial, or retrain,
variance) and one row per trial with period `all` (the mean over periods, the pooled retrain spread,
and the spread of the period means: the data variance). The leaderboard ranks the `all` rows.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from tunelab.fmt import round_significant
from tunelab.io import atomic_path

ID_COLUMNS = ["study", "period", "trial", "group", "phase", "round", "seed"]
METRIC_COLUMNS = ["status", "reason", "valid_mse", "valid_mae", "best_epoch", "epochs_run",
                  "train_time", "train_examples", "valid_examples"]
RUNG_COLUMN = "rung_epochs"  # with rungs (search.fidelity): the epoch budget of the run's last rung
PATH_COLUMN = "cpu_path"  # the code path tunelab's loop trained the run on (tunelab.train.numerics)


def read_block(block: str | Path | dict) -> list[dict]:
    """The rows of one finished block: its metrics.json (a path, or its content as read)."""
    block = block if isinstance(block, dict) else json.loads(Path(block).read_text())
    ids = {k: block.get(k, "") for k in ("study", "period", "trial", "group")}
    rung = {RUNG_COLUMN: block["stop_epoch"]} if "stop_epoch" in block else {}
    path = {PATH_COLUMN: block[PATH_COLUMN]} if PATH_COLUMN in block else {}
    return [{**ids, **run, **rung, **path, **block["hyperparameters"]} for run in block["runs"]]


def runs_table(blocks: list, phases: dict[str, tuple[str, int]] | None = None) -> pd.DataFrame:
    """One row per run of `blocks` (metrics.json paths or contents); `phases`: trial -> (phase,
    round) of adaptive trials (others: exploration)."""
    rows = [row for block in blocks for row in read_block(block)]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=ID_COLUMNS + METRIC_COLUMNS)
    phase = frame["trial"].map(lambda t: (phases or {}).get(t, ("exploration", 0)))
    frame["phase"], frame["round"] = phase.str[0], phase.str[1].astype(int)
    metric_columns = METRIC_COLUMNS + [c for c in (RUNG_COLUMN, PATH_COLUMN) if c in frame.columns]
    hp_columns = [c for c in frame.columns if c not in ID_COLUMNS + metric_columns]
    frame = frame[ID_COLUMNS + metric_columns + hp_columns]
    return frame.sort_values(["period", "trial", "seed"], kind="stable").reset_index(drop=True)


def hyperparameter_columns(runs: pd.DataFrame) -> list[str]:
    return [c for c in runs.columns if c not in ID_COLUMNS + METRIC_COLUMNS + [RUNG_COLUMN, PATH_COLUMN]]


def summarise(runs: pd.DataFrame, objective: str = "valid_mse") -> pd.DataFrame:
    """Per trial and period over seeds, then per trial over periods (period == 'all')."""
    ok = runs.assign(value=runs[objective].where(runs["status"] == "ok"))
    for col, default in (("phase", "exploration"), ("round", 0)):  # runs.csv of older versions
        if col not in ok.columns:
            ok[col] = default
    per_period = ok.groupby(["trial", "period"], sort=False).agg(
        group=("group", "first"),
        phase=("phase", "first"),
        round=("round", "first"),
        seeds=("seed", "count"),
        feasible=("value", "count"),
        objective_mean=("value", "mean"),
        objective_std=("value", "std"),
        objective_min=("value", "min"),
        valid_mae_mean=("valid_mae", "mean"),
    ).reset_index()
    # one feasible seed has no spread: the std stays missing (unmeasured), not 0
    over = per_period.assign(var=per_period["objective_std"] ** 2).groupby("trial", sort=False)
    overall = over.agg(
        group=("group", "first"),
        phase=("phase", "first"),
        round=("round", "first"),
        seeds=("seeds", "sum"),
        feasible=("feasible", "sum"),
        objective_mean=("objective_mean", "mean"),
        objective_min=("objective_min", "min"),
        valid_mae_mean=("valid_mae_mean", "mean"),
        period_std=("objective_mean", "std"),
        worst_period=("objective_mean", "max"),
        periods=("period", "count"),
        var=("var", "mean"),
    ).reset_index()
    overall["objective_std"] = np.sqrt(overall.pop("var"))
    if RUNG_COLUMN in runs.columns:  # how far each trial got: a trial stopped early is no candidate
        overall = overall.join(runs.groupby("trial")[RUNG_COLUMN].min(), on="trial")
    overall["period"] = "all"
    incomplete = overall["feasible"] < overall["seeds"]
    overall.loc[incomplete, ["objective_mean", "worst_period"]] = np.nan  # any failure: no score
    table = pd.concat([per_period, overall], ignore_index=True)
    hps = runs.drop_duplicates("trial").set_index("trial")[hyperparameter_columns(runs)]
    table = table.join(hps, on="trial")
    first = ["trial", "group", "phase", "round", "period", "seeds", "feasible", "objective_mean", "objective_std",
             "objective_min", "period_std", "worst_period", "valid_mae_mean"]
    first += [RUNG_COLUMN] if RUNG_COLUMN in table.columns else []
    return table[first + [c for c in table.columns if c not in first]]


def leaderboard(trials: pd.DataFrame, top: int | None = None) -> pd.DataFrame:
    board = trials[trials["period"] == "all"].sort_values("objective_mean", na_position="last")
    board = board.reset_index(drop=True)
    board.index += 1
    return board.head(top) if top else board


def write_table(frame: pd.DataFrame, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g")


def finished_blocks(study_dir: str | Path) -> list[Path]:
    """metrics.json files present now (a block writes it last, atomically)."""
    return sorted(Path(study_dir, "runs").glob("*/*/*/metrics.json"))


def collect_part_file(metrics_paths: list[str], curves_paths: list[str], out_blocks: str,
                      out_curves: str) -> int:
    """The collect_exploration and collect_round rules: one phase's blocks -> its part (the
    metrics.json files verbatim, one per line, in the order given; their curves as one table)."""
    from tunelab.io import write_text

    lines = [json.dumps(json.loads(Path(p).read_text()), separators=(",", ":")) for p in metrics_paths]
    write_text(out_blocks, "".join(line + "\n" for line in lines))
    with atomic_path(out_curves) as tmp:
        curves_table(curves_paths).to_parquet(tmp, index=False)
    print(f"{len(lines)} blocks, {len(curves_paths)} curves")
    return len(lines)


def read_parts(part_paths: list[str | Path], group: str | None = None) -> list[dict]:
    """The blocks of these parts (blocks.jsonl), in order; `group`: only that group's trials'."""
    blocks = []
    for path in part_paths:
        with open(path) as fh:
            blocks += [json.loads(line) for line in fh if line.strip()]
    return blocks if group is None else [b for b in blocks if b.get("group", "") == group]


def trial_history(blocks: list, objective: str) -> list[dict]:
    """One entry per finished trial, sorted by trial id: its values (exact types, from the runs'
    metrics.json: `blocks` are their paths or contents), the leaderboard's objective, the retrain
    variance of that mean (both rounded: sums in another order tie), feasibility: what the adaptive
    phase learns from (tunelab.search.adaptive)."""
    blocks = [b if isinstance(b, dict) else json.loads(Path(b).read_text()) for b in blocks]
    values = {b["trial"]: b["hyperparameters"] for b in blocks}
    if not values:
        return []
    board = summarise(runs_table(blocks), objective)
    board = board[board["period"] == "all"].sort_values("trial")
    history = []
    for row in board.itertuples(index=False):
        mean = float(row.objective_mean)
        feasible = math.isfinite(mean) and row.feasible == row.seeds
        history.append({
            "trial": row.trial, "values": values[row.trial], "feasible": bool(feasible),
            "objective": round_significant(mean) if feasible else None,
            "var": round_significant(float(row.objective_std) ** 2 / max(int(row.seeds), 1)) if feasible else None,
        })
    return history


def group_history(part_paths: list[str], group: str, objective: str) -> list[dict]:
    """The history of one adaptive group: its trials' blocks in the collected parts."""
    return trial_history(read_parts(part_paths, group=group), objective)


def collect_file(part_paths: list[str], output: str, round_paths: list[str] = ()) -> pd.DataFrame:
    """The parts' blocks -> runs.csv (with each trial's phase and round, from the adaptive rounds'
    files)."""
    from tunelab.search.rounds import phase_table

    runs = runs_table(read_parts(part_paths), phase_table(list(round_paths)))
    write_table(runs, output)
    bad = runs[runs["status"] != "ok"]
    print(f"{len(runs)} runs, {len(bad)} infeasible")
    for row in bad.itertuples():
        print(f"  infeasible: {row.period} {row.trial} seed {row.seed}: {row.reason}")
    return runs


def summarise_file(runs_csv: str, output: str, objective: str) -> pd.DataFrame:
    """runs.csv -> trials.csv."""
    trials = summarise(pd.read_csv(runs_csv, keep_default_na=False, na_values=[""]), objective)
    write_table(trials, output)
    print(leaderboard(trials, top=5).to_string())
    return trials


# --- training curves: every run's per-epoch losses, gathered into one table --------------------

def read_curves_file(path: str | Path) -> pd.DataFrame:
    """One block's curves.csv, with its period and trial (from the path .../<period>/<trial>/<block>/)."""
    path = Path(path)
    frame = pd.read_csv(path)
    frame.insert(0, "trial", path.parent.parent.name)
    frame.insert(0, "period", path.parent.parent.parent.name)
    return frame


def curves_table(paths: list[str | Path]) -> pd.DataFrame:
    frames = [read_curves_file(p) for p in paths]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=["period", "trial", "seed", "epoch", "train_loss", "valid_loss"])
    return pd.concat(frames, ignore_index=True)


def collect_curves_file(part_paths: list[str], output: str) -> pd.DataFrame:
    """The parts' curves (collected/<phase>.curves.parquet, see tunelab.collect) -> curves.parquet,
    one columnar table of every run's epochs."""
    from tunelab.io import atomic_path

    parts = [pd.read_parquet(p) for p in part_paths]
    parts = [f for f in parts if len(f)]
    table = pd.concat(parts, ignore_index=True) if parts else curves_table([])
    with atomic_path(output) as tmp:
        table.to_parquet(tmp, index=False)
    runs = table.groupby(["period", "trial", "seed"]).ngroups
    print(f"{len(part_paths)} parts, {len(table)} epochs of {runs} runs")
    return table


def collect_study_file(part_paths: list[str], curve_paths: list[str], round_paths: list[str], outputs: dict,
                       objective: str) -> None:
    """The collect rule: the collected parts -> runs.csv, trials.csv and curves.parquet (`outputs`:
    runs, trials, curves). trials.csv is summarised from runs.csv as written, so it is the table
    that `summarise_file` makes of the file."""
    collect_file(part_paths, outputs["runs"], round_paths)
    summarise_file(outputs["runs"], outputs["trials"], objective)
    collect_curves_file(curve_paths, outputs["curves"])
