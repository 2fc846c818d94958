"""Overfit a tiny batch: every built-in architecture passes; a model that ignores its input fails."""

import numpy as np
import pytest
import torch
from sanity_data import prepared_series, windows
from tunelab.data.windows import period_data
from tunelab.sanity.overfit import (
    EXAMPLES,
    check_study,
    model_configs,
    model_hyperparameters,
    overfit,
    overfit_markdown,
    tiny_batch,
)
from tunelab.study.space import ARCHITECTURE_DEFAULTS

LAGS = 12


@pytest.fixture(scope="module")
def train_split():
    """A noisy series with a daily cycle and a feature: the 16 examples differ from each other."""
    rng = np.random.default_rng(0)
    hours = np.arange(24 * 60)
    target = 50 + 20 * np.sin(2 * np.pi * hours / 24) + 5 * rng.standard_normal(len(hours))
    data = period_data(prepared_series(target, features={"x": rng.standard_normal(len(hours))}),
                       windows(("2021-01-01", "2021-02-01"), ("2021-02-01", "2021-03-01")), LAGS, 6)
    return data.train


class IgnoresInput(torch.nn.Module):
    """Broken on purpose: the forecast is one learned number, whatever the input."""

    def __init__(self):
        super().__init__()
        self.bias = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return self.bias.expand(x.shape[0])


def defaults(architecture):
    return {k: v["value"] for k, v in ARCHITECTURE_DEFAULTS[architecture].items()}


@pytest.mark.parametrize("architecture", ["linear", "mlp", "lstm", "cnn"])
def test_every_builtin_architecture_overfits_16_examples(train_split, architecture):
    ((hps, result),) = check_study(architecture, [defaults(architecture)], train_split.x, train_split.y, LAGS)
    assert result.passed, result
    assert result.final <= 0.01 * result.scale and result.final < result.initial


def test_a_model_that_ignores_its_input_fails(train_split):
    x, y = tiny_batch(train_split.x, train_split.y)
    result = overfit(IgnoresInput, x, y, steps=200)
    assert not result.passed
    assert result.ratio == pytest.approx(1.0, abs=0.05)  # the best it can do: predict the batch mean
    text = overfit_markdown("s", "broken", "v2021-02", [({}, result)])
    assert "SUSPECT" in text and "**FAIL**" in text


def test_tiny_batch_is_16_examples_spread_over_the_window(train_split):
    x, y = tiny_batch(train_split.x, train_split.y)
    assert x.shape == (EXAMPLES, LAGS, train_split.x.shape[2]) and y.shape == (EXAMPLES,)
    assert float(y[0]) == train_split.y[0] and float(y[-1]) == train_split.y[-1]


def test_distinct_models_without_regularisation():
    trials = [
        {"learning_rate": 0.1, "hidden_size": 8, "dropout": 0.3, "epochs": 5, "num_layers": 2},
        {"learning_rate": 0.2, "hidden_size": 8, "dropout": 0.3, "epochs": 9, "num_layers": 2},
        {"learning_rate": 0.1, "hidden_size": 16, "dropout": 0.3, "epochs": 5, "num_layers": 2},
    ]
    configs = model_configs(trials)
    assert configs == [{"hidden_size": 8, "dropout": 0.0, "num_layers": 2},
                       {"hidden_size": 16, "dropout": 0.0, "num_layers": 2}]
    assert model_hyperparameters({"learning_rate": 1.0, "weight_decay": 0.1}) == {}


def test_the_overfit_check_does_not_import_torch_dynamo():
    """torch.optim's first step imports torch._dynamo (about 1 s); the check runs before every
    study's training, so it takes tunelab's Adam, torch.optim's update step for step."""
    import json
    import subprocess
    import sys

    code = ("import json, sys, torch\n"
            "from tunelab.sanity.overfit import overfit\n"
            "x, y = torch.randn(16, 4), torch.randn(16, 1)\n"
            "overfit(lambda: torch.nn.Linear(4, 1), x, y, steps=5)\n"
            "print(json.dumps('torch._dynamo' in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) is False


def test_the_overfit_check_steps_as_torch_optim_adam_does():
    """The same losses, bit for bit, as the check trained with torch.optim.Adam."""
    torch.manual_seed(1)
    x, y = torch.randn(16, 4), torch.randn(16, 1)

    def losses(make_opt):
        torch.manual_seed(0)
        model, out = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1)), []
        opt = make_opt(model.parameters())
        for _ in range(50):
            loss = torch.nn.functional.mse_loss(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            out.append(float(loss))
        return out

    from tunelab.sanity import overfit as module

    assert losses(lambda p: module.Adam(p, lr=1.0e-2)) == losses(lambda p: torch.optim.Adam(p, lr=1.0e-2))
