"""tunelab.train.optim matches torch.optim update for update, and keeps torch._dynamo out of training jobs."""

import json
import subprocess
import sys

import pytest
import torch
from tunelab.train.optim import SGD, Adam

CASES = {
    "sgd": (lambda p: SGD(p, lr=0.05, weight_decay=1.0e-3),
            lambda p: torch.optim.SGD(p, lr=0.05, weight_decay=1.0e-3)),
    "momentum": (lambda p: SGD(p, lr=0.05, momentum=0.9, weight_decay=1.0e-3),
                 lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=1.0e-3)),
    "nesterov": (lambda p: SGD(p, lr=0.05, momentum=0.9, nesterov=True),
                 lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True)),
    "adam": (lambda p: Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1.0e-7, weight_decay=1.0e-2),
             lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1.0e-7, weight_decay=1.0e-2)),
    "adamw": (lambda p: Adam(p, lr=0.01, weight_decay=1.0e-2, decoupled=True),
              lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=1.0e-2)),
}


def trained(make, lrs):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    unused = torch.nn.Parameter(torch.ones(3))  # never gets a gradient: must stay as it is
    opt = make([*model.parameters(), unused])
    data = torch.Generator().manual_seed(1)
    for lr in lrs:
        x = torch.randn(32, 5, generator=data)
        y = x.sum(dim=1, keepdim=True)
        loss = torch.nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        if isinstance(opt, torch.optim.Optimizer):
            opt.param_groups[0]["lr"] = lr
        else:
            opt.lr = lr
        opt.step()
    return [p.detach().clone() for p in [*model.parameters(), unused]]


@pytest.mark.parametrize("name", sorted(CASES))
def test_updates_match_torch_optim(name):
    ours, theirs = CASES[name]
    lrs = [0.5 + 0.5 * (i % 7) / 7 for i in range(60)]  # a changing learning rate, as schedules do
    scale = {"sgd": 0.05, "momentum": 0.05, "nesterov": 0.05, "adam": 0.01, "adamw": 0.01}[name]
    lrs = [scale * f for f in lrs]
    for a, b in zip(trained(ours, lrs), trained(theirs, lrs), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)
    assert torch.equal(trained(ours, lrs)[-1], torch.ones(3))


def test_a_training_job_does_not_import_torch_dynamo(tmp_path):
    """torch._dynamo costs 1.4 s per job; the training path must not pull it in."""
    code = ("import sys, torch\n"
            "from tunelab.train.loop import make_optimizer, TrainConfig\n"
            "m = torch.nn.Linear(3, 1)\n"
            "for name in ('sgd', 'nesterov', 'adam', 'adamw'):\n"
            "    opt = make_optimizer(TrainConfig(optimizer=name), m.parameters())\n"
            "    m(torch.ones(2, 3)).sum().backward(); torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)\n"
            "    opt.step(); opt.zero_grad()\n"
            "print(json.dumps('torch._dynamo' in sys.modules))\n").replace("import sys", "import json, sys")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) is False
