"""Overfit a tiny batch: can the model, the data and the loss drive the training loss to near zero?

Before a study spends its budget, each distinct model of the study (its architecture with each
combination of model hyperparameters the plan uses) is trained on 16 examples of the first period's
training window, with no regularisation (no dropout, no weight decay, no clipping) and full-batch
Adam. A healthy pipeline memorises 16 examples; if the loss does not fall below `threshold` times
the loss of predicting their mean, something is wrong (inputs that do not reach the output, a
target misaligned with its inputs, a model too constrained) and the study is flagged as suspect.
A few learning rates are tried, so a single unlucky step size does not raise a false alarm.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from tunelab.study.space import model_configs, model_hyperparameters  # noqa: F401 (torch-free, parse time)
from tunelab.train.models import build_model
from tunelab.train.optim import Adam  # torch.optim's Adam, step for step, without its 1 s torch._dynamo import

if TYPE_CHECKING:
    from tunelab.data.windows import Prepared

EXAMPLES = 16
LEARNING_RATES = (3.0e-3, 1.0e-2, 3.0e-2)  # a large LSTM needs the small one
STEPS = 300
THRESHOLD = 0.01  # final loss / loss of the mean predictor


@dataclass
class OverfitResult:
    passed: bool
    initial: float  # loss before training
    final: float  # lowest loss reached
    scale: float  # loss of predicting the batch mean (the variance of the 16 targets)
    ratio: float  # final / scale
    learning_rate: float  # the one that reached the lowest loss
    steps: int  # steps taken with that learning rate


def tiny_batch(x: np.ndarray, y: np.ndarray, n: int = EXAMPLES) -> tuple[torch.Tensor, torch.Tensor]:
    """`n` examples spread evenly over the window (not 16 neighbours that look alike)."""
    idx = np.unique(np.linspace(0, len(y) - 1, min(n, len(y))).astype(int))
    return torch.from_numpy(np.ascontiguousarray(x[idx])), torch.from_numpy(np.ascontiguousarray(y[idx]))


def overfit(make_model: Callable[[], torch.nn.Module], x: torch.Tensor, y: torch.Tensor,
            steps: int = STEPS, learning_rates=LEARNING_RATES, threshold: float = THRESHOLD,
            seed: int = 0) -> OverfitResult:
    """Train `make_model()` on (x, y), full batch, no regularisation; pass if the loss nears zero."""
    scale = float(torch.var(y, unbiased=False)) or 1.0
    best: OverfitResult | None = None
    for lr in learning_rates:
        torch.manual_seed(seed)
        model = make_model()
        model.train()
        opt = Adam(model.parameters(), lr=lr)
        with torch.no_grad():
            initial = float(torch.nn.functional.mse_loss(model(x), y))
        lowest, taken = initial, 0
        for step in range(steps):
            loss = torch.nn.functional.mse_loss(model(x), y)
            if not torch.isfinite(loss):
                break
            opt.zero_grad()
            loss.backward()
            opt.step()
            lowest, taken = min(lowest, float(loss.detach())), step + 1
            if lowest <= threshold * scale:
                break
        result = OverfitResult(passed=lowest <= threshold * scale, initial=initial, final=lowest,
                               scale=scale, ratio=lowest / scale, learning_rate=lr, steps=taken)
        if best is None or result.ratio < best.ratio:
            best = result
        if best.passed:
            break
    return best


def check_study(architecture: str, configs: list[dict], x: np.ndarray, y: np.ndarray, lags: int,
                **kwargs) -> list[tuple[dict, OverfitResult]]:
    torch.set_num_threads(1)
    bx, by = tiny_batch(x, y)
    results = []
    for hps in configs:
        def make(hps=hps):
            return build_model(architecture, lags, x.shape[2], hps)
        results.append((hps, overfit(make, bx, by, **kwargs)))
    return results


def overfit_markdown(study: str, architecture: str, period: str,
                     results: list[tuple[dict, OverfitResult]], threshold: float = THRESHOLD) -> str:
    failed = [r for _, r in results if not r.passed]
    verdict = (f"**SUSPECT**: {len(failed)} of {len(results)} models could not overfit {EXAMPLES} "
               "examples. Check that the inputs reach the output and that the target is aligned with "
               "its inputs before trusting this study." if failed else
               f"**OK**: every model ({len(results)}) memorises {EXAMPLES} examples.")
    lines = [f"# Sanity: overfit a tiny batch ({study})", "",
             f"Each distinct {architecture} model of the study was trained on {EXAMPLES} examples of "
             f"period {period}'s training window, full batch, with no dropout, weight decay or "
             f"clipping (Adam, up to {STEPS} steps, learning rates {', '.join(map(str, LEARNING_RATES))})."
             f" It passes when the loss falls below {threshold:g} x the loss of predicting the "
             "batch mean.", "", verdict, "",
             "| model | initial loss | lowest loss | / mean-predictor loss | learning rate | steps "
             "| verdict |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for hps, r in results:
        name = ", ".join(f"{k}={v}" for k, v in hps.items()) or "(no model hyperparameters)"
        lines.append(f"| {architecture}: {name} | {r.initial:.4g} | {r.final:.3g} | {r.ratio:.3g} | "
                     f"{r.learning_rate:g} | {r.steps} | {'pass' if r.passed else '**FAIL**'} |")
    return "\n".join(lines) + "\n"


def _command_sanity(study: str, output: str) -> list:
    """A training command builds its own model: tunelab cannot overfit it; say what checks it."""
    from tunelab.io import write_text

    write_text(output, f"# Sanity: {study}\n\nThe study's models are built and trained by its own "
                       "training command (`trainer.command`), so tunelab cannot overfit a tiny batch "
                       "with them. `tunelab check-trainer params/<study>.yaml` checks what tunelab can "
                       "check of a command: the same seed gives the same metrics, two seeds differ, a "
                       "resumed run equals an uninterrupted one, and it trains on the windows it is "
                       "given.\n")
    print("overfit-a-tiny-batch does not apply to a training command (see sanity.md)")
    return []


def overfit_file(prepared: str | Prepared, study: str, architecture: str, models: list[dict],
                 period: str, windows: dict, lags: int, horizon: int, output: str) -> list:
    """The overfit check, in the sanity job (tunelab.sanity.checks): each distinct model
    (model_configs) on the first period -> sanity.md. `prepared`: the prepared file's path, or its
    data loaded."""
    if architecture == "command":
        return _command_sanity(study, output)
    from tunelab.data.windows import as_prepared, period_data
    from tunelab.io import write_text

    data = period_data(as_prepared(prepared), {**windows, "test": None}, lags, horizon)
    results = check_study(architecture, models, data.train.x, data.train.y, lags)
    write_text(output, overfit_markdown(study, architecture, period, results))
    for hps, r in results:
        print(f"{'pass' if r.passed else 'FAIL'} {hps}: loss {r.initial:.4g} -> {r.final:.3g} "
              f"(ratio {r.ratio:.3g}, lr {r.learning_rate:g}, {r.steps} steps)")
        if not r.passed:
            print(f"tunelab: WARNING: {study}: {architecture} {hps} cannot overfit {EXAMPLES} examples; "
                  "the pipeline is suspect (see sanity.md)", flush=True)
    return results


