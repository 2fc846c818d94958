"""Batched training: the members of a job trained together as one model with stacked parameters.

A member is one run of the job: a seed of a trial (and, with `trials_per_job`, a seed of another
trial of the same shape). For `linear` and `mlp`, every weight of the members is one tensor with the
members along dimension 0, and a step is a few batched matrix products (`torch.baddbmm`) instead of
one small model after another: on one CPU thread a small MLP's step is mostly fixed overhead, and
on a GPU one small model leaves the device idle.

Each member keeps what it would have alone, and gets the same numbers (tests/train/test_batched.py):
- its initialisation: its model is built alone, after `torch.manual_seed(seed)`, then stacked;
- its data order: its own generator, seeded as in `train_run`;
- its dropout masks: drawn from its own generator, which continues the global RNG stream exactly
  where its initialisation left it, with the calls torch's dropout makes on the CPU;
- its learning rate, weight decay and schedule position (tunelab.train.optim.Stacked);
- its early stopping and best-epoch checkpoint. A member that stops, or diverges, leaves the stack
  at the end of that epoch (its parameters stop changing); the others go on.

The matrix products are those a model alone runs, slice for slice: hidden layers by `baddbmm`
(each slice the same GEMM as `nn.Linear`'s), the one-output head by a small autograd function whose
products are laid out like `nn.Linear`'s (a batched product with one output column rounds
differently). So on the CPU a member's metrics do not depend on its neighbours, and equal those of
the sequential loop (`tunelab.train.loop.train_run`) to the tolerance the tests state.

`lstm` and `cnn` keep the sequential loop: see `use_batched`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch

from tunelab.data.windows import PeriodData, Split
from tunelab.study.space import shape_key
from tunelab.train.loop import (
    Diverged,
    TrainConfig,
    epoch_summary,
    evaluate,
    get_lr,
)
from tunelab.train.models import build_model
from tunelab.train.optim import Stacked

ARCHITECTURES = ("linear", "mlp")


@dataclass
class Member:
    """One run of a batched job: a trial's hyperparameters and one seed."""

    seed: int
    values: dict
    cfg: TrainConfig = field(init=False)
    model_hps: dict = field(init=False)

    def __post_init__(self):
        self.cfg, self.model_hps = TrainConfig.from_hyperparameters(self.values)


def use_batched(architecture: str, members: list[Member]) -> bool:
    """The automatic choice: stacked layers for linear and mlp whenever a job has more than one
    member, all of one shape (benchmarks/batched.py: on one CPU thread 8 members of width 256
    together still beat 8 in a row; on a GPU the gap only grows)."""
    if architecture not in ARCHITECTURES or len(members) < 2:
        return False
    return len({shape_key(architecture, m.values) for m in members}) == 1


class _Head(torch.autograd.Function):
    """The one-output layer of every member: (M, B, H) x (M, 1, H) + (M, 1) -> (M, B).

    Laid out as nn.Linear's addmm and its backward are, so that each member's numbers are those
    of its model alone (bmm/baddbmm with a single output column round differently)."""

    @staticmethod
    def forward(ctx, h, weight, bias):
        ctx.save_for_backward(h, weight)
        return torch.bmm(weight, h.transpose(1, 2)).squeeze(1) + bias

    @staticmethod
    def backward(ctx, grad):
        h, weight = ctx.saved_tensors
        grad_h = torch.bmm(grad.unsqueeze(2), weight) if ctx.needs_input_grad[0] else None
        grad_w = torch.stack([h[m].t().mm(grad[m].unsqueeze(1)).t() for m in range(len(h))])
        return grad_h, grad_w, grad.sum(1, keepdim=True)


class StackedNet:
    """Linear / MLP members as stacked weights: hidden layers (affine, ReLU, dropout), then the head."""

    def __init__(self, models: list[torch.nn.Module], device: torch.device):
        named = [dict(m.named_parameters()) for m in models]
        self.names = list(named[0])
        if len(self.names) % 2 or not all(n.endswith(("weight", "bias")) for n in self.names):
            raise ValueError(f"cannot stack parameters {self.names}")
        self.params = [torch.stack([n[name].detach() for n in named]).to(device).requires_grad_()
                       for name in self.names]

    def forward(self, x: torch.Tensor, noise: list[torch.Tensor | None]) -> torch.Tensor:
        """x: (members, batch, features) -> (members, batch); noise: one mask per hidden layer."""
        h, p = x, self.params
        for layer, mask in enumerate(noise):
            w, b = p[2 * layer], p[2 * layer + 1]
            h = torch.baddbmm(b.unsqueeze(1), h, w.transpose(1, 2)).relu()
            if mask is not None:
                h = h * mask
        return _Head.apply(h, p[-2], p[-1])

    @property
    def hidden_layers(self) -> int:
        return len(self.params) // 2 - 1

    def keep(self, index: torch.Tensor) -> None:
        """Keep the members at `index` only (fresh leaves: the others' values stop changing)."""
        self.params = [p.detach()[index.to(p.device)].requires_grad_() for p in self.params]

    def state(self, m: int) -> dict:
        """Member m's parameters as its model's state_dict, on the CPU."""
        return {name: p.detach()[m].to("cpu", copy=True) for name, p in zip(self.names, self.params,
                                                                               strict=True)}

    def weights(self) -> list[torch.Tensor]:
        return [p for name, p in zip(self.names, self.params, strict=True) if not name.endswith("bias")]


def draw_per_call(device: torch.device) -> bool:
    """Whether members' dropout numbers are drawn one call per layer and step, as a model alone
    draws them: needed where the generator's numbers depend on how draws are split (a GPU's);
    the CPU's do not (tests/train/test_batched.py checks both ways on the CPU)."""
    return device.type != "cpu"


class Dropout:
    """Each member's dropout masks (`models.dropout_mask`) from its own generator: on the CPU one
    that continues the global RNG stream where the member's initialisation left it, on a GPU the
    device generator seeded with the member's seed; the masks a member gets alone, either way.

    On the CPU the uniform numbers of several steps are drawn in one call per member (the CPU
    generator gives the same numbers however the draws are split); on a GPU one call per layer
    and step, as the model alone makes them."""

    CHUNK = 16  # steps drawn at once on the CPU

    def __init__(self, rates: list[float], generators: list[torch.Generator], layers: int,
                 width: int, device):
        self.rates, self.generators, self.device = list(rates), list(generators), device
        self.layers, self.width = layers, width
        self.pending: list[torch.Tensor] = []

    def masks(self, batch: int, steps_alike: int) -> list[torch.Tensor | None]:
        """The masks of the next step (batch rows), one per hidden layer; `steps_alike`: how many
        steps from this one on have this batch size."""
        if not any(self.rates):
            return [None] * self.layers
        if not self.pending:
            self._draw(batch, min(self.CHUNK, steps_alike))
        return list(self.pending.pop(0))

    def _draw(self, batch: int, steps: int) -> None:
        members = len(self.rates)
        draws = torch.empty(members, steps, self.layers, batch, self.width, device=self.device)
        for m, (p, gen) in enumerate(zip(self.rates, self.generators, strict=True)):
            if not 0 < p < 1:
                draws[m].fill_(1.0)  # kept (rate 0) or dropped (rate 1) without a draw
            elif not draw_per_call(self.device):
                draws[m].uniform_(generator=gen)
            else:
                for step in range(steps):
                    for layer in range(self.layers):
                        draws[m, step, layer].uniform_(generator=gen)
        # 1 / (1 - p) as dropout_mask computes it: in float32, from (1 - p) rounded to float32
        keep = torch.tensor([1 - p if p < 1 else 1.0 for p in self.rates], device=self.device)
        scale = torch.where(torch.tensor(self.rates, device=self.device) < 1, 1 / keep, 0.0)
        rates = torch.tensor(self.rates, device=self.device).view(-1, 1, 1, 1, 1)
        # In place, the values torch.where(draws >= rates, scale, 0.0) gives (1.0 or 0.0, times
        # the scale) without its boolean and result tensors: a fifth of a wide MLP's step was there.
        masks = draws.ge_(rates).mul_(scale.view(-1, 1, 1, 1, 1))
        self.pending = [masks[:, step].unbind(1) for step in range(steps)]

    def keep(self, picked: list[int]) -> None:
        """Keep the members at `picked`, at the end of an epoch (no draws pending then)."""
        self.rates = [self.rates[m] for m in picked]
        self.generators = [self.generators[m] for m in picked]


@torch.no_grad()
def evaluate_stacked(net: StackedNet, split: Split | None, device, target_std: float) -> list[dict]:
    """`loop.evaluate` for every member at once (no dropout): MSE and MAE per member."""
    members = len(net.params[0])
    if split is None or len(split) == 0:
        return [{"mse": float("nan"), "mae": float("nan"), "examples": 0}] * members
    x = torch.from_numpy(split.x).to(device).flatten(1)
    y = torch.from_numpy(split.y).to(device)
    none = [None] * net.hidden_layers
    pred = torch.cat([net.forward(x[i:i + 4096].expand(members, -1, -1), none)
                      for i in range(0, len(y), 4096)], dim=1)
    err = pred - y
    mse, mae = (err * err).mean(1).tolist(), err.abs().mean(1).tolist()
    return [{"mse": a, "mae": b * target_std, "examples": len(y)} for a, b in zip(mse, mae, strict=True)]


class Runs:
    """The per-member record a run of `train_run` keeps: curve, best epoch, stopping, status."""

    def __init__(self, member: Member, data: PeriodData):
        self.member, self.data = member, data
        self.curve: list[dict] = []
        self.best: dict | None = None
        self.best_state: dict | None = None
        self.since_best = 0
        self.status, self.reason = "ok", ""
        self.received: torch.Tensor | None = None
        self.train_time = 0.0

    def end_epoch(self, epoch, summary, valid, lr, gnorm_pnorm, net, m, elapsed) -> bool:
        """Record one epoch; True when this member's run is over."""
        cfg = self.member.cfg
        if isinstance(summary, Diverged):
            self.status, self.reason = "infeasible", str(summary)
            return True
        loss, loss_std, gnorm = summary
        self.curve.append({"seed": self.member.seed, "epoch": epoch + 1, "train_loss": loss,
                           "train_loss_std": loss_std, "valid_loss": valid["mse"],
                           "valid_mae": valid["mae"], "lr": lr,
                           "grad_norm": gnorm, "param_norm": gnorm_pnorm, "time": elapsed})
        if not math.isfinite(valid["mse"]):
            self.status = "infeasible"
            self.reason = f"validation loss became {valid['mse']} at epoch {epoch + 1}"
            return True
        if self.best is None or valid["mse"] < self.best["mse"]:
            self.best, self.best_state, self.since_best = {**valid, "epoch": epoch + 1}, net.state(m), 0
        else:
            self.since_best += 1
            if cfg.patience and self.since_best >= cfg.patience:
                return True
        return epoch + 1 >= cfg.epochs

    def result(self, names: list[str], architecture: str, lags: int, device) -> dict:
        """The same dict as `train_run` returns."""
        ok, best, data = self.status == "ok", self.best, self.data
        metrics = {
            "seed": self.member.seed, "status": self.status, "reason": self.reason,
            "valid_mse": best["mse"] if best and ok else float("nan"),
            "valid_mae": best["mae"] if best and ok else float("nan"),
            "best_epoch": best["epoch"] if best else 0,
            "epochs_run": len(self.curve), "train_time": round(self.train_time, 3),
            "train_examples": len(data.train), "valid_examples": len(data.valid),
        }
        state = self.best_state if ok else None
        dead = [n for n, total in zip(names, self.received.tolist(), strict=True) if total == 0] \
            if ok and self.curve else []
        test = {"seed": self.member.seed, "test_mse": float("nan"), "test_mae": float("nan")}
        if state is not None and data.test is not None:
            model = build_model(architecture, lags, data.train.x.shape[2], self.member.model_hps)
            model.load_state_dict(state)
            result = evaluate(model.to(device), data.test, device, data.target_std)
            test.update(test_mse=result["mse"], test_mae=result["mae"])
        return {"metrics": metrics, "curve": self.curve, "state": state, "test": test,
                "dead_params": dead}


def member_norms(params: list[torch.Tensor], grads: bool) -> torch.Tensor:
    """(members, tensors): the norm of each member's slice of each parameter (or its gradient),
    computed on the slices themselves, as a model alone computes them."""
    tensors = [p.grad if grads else p.detach() for p in params]
    return torch.stack([torch.linalg.vector_norm(t.flatten(1), dim=1) for t in tensors], dim=1)


def penalty(net: StackedNet, l1: torch.Tensor | None, l2: torch.Tensor | None) -> torch.Tensor | float:
    """Each member's explicit L1 / L2 penalty on its weights, summed over members (None: none)."""
    total = 0.0
    if l1 is not None:
        total = total + sum((w.abs().flatten(1).sum(1) * l1).sum() for w in net.weights())
    if l2 is not None:
        total = total + sum(((w * w).flatten(1).sum(1) * l2).sum() for w in net.weights())
    return total


class Batch:
    """The stacked members still training (in stack order), their optimizer and dropout."""

    def __init__(self, data: PeriodData, architecture: str, members: list[Member], lags: int, device):
        models, generators, self.shuffles = [], [], []
        for m in members:
            torch.manual_seed(m.seed)
            models.append(build_model(architecture, lags, data.train.x.shape[2], m.model_hps))
            generators.append(torch.Generator().set_state(torch.get_rng_state()) if device.type == "cpu"
                              else torch.Generator(device).manual_seed(m.seed))
            self.shuffles.append(torch.Generator().manual_seed(m.seed))
        self.members, self.device = members, device
        self.net = StackedNet(models, device)
        self.opt = Stacked(self.net.params, [optimizer_settings(m.cfg) for m in members])
        self.dropout = Dropout([m.model_hps.get("dropout", 0.0) for m in members], generators,
                               self.net.hidden_layers, members[0].model_hps.get("hidden_size", 0), device)
        self.alive = list(range(len(members)))
        self.received = torch.zeros(len(members), len(self.net.names), device=device)
        self.x = torch.from_numpy(data.train.x).to(device).flatten(1)
        self.y = torch.from_numpy(data.train.y).to(device)

    def epoch(self, epoch: int) -> tuple[torch.Tensor, torch.Tensor, list[list[float]]]:
        """One pass of every member over its own shuffled batches: (steps, members) losses and
        gradient norms, and the learning rates used, all left on the device until the end."""
        cfgs = [self.members[a].cfg for a in self.alive]
        n, batch, device = len(self.y), cfgs[0].batch_size, self.device
        steps = max(math.ceil(n / batch), 1)
        l1 = torch.tensor([c.l1 for c in cfgs], device=device) if any(c.l1 for c in cfgs) else None
        l2 = torch.tensor([c.l2 for c in cfgs], device=device) if any(c.l2 for c in cfgs) else None
        clip = torch.tensor([c.clip_norm for c in cfgs], device=device)
        order = torch.stack([torch.randperm(n, generator=self.shuffles[a]) for a in self.alive]).to(device)
        lrs = [[get_lr(c, epoch + s / steps) for c in cfgs] for s in range(steps)]
        losses, norms = [], []
        for step in range(steps):
            self.opt.lrs = lrs[step]
            idx = order[:, step * batch:(step + 1) * batch]
            alike = n // batch - step if idx.shape[1] == batch else 1  # steps of this batch size
            x = self.x.index_select(0, idx.flatten()).view(*idx.shape, -1)
            loss = (self.net.forward(x, self.dropout.masks(idx.shape[1], alike)) - self.y[idx]).pow(2).mean(1)
            self.opt.zero_grad()
            (loss.sum() + penalty(self.net, l1, l2)).backward()
            per_tensor = member_norms(self.net.params, grads=True)
            total = torch.linalg.vector_norm(per_tensor, dim=1)
            self.received += per_tensor  # summed over the run: 0 finds a dead parameter
            coef = torch.where(clip > 0, torch.clamp(clip / (total + 1e-6), max=1.0), 1.0)
            for p in self.net.params:  # clip_grad_norm_, member by member
                p.grad.mul_(coef.view(-1, *[1] * (p.dim() - 1)))
            self.opt.step()
            losses.append(loss.detach())
            norms.append(total)
        return torch.stack(losses), torch.stack(norms), lrs

    def keep(self, keep: list[int]) -> None:
        """Only the members at these stack positions go on; the others' parameters stop here."""
        index = torch.tensor(keep, dtype=torch.long)
        self.alive = [self.alive[i] for i in keep]
        self.net.keep(index)
        self.opt.keep(index, self.net.params)
        self.dropout.keep(keep)
        self.received = self.received[index.to(self.device)]


def optimizer_settings(cfg: TrainConfig) -> dict:
    return {"optimizer": cfg.optimizer, "lr": cfg.learning_rate, "momentum": cfg.momentum,
            "beta1": float(cfg.beta1), "beta2": float(cfg.beta2), "eps": cfg.eps,
            "weight_decay": cfg.weight_decay}


def train_members(data: PeriodData, architecture: str, members: list[Member], lags: int,
                  device: torch.device) -> list[dict]:
    """Train `members` together; one `train_run`-shaped result per member, in their order."""
    batch = Batch(data, architecture, members, lags, device)
    runs = [Runs(m, data) for m in members]
    start = time.perf_counter()
    for epoch in range(max(m.cfg.epochs for m in members)):
        losses, norms, lrs = batch.epoch(epoch)
        losses, norms = losses.double().cpu(), norms.double().cpu()  # the epoch's one read-back
        valid = evaluate_stacked(batch.net, data.valid, device, data.target_std)
        pnorms = torch.linalg.vector_norm(member_norms(batch.net.params, grads=False), dim=1).tolist()
        elapsed, keep = time.perf_counter() - start, []
        for i, a in enumerate(batch.alive):
            try:
                summary = epoch_summary(losses[:, i], norms[:, i], epoch)
            except Diverged as exc:
                summary = exc
            if runs[a].end_epoch(epoch, summary, valid[i], lrs[-1][i], pnorms[i], batch.net, i, elapsed):
                runs[a].received, runs[a].train_time = batch.received[i].cpu(), elapsed
            else:
                keep.append(i)
        if len(keep) < len(batch.alive):
            batch.keep(keep)
        if not batch.alive:
            break
    return [r.result(batch.net.names, architecture, lags, device) for r in runs]
