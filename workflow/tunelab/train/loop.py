"""Train one trial on one period for a block of seeds: the body of every training job.

Reads top to bottom: load the period's examples once, then for each seed build the model, run the
epoch loop (`get_lr`, `train_epoch`, `evaluate`), keep the best validation epoch's weights, and record
the per-epoch curve. A loss that becomes NaN or infinite makes the run infeasible, with its reason;
the job still succeeds. The best epoch is chosen on validation alone; the test window is evaluated
for that checkpoint and stored apart, never used for selection.

Only numpy, pyarrow and torch are imported here: pandas and matplotlib stay off the training path.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from tunelab.data.windows import PeriodData, Split, load_prepared, period_data
from tunelab.io import atomic_path, write_csv, write_json
from tunelab.train.gpu import cuda_device
from tunelab.train.models import build_model
from tunelab.train.optim import SGD, Adam, Optimizer

# valid_loss is the MSE of the scaled target (what training minimises); valid_mae is in target units,
# so a study whose objective is valid_mae can draw its curves in the objective's own units.
CURVE_COLUMNS = ["seed", "epoch", "train_loss", "train_loss_std", "valid_loss", "valid_mae", "lr",
                 "grad_norm", "param_norm", "time"]


@dataclass(frozen=True)
class TrainConfig:
    """The training hyperparameters; unknown keys are rejected, conditional ones may be absent."""

    optimizer: str = "adam"
    learning_rate: float = 1.0e-3
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1.0e-8
    weight_decay: float = 0.0
    l1: float = 0.0
    l2: float = 0.0
    batch_size: int = 128
    epochs: int = 20
    schedule: str = "cosine"
    warmup_epochs: float = 1
    step_size: int = 5
    decay_factor: float = 0.5
    patience: int = 5
    clip_norm: float = 1.0

    @classmethod
    def from_hyperparameters(cls, values: dict) -> tuple[TrainConfig, dict]:
        """Split a trial's values into the training config and the model's own hyperparameters."""
        names = {f.name for f in dataclasses.fields(cls)}
        config = cls(**{k: v for k, v in values.items() if k in names})
        return config, {k: v for k, v in values.items() if k not in names}


class Diverged(Exception):
    """The loss became NaN or infinite."""


def get_lr(cfg: TrainConfig, epoch_progress: float) -> float:
    """Linear warmup, then constant, step decay or cosine decay over the planned epochs."""
    base = cfg.learning_rate
    if cfg.warmup_epochs > 0 and epoch_progress < cfg.warmup_epochs:
        return base * (epoch_progress + 1e-3) / cfg.warmup_epochs
    if cfg.schedule == "step":
        return base * cfg.decay_factor ** int(epoch_progress // max(cfg.step_size, 1))
    if cfg.schedule == "cosine":
        span = max(cfg.epochs - cfg.warmup_epochs, 1e-9)
        t = min((epoch_progress - cfg.warmup_epochs) / span, 1.0)
        return base * 0.5 * (1.0 + math.cos(math.pi * t))
    return base


def make_optimizer(cfg: TrainConfig, params) -> Optimizer:
    """tunelab.train.optim's SGD / Adam: torch.optim's updates without its 1.4 s import per job."""
    if cfg.optimizer in ("sgd", "nesterov"):
        return SGD(params, lr=cfg.learning_rate, momentum=cfg.momentum,
                   nesterov=cfg.optimizer == "nesterov", weight_decay=cfg.weight_decay)
    return Adam(params, lr=cfg.learning_rate, betas=(cfg.beta1, cfg.beta2), eps=cfg.eps,
                weight_decay=cfg.weight_decay, decoupled=cfg.optimizer == "adamw")


def penalty(cfg: TrainConfig, model: torch.nn.Module) -> torch.Tensor | float:
    """Explicit L1 / L2 penalties on the weights (weight_decay is the optimizer's own)."""
    if cfg.l1 == 0 and cfg.l2 == 0:
        return 0.0
    weights = [p for name, p in model.named_parameters() if not name.endswith("bias")]
    total = 0.0
    if cfg.l1:
        total = total + cfg.l1 * sum(w.abs().sum() for w in weights)
    if cfg.l2:
        total = total + cfg.l2 * sum((w * w).sum() for w in weights)
    return total


def grad_norms(model: torch.nn.Module) -> torch.Tensor:
    """One gradient norm per parameter tensor; 0 for a tensor that got no gradient."""
    zero = torch.zeros(())
    return torch.stack([p.grad.detach().norm() if p.grad is not None else zero.to(p.device)
                        for p in model.parameters()])


def param_norm(model: torch.nn.Module) -> float:
    return float(torch.linalg.vector_norm(torch.stack([p.detach().norm() for p in model.parameters()])))


def train_epoch(model, opt, cfg, x, y, epoch, generator, received=None) -> tuple[float, float, float]:
    """One pass over shuffled batches; returns mean loss, its std across batches, mean grad norm.
    `received` (one entry per parameter tensor) accumulates the gradient norms: 0 = no gradient."""
    model.train()
    n = len(y)
    order = torch.randperm(n, generator=generator)
    steps = max(math.ceil(n / cfg.batch_size), 1)
    losses, norms = [], []
    for step in range(steps):
        opt.lr = get_lr(cfg, epoch + step / steps)
        idx = order[step * cfg.batch_size:(step + 1) * cfg.batch_size]
        loss = torch.nn.functional.mse_loss(model(x[idx]), y[idx])
        if not torch.isfinite(loss):
            raise Diverged(f"train loss became {float(loss.detach())} at epoch {epoch + 1}, step {step + 1}")
        opt.zero_grad()
        (loss + penalty(cfg, model)).backward()
        per_tensor = grad_norms(model)  # the same norms as before; their sum finds dead parameters
        norms.append(float(torch.linalg.vector_norm(per_tensor)))
        if received is not None:
            received += per_tensor.to(received.device)
        if cfg.clip_norm > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip_norm)
        opt.step()
        losses.append(float(loss.detach()))
    return float(np.mean(losses)), float(np.std(losses)), float(np.mean(norms))


@torch.no_grad()
def evaluate(model, split: Split | None, device, target_std: float) -> dict:
    """MSE on the scaled target and MAE in target units."""
    if split is None or len(split) == 0:
        return {"mse": float("nan"), "mae": float("nan"), "examples": 0}
    model.eval()
    x = torch.from_numpy(split.x).to(device)
    y = torch.from_numpy(split.y).to(device)
    pred = torch.cat([model(x[i:i + 4096]) for i in range(0, len(y), 4096)])
    err = pred - y
    return {"mse": float((err * err).mean()), "mae": float(err.abs().mean()) * target_std,
            "examples": len(y)}


def train_run(data: PeriodData, architecture: str, values: dict, lags: int, seed: int,
              device: torch.device) -> dict:
    """Train one run; return its metrics, its curve and its best state (None if infeasible)."""
    cfg, model_hps = TrainConfig.from_hyperparameters(values)
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = build_model(architecture, lags, data.train.x.shape[2], model_hps).to(device)
    opt = make_optimizer(cfg, model.parameters())
    x = torch.from_numpy(data.train.x).to(device)
    y = torch.from_numpy(data.train.y).to(device)
    curve, best, best_state, since_best = [], None, None, 0
    received = torch.zeros(len(list(model.parameters())), device=device)  # summed gradient norms
    status, reason, start = "ok", "", time.perf_counter()
    for epoch in range(cfg.epochs):
        try:
            loss, loss_std, gnorm = train_epoch(model, opt, cfg, x, y, epoch, generator, received)
        except Diverged as exc:
            status, reason = "infeasible", str(exc)
            break
        valid = evaluate(model, data.valid, device, data.target_std)
        curve.append({"seed": seed, "epoch": epoch + 1, "train_loss": loss,
                      "train_loss_std": loss_std, "valid_loss": valid["mse"],
                      "valid_mae": valid["mae"],
                      "lr": opt.lr, "grad_norm": gnorm,
                      "param_norm": param_norm(model), "time": time.perf_counter() - start})
        if not math.isfinite(valid["mse"]):
            status, reason = "infeasible", f"validation loss became {valid['mse']} at epoch {epoch + 1}"
            break
        if best is None or valid["mse"] < best["mse"]:
            best, best_state, since_best = {**valid, "epoch": epoch + 1}, _cpu_state(model), 0
        else:
            since_best += 1
            if cfg.patience and since_best >= cfg.patience:
                break  # early stopping: the best epoch is behind us
    metrics = {
        "seed": seed, "status": status, "reason": reason,
        "valid_mse": best["mse"] if best and status == "ok" else float("nan"),
        "valid_mae": best["mae"] if best and status == "ok" else float("nan"),
        "best_epoch": best["epoch"] if best else 0,
        "epochs_run": len(curve), "train_time": round(time.perf_counter() - start, 3),
        "train_examples": len(data.train), "valid_examples": len(data.valid),
    }
    if status != "ok":
        best_state = None
    # Parameters that got no gradient at any step of the run (a layer cut off from the loss).
    dead = [name for (name, _), total in zip(model.named_parameters(), received.tolist(), strict=True)
            if total == 0] if status == "ok" and curve else []
    test = {"seed": seed, "test_mse": float("nan"), "test_mae": float("nan")}
    if best_state is not None and data.test is not None:
        model.load_state_dict(best_state)
        result = evaluate(model.to(device), data.test, device, data.target_std)
        test.update(test_mse=result["mse"], test_mae=result["mae"])
    return {"metrics": metrics, "curve": curve, "state": best_state, "test": test, "dead_params": dead}


def _cpu_state(model: torch.nn.Module) -> dict:
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


def pick_device(requested: str) -> torch.device:
    if requested == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device: 'cuda' was asked for but torch sees no GPU "
                           f"(torch {torch.__version__}, CUDA build: {torch.version.cuda})")
    if requested == "auto":
        requested = "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda":  # one GPU per job when several are visible (Snakemake picks none)
        return cuda_device()
    return torch.device(requested)


def train_job(spec: dict, data_path: str, out_dir: str, threads: int = 1) -> list[dict]:
    """Train every seed of one block and write metrics.json, curves.csv, test.json, models.pt."""
    # A fixed thread count keeps CPU reductions in one order: same seed, same metrics. (Not
    # torch.use_deterministic_algorithms: it imports torch._inductor, +1.2 s per job.)
    torch.set_num_threads(max(threads, 1))
    device = pick_device(spec.get("device", "cpu"))
    task = spec["task"]
    data = period_data(load_prepared(data_path), spec["windows"], task["lags"], task["horizon"])
    results = []
    for seed in spec["seeds"]:
        results.append(train_run(data, spec["architecture"], spec["hyperparameters"],
                                 task["lags"], seed, device))
        m = results[-1]["metrics"]
        print(f"[{spec['period']} {spec['trial']} seed {seed}] {m['status']} "
              f"valid_mse={m['valid_mse']:.4g} best_epoch={m['best_epoch']} "
              f"epochs={m['epochs_run']} {m['train_time']:.1f}s {m['reason']}", flush=True)
    write_outputs(spec, data, results, Path(out_dir))
    return [r["metrics"] for r in results]


def write_outputs(spec: dict, data: PeriodData, results: list[dict], out: Path) -> None:
    """Checkpoints and curves first, metrics.json last: its presence means the block finished."""
    keys = ("study", "period", "trial", "group", "architecture", "hyperparameters", "task", "windows")
    resolved = {k: spec[k] for k in keys if k in spec}
    checkpoint = {"config": resolved, "input_names": data.input_names,
                  "target_mean": data.target_mean, "target_std": data.target_std,
                  "states": {r["metrics"]["seed"]: r["state"] for r in results}}
    with atomic_path(out / "models.pt") as tmp:
        torch.save(checkpoint, tmp)
    write_csv(out / "curves.csv", [row for r in results for row in r["curve"]], CURVE_COLUMNS)
    write_json(out / "test.json", {**resolved, "runs": [r["test"] for r in results]})
    dead = {str(r["metrics"]["seed"]): r.get("dead_params", []) for r in results}
    write_json(out / "metrics.json", {**resolved, "runs": [r["metrics"] for r in results],
                                      "dead_params": dead})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train one trial on one period for a seed block.")
    parser.add_argument("--spec", required=True, help="the job spec, as JSON")
    parser.add_argument("--data", required=True, help="prepared Parquet file")
    parser.add_argument("--metrics", required=True,
                        help="the block's metrics.json; the other outputs are written beside it")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    spec = json.loads(args.spec)
    train_job(spec, args.data, str(Path(args.metrics).parent), args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
