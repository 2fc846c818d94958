"""SGD (with momentum and Nesterov momentum), Adam and AdamW, step for step as torch.optim does them.

Why not torch.optim itself: its `step()` imports torch._dynamo on first use (torch 2.13: 1.4 s on
this machine), and every training job is a fresh process, so every job paid it: about half of a
job's start-up. These follow torch.optim's single-tensor code (what it runs for CPU tensors), and
tests/test_optim.py checks them against torch.optim, parameter for parameter, over many steps.
"""

from __future__ import annotations

import torch


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
            if self.weight_decay:
                grad = grad.add(p, alpha=self.weight_decay)
            if self.momentum:
                buf = self.buffers[i]
                if buf is None:
                    buf = self.buffers[i] = grad.detach().clone()
                else:
                    buf.mul_(self.momentum).add_(grad)
                grad = grad.add(buf, alpha=self.momentum) if self.nesterov else buf
            p.add_(grad, alpha=-self.lr)


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
            if self.weight_decay:
                if self.decoupled:
                    p.mul_(1 - self.lr * self.weight_decay)
                else:
                    grad = grad.add(p, alpha=self.weight_decay)
            self.exp_avg[i].lerp_(grad, 1 - self.beta1)
            self.exp_avg_sq[i].mul_(self.beta2).addcmul_(grad, grad, value=1 - self.beta2)
            bias_correction1 = 1 - self.beta1 ** self.steps[i]
            bias_correction2_sqrt = (1 - self.beta2 ** self.steps[i]) ** 0.5
            denom = (self.exp_avg_sq[i].sqrt() / bias_correction2_sqrt).add_(self.eps)
            p.addcdiv_(self.exp_avg[i], denom, value=-self.lr / bias_correction1)


def _copy(value, device):
    """A list of tensors (or None, or step counts) copied onto `device`."""
    return [v.detach().to(device, copy=True) if isinstance(v, torch.Tensor) else v for v in value]
