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
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from tunelab.data.windows import PeriodData, Split, load_prepared, period_data
from tunelab.io import atomic_path, end_job, write_csv, write_json
from tunelab.train.gpu import cuda_device
from tunelab.train.models import build_model, model_builder
from tunelab.train.numerics import cpu_path, pin_cpu_numerics
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


def grad_norms(params: list[torch.Tensor]) -> torch.Tensor:
    """One gradient norm per parameter tensor (0 for a tensor that got no gradient), in one call."""
    grads = [p.grad for p in params if p.grad is not None]
    norms = iter(torch._foreach_norm(grads)) if grads else iter(())
    zero = torch.zeros((), device=params[0].device)
    return torch.stack([next(norms) if p.grad is not None else zero for p in params])


def clip_grads(params: list[torch.Tensor], total: torch.Tensor, max_norm: float) -> None:
    """torch.nn.utils.clip_grad_norm_ given the total norm already measured (no second pass)."""
    grads = [p.grad for p in params if p.grad is not None]
    if grads:
        torch._foreach_mul_(grads, torch.clamp(max_norm / (total + 1e-6), max=1.0))


def param_norm(model: torch.nn.Module) -> float:
    return float(torch.linalg.vector_norm(torch.stack([p.detach().norm() for p in model.parameters()])))


def epoch_summary(losses: torch.Tensor, norms: torch.Tensor, epoch: int) -> tuple[float, float, float]:
    """Mean and std of the step losses and mean gradient norm, read back once per epoch; the
    first non-finite step loss makes the run diverge (steps are not checked one by one: that
    would stop the host at every step)."""
    losses, norms = losses.double().cpu(), norms.double().cpu()
    bad = (~torch.isfinite(losses)).nonzero()
    if len(bad):
        step = int(bad[0, 0])
        raise Diverged(f"train loss became {float(losses[step])} at epoch {epoch + 1}, step {step + 1}")
    return float(losses.mean()), float(losses.std(correction=0)), float(norms.mean())


def train_epoch(model, opt, cfg, x, y, epoch, generator, received=None) -> tuple[float, float, float]:
    """One pass over shuffled batches; returns mean loss, its std across batches, mean grad norm.
    `received` (one entry per parameter tensor) accumulates the gradient norms: 0 = no gradient.
    Nothing is read back to the host before the epoch ends."""
    model.train()
    params = list(model.parameters())
    n = len(y)
    order = torch.randperm(n, generator=generator)
    steps = max(math.ceil(n / cfg.batch_size), 1)
    losses, norms = [], []
    for step in range(steps):
        opt.lr = get_lr(cfg, epoch + step / steps)
        idx = order[step * cfg.batch_size:(step + 1) * cfg.batch_size]
        loss = torch.nn.functional.mse_loss(model(x[idx]), y[idx])
        opt.zero_grad()
        (loss + penalty(cfg, model)).backward()
        per_tensor = grad_norms(params)  # their sum over the run finds dead parameters
        total = torch.linalg.vector_norm(per_tensor)
        if received is not None:
            received += per_tensor.to(received.device)
        if cfg.clip_norm > 0:
            clip_grads(params, total, cfg.clip_norm)
        opt.step()
        losses.append(loss.detach())
        norms.append(total)
    return epoch_summary(torch.stack(losses), torch.stack(norms), epoch)


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


@dataclass
class RunState:
    """A run between two epochs: everything it needs to go on exactly as if it had never stopped.

    Successive-halving rungs (tunelab.search.rungs) train a run to a rung's epoch, save this, and
    a promoted trial's next job resumes from it: weights, optimizer memory, the global RNG (dropout)
    and the data-order generator, the curve so far, the best epoch's weights and the early-stopping
    count. The learning-rate schedule is always over the trial's full `epochs`, so a rung's run is
    an exact prefix of the full run (tests/train/test_resume.py checks it bit for bit).
    """

    seed: int
    received: torch.Tensor  # summed gradient norm per parameter tensor (finds dead parameters)
    model: dict | None = None  # the weights now (not the best epoch's); set by `snapshot`
    optimizer: dict | None = None
    rng: torch.Tensor | None = None  # torch's global generator
    data_order: torch.Tensor | None = None  # the generator that shuffles the batches
    cuda_rng: torch.Tensor | None = None  # the GPU's generator, for a run on a GPU
    curve: list[dict] = dataclasses.field(default_factory=list)
    best: dict | None = None  # the best validation epoch so far
    best_state: dict | None = None  # its weights
    since_best: int = 0  # epochs since the best one (early stopping)
    status: str = "ok"
    reason: str = ""
    done: bool = False  # early-stopped or infeasible: nothing is left to train
    elapsed: float = 0.0  # training seconds so far

    @property
    def epoch(self) -> int:
        """Epochs trained (an epoch that diverged is not counted: `done` is set instead)."""
        return len(self.curve)

    def snapshot(self, model, opt: Optimizer, generator: torch.Generator) -> None:
        self.model, self.optimizer = _cpu_state(model), opt.state_dict()
        self.rng, self.data_order = torch.get_rng_state(), generator.get_state()
        device = next(model.parameters()).device
        self.cuda_rng = torch.cuda.get_rng_state(device) if device.type == "cuda" else None

    def to_dict(self) -> dict:  # plain containers: torch.load(weights_only=True) reads them
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, saved: dict) -> RunState:
        return cls(**saved)


def save_states(path: str | Path, config: dict, states: list[RunState]) -> None:
    """state.pt of a block: every seed's RunState, beside the job's other outputs."""
    with atomic_path(path) as tmp:
        torch.save({"config": config, "states": [s.to_dict() for s in states]}, tmp)


def load_states(path: str | Path, spec: dict) -> dict[int, RunState]:
    """A block's saved states by seed; a state saved for another trial or period is a fault."""
    saved = torch.load(path, weights_only=True)
    for key in ("study", "period", "trial", "hyperparameters"):
        if saved["config"].get(key) != spec.get(key):
            raise ValueError(f"{path}: saved for {key}={saved['config'].get(key)!r}, "
                             f"not {spec.get(key)!r}: cannot resume from it")
    return {s["seed"]: RunState.from_dict(s) for s in saved["states"]}


def start_run(architecture: str, values: dict, lags: int, inputs: int, seed: int,
              device: torch.device, saved: RunState | None = None):
    """Model, optimizer and data-order generator of a run: fresh, or restored from `saved`."""
    cfg, model_hps = TrainConfig.from_hyperparameters(values)
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = build_model(architecture, lags, inputs, model_hps).to(device)
    opt = make_optimizer(cfg, model.parameters())
    if saved is None:
        received = torch.zeros(len(list(model.parameters())), device=device)
        return cfg, model, opt, generator, RunState(seed=seed, received=received)
    model.load_state_dict(saved.model)
    opt.load_state_dict(saved.optimizer)
    torch.set_rng_state(saved.rng)
    generator.set_state(saved.data_order)
    if saved.cuda_rng is not None and device.type == "cuda":
        torch.cuda.set_rng_state(saved.cuda_rng, device)
    saved.received = saved.received.to(device)
    return cfg, model, opt, generator, saved


def train_run(data: PeriodData, architecture: str, values: dict, lags: int, seed: int,
              device: torch.device, stop_epoch: int | None = None,
              saved: RunState | None = None) -> dict:
    """Train one run up to `stop_epoch` (default: the trial's `epochs`), from scratch or from
    `saved`; return its metrics, curve, best state (None if infeasible) and RunState."""
    cfg, model, opt, generator, state = start_run(
        architecture, values, lags, data.train.x.shape[2], seed, device, saved)
    until = cfg.epochs if stop_epoch is None else min(stop_epoch, cfg.epochs)
    x = torch.from_numpy(data.train.x).to(device)
    y = torch.from_numpy(data.train.y).to(device)
    start = time.perf_counter() - state.elapsed
    while not state.done and state.epoch < until:
        epoch = state.epoch
        try:
            loss, loss_std, gnorm = train_epoch(model, opt, cfg, x, y, epoch, generator, state.received)
        except Diverged as exc:
            state.status, state.reason, state.done = "infeasible", str(exc), True
            break
        valid = evaluate(model, data.valid, device, data.target_std)
        state.curve.append({"seed": seed, "epoch": epoch + 1, "train_loss": loss,
                            "train_loss_std": loss_std, "valid_loss": valid["mse"],
                            "valid_mae": valid["mae"],
                            "lr": opt.lr, "grad_norm": gnorm,
                            "param_norm": param_norm(model), "time": time.perf_counter() - start})
        if not math.isfinite(valid["mse"]):
            state.status, state.done = "infeasible", True
            state.reason = f"validation loss became {valid['mse']} at epoch {epoch + 1}"
            break
        if state.best is None or valid["mse"] < state.best["mse"]:
            state.best, state.best_state, state.since_best = {**valid, "epoch": epoch + 1}, _cpu_state(model), 0
        else:
            state.since_best += 1
            if cfg.patience and state.since_best >= cfg.patience:
                state.done = True  # early stopping: the best epoch is behind us
    state.elapsed = time.perf_counter() - start
    state.snapshot(model, opt, generator)
    return {**finish_run(state, model, data, device), "run_state": state}


def finish_run(state: RunState, model, data: PeriodData, device) -> dict:
    """Metrics, dead parameters and test metrics of a run as it stands (the best epoch's weights)."""
    ok, best, seed = state.status == "ok", state.best, state.seed
    metrics = {
        "seed": seed, "status": state.status, "reason": state.reason,
        "valid_mse": best["mse"] if best and ok else float("nan"),
        "valid_mae": best["mae"] if best and ok else float("nan"),
        "best_epoch": best["epoch"] if best else 0,
        "epochs_run": state.epoch, "train_time": round(state.elapsed, 3),
        "train_examples": len(data.train), "valid_examples": len(data.valid),
    }
    best_state = state.best_state if ok else None
    # Parameters that got no gradient at any step of the run (a layer cut off from the loss).
    dead = [name for (name, _), total in zip(model.named_parameters(), state.received.tolist(), strict=True)
            if total == 0] if ok and state.curve else []
    test = {"seed": seed, "test_mse": float("nan"), "test_mae": float("nan")}
    if best_state is not None and data.test is not None:
        model.load_state_dict(best_state)
        result = evaluate(model.to(device), data.test, device, data.target_std)
        test.update(test_mse=result["mse"], test_mae=result["mae"])
    return {"metrics": metrics, "curve": list(state.curve), "state": best_state, "test": test,
            "dead_params": dead}


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


def train_block(data: PeriodData, architecture: str, trials: list[dict], seeds: list[int], lags: int,
                device: torch.device, batched: bool | None = None, stop_epoch: int | None = None,
                saved: dict[int, RunState] | None = None) -> list[list[dict]]:
    """Train every seed of every trial (`trials`: their hyperparameter values); one list of
    `train_run` results per trial. `batched` None chooses the path (tunelab.train.batched.
    use_batched): the members stacked into one model, or one run after another. A rung's job
    (`stop_epoch`, or `saved` states to resume from) takes the sequential loop, which saves and
    restores a run's exact state."""
    from tunelab.train.batched import Member, train_members, use_batched

    members = [Member(seed, values) for values in trials for seed in seeds]
    if stop_epoch is not None or saved:
        batched = False
    if batched is None:
        batched = use_batched(architecture, members)
    if batched:
        flat = train_members(data, architecture, members, lags, device)
    else:
        saved = saved or {}
        flat = [train_run(data, architecture, m.values, lags, m.seed, device, stop_epoch, saved.get(m.seed))
                for m in members]
    return [flat[i:i + len(seeds)] for i in range(0, len(flat), len(seeds))]


def train_job(spec: dict, data_path: str, out_dir: str, threads: int = 1,
              resume: str | None = None, batched: bool | None = None) -> list[dict]:
    """Train every seed of one block and write metrics.json, curves.csv, test.json, models.pt.

    A rung's job (spec `stop_epoch`) stops there and also writes state.pt; `resume` is the state.pt
    of the same block at an earlier rung, which the runs continue from."""
    # A fixed thread count keeps CPU reductions in one order: same seed, same metrics. (Not
    # torch.use_deterministic_algorithms: it imports torch._inductor, +1.2 s per job.)
    torch.set_num_threads(max(threads, 1))
    device = pick_device(spec.get("device", "cpu"))
    task = spec["task"]
    data = period_data(load_prepared(data_path), spec["windows"], task["lags"], task["horizon"])
    saved = load_states(resume, spec) if resume else {}
    (results,) = train_block(data, model_builder(spec), [spec["hyperparameters"]], spec["seeds"],
                             task["lags"], device, batched, spec.get("stop_epoch"), saved)
    for r in results:
        report(spec, r["metrics"])
    write_outputs(spec, data, results, Path(out_dir), device)
    return [r["metrics"] for r in results]


def report(spec: dict, m: dict) -> None:
    print(f"[{spec['period']} {spec['trial']} seed {m['seed']}] {m['status']} "
          f"valid_mse={m['valid_mse']:.4g} best_epoch={m['best_epoch']} "
          f"epochs={m['epochs_run']} {m['train_time']:.1f}s {m['reason']}", flush=True)


def write_outputs(spec: dict, data: PeriodData, results: list[dict], out: Path, device: torch.device) -> None:
    """Checkpoints and curves first, metrics.json last: its presence means the block finished.
    `device`: the one the block trained on (its code path is recorded)."""
    keys = ("study", "period", "trial", "group", "architecture", "model", "hyperparameters", "task",
            "windows")
    resolved = {k: spec[k] for k in keys if k in spec}
    checkpoint = {"config": resolved, "input_names": data.input_names,
                  "target_mean": data.target_mean, "target_std": data.target_std,
                  "states": {r["metrics"]["seed"]: r["state"] for r in results}}
    with atomic_path(out / "models.pt") as tmp:
        torch.save(checkpoint, tmp)
    if "stop_epoch" in spec:  # a rung: the state the next rung resumes from
        save_states(out / "state.pt", resolved, [r["run_state"] for r in results])
        resolved = {**resolved, "stop_epoch": spec["stop_epoch"],
                    "done": [r["run_state"].done for r in results]}
    write_csv(out / "curves.csv", [row for r in results for row in r["curve"]], CURVE_COLUMNS)
    write_json(out / "test.json", {**resolved, "runs": [r["test"] for r in results]})
    dead = {str(r["metrics"]["seed"]): r.get("dead_params", []) for r in results}
    write_json(out / "metrics.json", {**resolved, "runs": [r["metrics"] for r in results],
                                      "dead_params": dead,
                                      "cpu_path": cpu_path(device)})


def train_group_job(spec: dict, data_path: str, out_dir: str, threads: int = 1,
                    batched: bool | None = None) -> None:
    """A job group's job (trials_per_job): every trial of the group on one period and seed block,
    trained together; each trial's outputs, as its own job writes them, in out_dir/<trial>/.
    (tunelab.train.from_group then puts them where the trial's own outputs belong.)"""
    torch.set_num_threads(max(threads, 1))
    device = pick_device(spec.get("device", "cpu"))
    task = spec["task"]
    data = period_data(load_prepared(data_path), spec["windows"], task["lags"], task["horizon"])
    trials = spec["trials"]
    results = train_block(data, model_builder(spec), [t["hyperparameters"] for t in trials],
                          spec["seeds"], task["lags"], device, batched)
    common = {k: v for k, v in spec.items() if k not in ("trials", "job_group")}
    for trial, runs in zip(trials, results, strict=True):
        trial_spec = {**common, **trial}
        for r in runs:
            report(trial_spec, r["metrics"])
        write_outputs(trial_spec, data, runs, Path(out_dir) / trial["trial"], device)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train one trial on one period for a seed block.")
    parser.add_argument("--spec", required=True, help="the job spec, as JSON")
    parser.add_argument("--data", required=True, help="prepared Parquet file")
    parser.add_argument("--metrics",
                        help="the block's metrics.json; the other outputs are written beside it")
    parser.add_argument("--group-out", help="a job group's folder (a spec with `trials`)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--resume", help="state.pt of this block at an earlier rung")
    args = parser.parse_args(argv)
    spec = json.loads(args.spec)
    pin_cpu_numerics(spec.get("cpu_numerics"))  # before the first computation
    if "trials" in spec:
        train_group_job(spec, args.data, args.group_out, args.threads)
    else:
        train_job(spec, args.data, str(Path(args.metrics).parent), args.threads, args.resume)
    return 0


if __name__ == "__main__":
    end_job(main())
