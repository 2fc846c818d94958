"""Training dynamics: flags read off the recorded curves, and the norms of the best trials.

Per run (one seed of one trial on one period), from its per-epoch curve:
- `lr_zero`: the learning rate was zero at every epoch: the run could not learn (a learning rate of 0,
  or a schedule that never leaves zero);
- `loss_rising`: the training loss ends well above its lowest value: training made it worse (a
  step size too large for the end of training, an unstable optimiser). It fires when the last loss
  is more than `rise` of the way back from the lowest loss to the first one, and at least
  `min_rise` above the lowest;
- `dead_params`: some parameter tensors received no gradient (none, or all zero) at any step of
  the run: a layer cut off from the loss. The training job records their names per seed
  (`dead_params` in metrics.json).

Validation-loss patterns (overfitting, still improving at the end) belong to the analysis checklist;
these flags are about whether training itself worked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tunelab.fmt import listing

FLAG_TEXT = {
    "lr_zero": "learning rate always zero",
    "loss_rising": "training loss rises",
    "dead_params": "parameters never receive a gradient",
}


@dataclass(frozen=True)
class Tolerances:
    rise: float = 0.25  # last - lowest, as a fraction of first - lowest
    min_rise: float = 0.05  # last / lowest - 1 must exceed this too (ignores noise near a plateau)
    lr_zero: float = 1.0e-12


def run_flags(curve: pd.DataFrame, dead: list[str] | None = None,
              tol: Tolerances | None = None) -> list[tuple[str, str]]:
    """[(flag, detail)] for one run: its curve (rows ordered by epoch) and its dead parameters."""
    tol = tol or Tolerances()
    flags = []
    if dead:
        flags.append(("dead_params", f"{len(dead)} parameter tensor(s) never got a gradient: {listing(dead, 4)}"))
    if len(curve) == 0:
        return flags
    lr = curve["lr"].to_numpy(dtype=float)
    if np.all(np.abs(lr) <= tol.lr_zero):
        flags.append(("lr_zero", f"lr = 0 at all {len(lr)} epochs"))
    loss = curve["train_loss"].to_numpy(dtype=float)
    loss = loss[np.isfinite(loss)]
    if len(loss) >= 3:
        first, low, last = loss[0], loss.min(), loss[-1]
        if last > low * (1 + tol.min_rise) and last - low > tol.rise * max(first - low, 0.0):
            at = int(np.argmin(loss)) + 1
            flags.append(("loss_rising", f"train loss {first:.3g} -> lowest {low:.3g} (epoch {at}) "
                                         f"-> {last:.3g} at the end"))
    return flags


def read_dead(blocks: list) -> dict[tuple[str, str, int], list[str]]:
    """(period, trial, seed) -> names of the parameters that never got a gradient (from the blocks'
    metrics.json: paths or contents)."""
    import json

    dead = {}
    for block in blocks:
        block = block if isinstance(block, dict) else json.loads(Path(block).read_text())
        for seed, names in (block.get("dead_params") or {}).items():
            if names:
                dead[(block["period"], block["trial"], int(seed))] = list(names)
    return dead


def flag_table(curves: pd.DataFrame, dead: dict | None = None,
               tol: Tolerances | None = None) -> pd.DataFrame:
    """One row per flag raised: period, trial, seed, flag, detail."""
    dead = dict(dead or {})
    rows = []
    empty = curves.iloc[0:0]
    runs = {key: c for key, c in curves.groupby(["period", "trial", "seed"], sort=True)}
    for key in sorted(set(runs) | set(dead), key=lambda k: (k[0], k[1], int(k[2]))):
        period, trial, seed = key
        curve = runs.get(key, empty).sort_values("epoch")
        for flag, detail in run_flags(curve, dead.get((period, trial, int(seed))), tol):
            rows.append({"period": period, "trial": trial, "seed": int(seed), "flag": flag,
                         "detail": detail})
    return pd.DataFrame(rows, columns=["period", "trial", "seed", "flag", "detail"])


def best_trials(trials: pd.DataFrame, top: int = 3) -> list[str]:
    board = trials[trials["period"] == "all"].sort_values("objective_mean", na_position="last")
    return [t for t in board["trial"].head(top)]


def _get_norms_info(curves: pd.DataFrame, trials: pd.DataFrame, top: int = 3) -> dict:
    """Per best trial: its label and one (epochs, grad norm, param norm) line per period and seed."""
    info = {"trials": []}
    groups = trials.drop_duplicates("trial").set_index("trial")["group"].fillna("")
    overall = trials[trials["period"] == "all"].set_index("trial")["objective_mean"]
    for trial in best_trials(trials, top):
        mine = curves[curves["trial"] == trial]
        lines = []
        for (period, seed), c in mine.groupby(["period", "seed"], sort=True):
            c = c.sort_values("epoch")
            lines.append({"period": period, "seed": int(seed), "epoch": c["epoch"].to_numpy(),
                          "grad_norm": c["grad_norm"].to_numpy(dtype=float),
                          "param_norm": c["param_norm"].to_numpy(dtype=float)})
        group = groups.get(trial, "")
        label = trial + (f" ({group})" if isinstance(group, str) and group else "")
        if trial in overall.index and pd.notna(overall[trial]):
            label += f": {overall[trial]:.4g}"
        info["trials"].append({"trial": trial, "label": label, "lines": lines})
    return info


def plot_norms(info: dict, path: str | Path, title: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    from tunelab.io import atomic_path

    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.8), layout="constrained")
    colors = plt.get_cmap("tab10")
    for i, trial in enumerate(info["trials"]):
        for j, line in enumerate(trial["lines"]):
            kw = {"color": colors(i % 10), "alpha": 0.7, "lw": 1.0,
                  "label": f"#{i + 1} {trial['label']}" if j == 0 else None}
            axes[0].plot(line["epoch"], line["grad_norm"], **kw)
            axes[1].plot(line["epoch"], line["param_norm"], **kw)
    axes[0].set_title("gradient norm (mean over steps, before clipping)", fontsize=9)
    axes[1].set_title("parameter norm (end of epoch)", fontsize=9)
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    norms = [v for t in info["trials"] for line in t["lines"] for v in line["grad_norm"] if v > 0]
    if norms and max(norms) > 20 * min(norms):  # a log scale only where it spans decades
        axes[0].set_yscale("log")
        axes[0].set_title("gradient norm (mean over steps, before clipping; log scale)", fontsize=9)
    for ax in axes:
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    if info["trials"]:
        axes[1].legend(fontsize=7.5, loc="best", title="best trials: objective (a line per period, seed)",
                       title_fontsize=7.5)
    fig.suptitle(title or "Training dynamics of the best trials", fontsize=10)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)


def dynamics_markdown(study: str, flags: pd.DataFrame, runs: int, trials: pd.DataFrame,
                      plot: str = "plots/norms.png", limit: int = 30, norms: bool = True) -> str:
    """`norms`: the runs reported gradient norms and learning rates (tunelab's loop does; a
    training command does not), so the checks that read them could be made."""
    lines = [f"# Training dynamics: {study}", ""]
    if flags.empty and norms:
        lines += [f"No flag in {runs} runs: the learning rate moved, the training loss did not rise "
                  "at the end, and every parameter received a gradient.", ""]
    elif flags.empty:
        lines += [f"No flag in {runs} runs: the training loss did not rise at the end.", ""]
    if not norms:
        lines += ["The study's training command reports no gradient or parameter norms (nor, unless "
                  "it reports `lr`, learning rates), so tunelab cannot check them: a learning rate "
                  "stuck at zero or a parameter that never gets a gradient would not show here.", ""]
        return "\n".join(lines + _flag_rows(flags, runs, trials, limit))
    lines += _flag_rows(flags, runs, trials, limit)
    lines += ["Gradient and parameter norms of the best trials (by the study's objective):", "",
              f"![norms]({plot})", ""]
    return "\n".join(lines)


def _flag_rows(flags: pd.DataFrame, runs: int, trials: pd.DataFrame, limit: int) -> list[str]:
    """The flags' summary table (of `runs` runs) and the flagged runs; none when none is flagged."""
    lines: list[str] = []
    if not flags.empty:
        lines += ["| flag | runs | trials |", "|---|---:|---:|"]
        for flag, text in FLAG_TEXT.items():
            mine = flags[flags["flag"] == flag]
            lines.append(f"| {text} | {mine[['period', 'trial', 'seed']].drop_duplicates().shape[0]} "
                         f"of {runs} | {mine['trial'].nunique()} |")
        lines += ["", "## Flagged runs", "", "| trial | group | period | seed | flag | detail |",
                  "|---|---|---|---:|---|---|"]
        groups = trials.drop_duplicates("trial").set_index("trial")["group"] if len(trials) else {}
        for r in flags.head(limit).itertuples():
            group = groups.get(r.trial, "") if len(trials) else ""
            group = "" if not isinstance(group, str) else group
            lines.append(f"| {r.trial} | {group} | {r.period} | {r.seed} | {FLAG_TEXT[r.flag]} "
                         f"| {r.detail} |")
        if len(flags) > limit:
            lines.append(f"| ... | | | | {len(flags) - limit} more | |")
        lines.append("")
    return lines


def dynamics_file(curves_parquet: str, part_paths: list[str], trials_csv: str, out_md: str,
                  out_png: str, study: str) -> pd.DataFrame:
    """The dynamics check, in the plots job (tunelab.analysis.figures): every run's curve
    (curves.parquet) and metrics (the collected parts' blocks, see tunelab.collect) + trials.csv ->
    dynamics.md, plots/norms.png."""
    from tunelab.collect import read_parts
    from tunelab.io import write_text

    curves = pd.read_parquet(curves_parquet)
    trials = pd.read_csv(trials_csv, keep_default_na=False, na_values=[""])
    flags = flag_table(curves, read_dead(read_parts(part_paths)))
    runs = curves[["period", "trial", "seed"]].drop_duplicates().shape[0]
    plot_norms(_get_norms_info(curves, trials), out_png, title=f"{study}: training dynamics of the "
               "best trials")
    rel = Path(out_png).relative_to(Path(out_md).parent).as_posix() \
        if Path(out_png).is_relative_to(Path(out_md).parent) else out_png
    norms = "grad_norm" in curves and bool(curves["grad_norm"].notna().any())
    write_text(out_md, dynamics_markdown(study, flags, runs, trials, rel, norms=norms))
    for flag, count in flags["flag"].value_counts().items():
        print(f"{FLAG_TEXT[flag]}: {count} runs")
    return flags

