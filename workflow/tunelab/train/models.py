"""The architectures: every model maps (batch, lags, inputs) to (batch,) forecasts."""

from __future__ import annotations

import importlib
import os
import sys

import torch
from torch import nn


def dropout_mask(shape, p: float, device, generator=None, dtype=torch.float32) -> torch.Tensor:
    """Inverted dropout's mask: 0 with probability p, else 1 / (1 - p). Drawn with `torch.rand`
    (one uniform number per element, in order), so a batched job can draw a member's masks from
    its own generator and get exactly the masks the member gets alone (tunelab.train.batched)."""
    if p >= 1:
        return torch.zeros(shape, device=device, dtype=dtype)
    keep = torch.rand(shape, device=device, generator=generator) >= p
    return keep.to(dtype).div_(1 - p)


class Dropout(nn.Module):
    """nn.Dropout with `dropout_mask`'s masks (nn.Dropout's CPU masks come from MKL's Bernoulli
    sampler, which a member's own generator cannot reproduce cheaply in a batched step)."""

    def __init__(self, p: float):
        super().__init__()
        self.p = float(p)

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        return x * dropout_mask(x.shape, self.p, x.device, dtype=x.dtype)


class Linear(nn.Module):
    def __init__(self, lags: int, inputs: int, **_):
        super().__init__()
        self.out = nn.Linear(lags * inputs, 1)

    def forward(self, x):
        return self.out(x.flatten(1)).squeeze(-1)


class MLP(nn.Module):
    def __init__(self, lags: int, inputs: int, hidden_size: int, num_layers: int, dropout: float, **_):
        super().__init__()
        layers, width = [], lags * inputs
        for _ in range(num_layers):
            layers += [nn.Linear(width, hidden_size), nn.ReLU(), Dropout(dropout)]
            width = hidden_size
        self.body = nn.Sequential(*layers)
        self.out = nn.Linear(width, 1)

    def forward(self, x):
        return self.out(self.body(x.flatten(1))).squeeze(-1)


class LSTM(nn.Module):
    def __init__(self, lags: int, inputs: int, hidden_size: int, num_layers: int, dropout: float, **_):
        super().__init__()
        # torch applies LSTM dropout between layers only, so a 1-layer LSTM gets it on its output.
        self.lstm = nn.LSTM(inputs, hidden_size, num_layers, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(hidden_size, 1)

    def forward(self, x):
        h, _ = self.lstm(x)
        return self.out(self.drop(h[:, -1])).squeeze(-1)


class CNN(nn.Module):
    """1-D convolutions over time; the head sees the mean over time and the last step."""

    def __init__(self, lags: int, inputs: int, channels: int, kernel_size: int, num_layers: int,
                 dropout: float, **_):
        super().__init__()
        layers, width = [], inputs
        for _ in range(num_layers):
            layers += [nn.Conv1d(width, channels, kernel_size, padding="same"), nn.ReLU(),
                       nn.Dropout(dropout)]
            width = channels
        self.body = nn.Sequential(*layers)
        self.out = nn.Linear(2 * width, 1)

    def forward(self, x):
        h = self.body(x.transpose(1, 2))  # (batch, channels, lags)
        return self.out(torch.cat([h.mean(-1), h[..., -1]], dim=1)).squeeze(-1)


ARCHITECTURES = {"linear": Linear, "mlp": MLP, "lstm": LSTM, "cnn": CNN}


def model_builder(spec: dict) -> str:
    """What builds a job's models: the built-in architecture, or a custom model's factory."""
    return spec.get("model", {}).get("factory", spec["architecture"])


def build_model(architecture: str, lags: int, inputs: int, hyperparameters: dict) -> nn.Module:
    """A fresh model: `architecture` is a built-in name or a factory's `module:function`."""
    if ":" in architecture:
        return build_custom(architecture, lags, inputs, hyperparameters)
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture: {architecture!r} is not one of {sorted(ARCHITECTURES)}")
    return ARCHITECTURES[architecture](lags=lags, inputs=inputs, **hyperparameters)


def load_factory(reference: str):
    """The function `module:function` names, imported from the working directory first."""
    module_name, function = reference.split(":")
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # `python -m` puts it there; a test or a notebook may not
    module = importlib.import_module(module_name)
    factory = getattr(module, function, None)
    if not callable(factory):
        raise TypeError(f"model.factory: {reference!r}: {module.__file__} has no function {function!r}")
    return factory


def build_custom(reference: str, lags: int, inputs: int, hyperparameters: dict) -> nn.Module:
    """Call the user's factory and check that what comes back can be trained: an nn.Module with
    parameters that maps (batch, lags, inputs) to (batch,)."""
    model = load_factory(reference)(lags=lags, inputs=inputs, **hyperparameters)
    where = f"model.factory {reference!r} with {hyperparameters}"
    if not isinstance(model, nn.Module):
        raise TypeError(f"{where} returned {type(model).__name__}, not a torch.nn.Module")
    if not any(p.requires_grad for p in model.parameters()):
        raise ValueError(f"{where} returned a module with no trainable parameters")
    training = model.training
    model.eval()  # no dropout draw, no batch-norm statistics: the check leaves the run unchanged
    with torch.no_grad():
        out = model(torch.zeros(2, lags, inputs, device=next(model.parameters()).device))
    model.train(training)
    if tuple(out.shape) != (2,):
        raise ValueError(f"{where}: the module maps a (batch=2, lags={lags}, inputs={inputs}) input to "
                         f"shape {tuple(out.shape)}; it must return (batch,): one forecast per "
                         "example (e.g. end with .squeeze(-1))")
    return model
