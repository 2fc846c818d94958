"""A torch module of the user's, built by their factory and trained by tunelab's loop: the same
promises as a built-in model (same seed, same metrics; exact resume across rungs; dead-parameter
check), and clear refusals for a factory that cannot work."""

import json
import sys
import textwrap

import pytest
import torch
from test_resume import numbers, through_rungs, train
from test_train import WINDOWS
from tunelab.train.loop import train_job
from tunelab.train.models import build_model, model_builder

GRU = textwrap.dedent('''
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self, inputs, hidden_size, bidirectional):
            super().__init__()
            self.gru = nn.GRU(inputs, hidden_size, batch_first=True, bidirectional=bidirectional)
            self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), 1)
            self.unused = nn.Linear(3, 3)   # never in the forward pass: a dead parameter

        def forward(self, x):
            _, last = self.gru(x)          # each direction's final state (both see every lag)
            return self.head(torch.cat(list(last), dim=1)).squeeze(-1)

    def build(lags, inputs, hidden_size=8, bidirectional=False):
        return Net(inputs, hidden_size, bidirectional)

    def wrong_shape(lags, inputs, **_):
        return nn.Linear(inputs, 1)        # (batch, lags, 1): not one forecast per window

    def not_a_module(lags, inputs, **_):
        return "a model"
''')


@pytest.fixture
def user_models(tmp_path, monkeypatch):
    """my_models/gru.py in a working directory, as a user would keep it beside their study."""
    (tmp_path / "my_models").mkdir()
    (tmp_path / "my_models" / "gru.py").write_text(GRU)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("my_models")]:
        del sys.modules[name]


def custom_spec(hps, seeds=(0, 1), factory="my_models.gru:build"):
    return {"study": "t", "period": "v2020-03", "trial": "t0000abcd", "group": "",
            "architecture": "custom", "model": {"factory": factory}, "hyperparameters": hps,
            "seeds": list(seeds), "task": {"lags": 6, "horizon": 2}, "windows": WINDOWS,
            "device": "cpu"}


def hps(**overrides):
    return {"learning_rate": 0.01, "epochs": 4, "batch_size": 64, "patience": 0, "optimizer": "adam",
            "hidden_size": 8, "bidirectional": True, **overrides}


def run(prepared, out, values, seeds=(0, 1)):
    train_job(custom_spec(values, seeds), prepared, str(out))
    return json.loads((out / "metrics.json").read_text())


def test_the_factory_gets_the_models_hyperparameters_and_the_loop_keeps_the_training_ones(user_models):
    spec = custom_spec(hps())
    assert model_builder(spec) == "my_models.gru:build"
    model = build_model(model_builder(spec), 6, 4, {"hidden_size": 5, "bidirectional": True})
    assert model.gru.hidden_size == 5 and model.gru.bidirectional


def test_same_seed_same_metrics_other_seed_other_metrics(user_models, prepared):
    a = run(prepared, user_models / "a", hps())
    b = run(prepared, user_models / "b", hps())
    strip = [{k: v for k, v in r.items() if k != "train_time"} for r in a["runs"]]
    assert strip == [{k: v for k, v in r.items() if k != "train_time"} for r in b["runs"]]
    assert a["runs"][0]["valid_mse"] != a["runs"][1]["valid_mse"]
    assert a["runs"][0]["status"] == "ok" and a["model"] == {"factory": "my_models.gru:build"}


def test_the_dead_parameter_check_sees_the_users_unused_layer(user_models, prepared):
    metrics = run(prepared, user_models / "out", hps(epochs=2))
    assert metrics["dead_params"]["0"] == ["unused.weight", "unused.bias"]


def test_a_run_resumed_across_rungs_equals_the_straight_run(user_models, prepared, monkeypatch):
    import test_resume

    monkeypatch.setattr(test_resume, "spec", lambda values, seeds: custom_spec(values, seeds))
    values = hps(epochs=6)
    straight = user_models / "straight"
    train(prepared, straight, values, (0, 1), stop_epoch=4)
    resumed = through_rungs(prepared, user_models, values, [2, 4])
    assert numbers(resumed) == numbers(straight)
    a, b = torch.load(straight / "models.pt")["states"], torch.load(resumed / "models.pt")["states"]
    assert all(torch.equal(a[s][k], b[s][k]) for s in a for k in a[s])


@pytest.mark.parametrize(("function", "message"), [
    ("wrong_shape", "must return (batch,)"),
    ("not_a_module", "not a torch.nn.Module"),
    ("missing", "has no function 'missing'"),
])
def test_a_factory_that_cannot_work_fails_the_job_saying_why(user_models, function, message):
    with pytest.raises((TypeError, ValueError), match=message.replace("(", r"\(").replace(")", r"\)")):
        build_model(f"my_models.gru:{function}", 6, 4, {})
