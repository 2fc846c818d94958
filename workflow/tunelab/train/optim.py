"""SGD (with momentum and Nesterov momentum), Adam and AdamW, step for step as torch.optim does them.

Why not torch.optim itself: its `step()` imports torch._dynamo on first use (torch 2.13: 1.4 s on
this machine), and every training job is a fresh process, so every job paid it: about half of a
job's start-up. These follow torch.optim's single-tensor code (what it runs for CPU tensors), and
tests/train/test_optim.py checks them against torch.optim, parameter for parameter, over many steps.

The update of one tensor is a function (`sgd_update`, `adam_update`) shared by the per-model
optimizers and by `Stacked`, the optimizer of a batched job (tunelab.train.batched): there every
parameter holds all members along dimension 0, and each run of consecutive members that share
their hyperparameters (the seeds of one trial) is updated by the same calls, on a view, with the
same Python-number hyperparameters as a model trained alone. So a member's update is the update it
would get alone, operation for operation.
"""

from __future__ import annotations

import torch


def sgd_update(p, grad, buf, lr: float, momentum: float, nesterov: bool, weight_decay: float):
    """One SGD step of `p`; returns the momentum buffer (created from the first gradient)."""
    if weight_decay:
        grad = grad.add(p, alpha=weight_decay)
    if momentum:
        if buf is None:
            buf = grad.detach().clone()
        else:
            buf.mul_(momentum).add_(grad)
        grad = grad.add(buf, alpha=momentum) if nesterov else buf
    p.add_(grad, alpha=-lr)
    return buf


def adam_update(p, grad, exp_avg, exp_avg_sq, step: int, lr: float, beta1: float, beta2: float,
                eps: float, weight_decay: float, decoupled: bool) -> None:
    """One Adam (decoupled: AdamW) step of `p`; `step` counts from 1."""
    if weight_decay:
        if decoupled:
            p.mul_(1 - lr * weight_decay)
        else:
            grad = grad.add(p, alpha=weight_decay)
    exp_avg.lerp_(grad, 1 - beta1)
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    bias_correction1 = 1 - beta1 ** step
    bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
    denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
    p.addcdiv_(exp_avg, denom, value=-lr / bias_correction1)


class Optimizer:
    """The part every optimizer shares: the parameters, a learning rate the loop may set, zero_grad,
    and its memory (`STATE`: momentum buffers, moments, step counts) to save and restore, so a run
    resumed from a rung steps on exactly as if it had never stopped."""

    STATE: tuple[str, ...] = ()

    def __init__(self, params, lr: float, weight_decay: float = 0.0):
        self.params = [p for p in params if p.requires_grad]
        self.lr = lr
        self.weight_decay = weight_decay

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def state_dict(self) -> dict:
        """A copy of the optimizer's memory, on the CPU (the learning rate is the schedule's)."""
        return {name: _copy(getattr(self, name), "cpu") for name in self.STATE}

    def load_state_dict(self, state: dict) -> None:
        device = self.params[0].device if self.params else "cpu"
        for name in self.STATE:
            setattr(self, name, _copy(state[name], device))

    def _with_grads(self):
        """(index, parameter, gradient) of the parameters that received a gradient this step."""
        return ((i, p, p.grad) for i, p in enumerate(self.params) if p.grad is not None)


class SGD(Optimizer):
    STATE = ("buffers",)

    def __init__(self, params, lr: float, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        self.momentum, self.nesterov = momentum, nesterov
        self.buffers: list[torch.Tensor | None] = [None] * len(self.params)

    @torch.no_grad()
    def step(self) -> None:
        for i, p, grad in self._with_grads():
            self.buffers[i] = sgd_update(p, grad, self.buffers[i], self.lr, self.momentum,
                                         self.nesterov, self.weight_decay)


class Adam(Optimizer):
    """Adam; with `decoupled=True`, AdamW (weight decay applied to the weights, not the gradient)."""

    STATE = ("steps", "exp_avg", "exp_avg_sq")

    def __init__(self, params, lr: float, betas=(0.9, 0.999), eps: float = 1.0e-8,
                 weight_decay: float = 0.0, decoupled: bool = False):
        super().__init__(params, lr, weight_decay)
        self.beta1, self.beta2 = (float(b) for b in betas)
        self.eps, self.decoupled = eps, decoupled
        self.steps = [0] * len(self.params)
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self) -> None:
        for i, p, grad in self._with_grads():
            self.steps[i] += 1
            adam_update(p, grad, self.exp_avg[i], self.exp_avg_sq[i], self.steps[i], self.lr,
                        self.beta1, self.beta2, self.eps, self.weight_decay, self.decoupled)


class Stacked:
    """The optimizer of stacked parameters (members along dimension 0).

    `settings[m]` is member m's optimizer settings (a dict: optimizer, lr, momentum, betas, eps,
    weight_decay); `lrs[m]` its learning rate, set by the loop every step. Members with equal
    settings and learning rate next to each other are updated together, through a view.
    Every member steps at every step (a member that stops is removed with `keep`), so one step
    count serves all of them.
    """

    def __init__(self, params: list[torch.Tensor], settings: list[dict]):
        self.params = list(params)
        self.settings = list(settings)
        self.lrs = [s["lr"] for s in self.settings]
        self.count = 0
        adam = self.settings[0]["optimizer"] in ("adam", "adamw")
        self.exp_avg = [torch.zeros_like(p) for p in self.params] if adam else None
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params] if adam else None
        self.buffers: list[torch.Tensor | None] = [None] * len(self.params)

    def runs(self) -> list[tuple[slice, dict, float]]:
        """(members, settings, lr) of each run of neighbouring members that step alike."""
        out: list[tuple[slice, dict, float]] = []
        for m, (s, lr) in enumerate(zip(self.settings, self.lrs, strict=True)):
            if out and out[-1][1] == s and out[-1][2] == lr:
                out[-1] = (slice(out[-1][0].start, m + 1), s, lr)
            else:
                out.append((slice(m, m + 1), s, lr))
        return out

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.count += 1
        for members, s, lr in self.runs():
            for i, p in enumerate(self.params):
                if p.grad is None:
                    continue
                grad = p.grad[members]
                if self.exp_avg is not None:
                    adam_update(p[members], grad, self.exp_avg[i][members], self.exp_avg_sq[i][members],
                                self.count, lr, s["beta1"], s["beta2"], s["eps"], s["weight_decay"],
                                s["optimizer"] == "adamw")
                else:
                    self._sgd(i, p, grad, members, lr, s)

    def _sgd(self, i, p, grad, members, lr, s) -> None:
        first = self.count == 1  # every member's momentum buffer starts as its first gradient
        buf = None if first or self.buffers[i] is None else self.buffers[i][members]
        new = sgd_update(p[members], grad, buf, lr, s["momentum"], s["optimizer"] == "nesterov",
                         s["weight_decay"])
        if first and new is not None:
            if self.buffers[i] is None:
                self.buffers[i] = torch.zeros_like(p)
            self.buffers[i][members] = new

    def keep(self, index: torch.Tensor, params: list[torch.Tensor]) -> None:
        """Keep only the members at `index`; `params` are the stacked parameters narrowed alike."""
        picked = index.tolist()
        self.params = list(params)
        self.settings = [self.settings[m] for m in picked]
        self.lrs = [self.lrs[m] for m in picked]
        for name in ("exp_avg", "exp_avg_sq", "buffers"):
            states = getattr(self, name)
            if states is not None:
                setattr(self, name, [None if t is None else t[index] for t in states])


def _copy(value, device):
    """A list of tensors (or None, or step counts) copied onto `device`."""
    return [v.detach().to(device, copy=True) if isinstance(v, torch.Tensor) else v for v in value]
