"""Batched training: a member's result does not depend on its neighbours, and equals the sequential loop's.

The stated tolerance is 1e-5 relative on every metric and curve value and on the checkpoints (on
this machine's CPU they are in fact bit-identical: see tunelab/train/batched.py for why).
"""

import json
import math

import pytest
import torch
from tunelab.data.windows import load_prepared, period_data
from tunelab.study.space import resolve_space
from tunelab.train.batched import Member, train_members, use_batched
from tunelab.train.loop import train_block, train_job

RTOL = 1e-5
WINDOWS = {"train": ["2020-01-01T00:00:00", "2020-03-01T00:00:00"],
           "valid": ["2020-03-01T00:00:00", "2020-04-01T00:00:00"],
           "test": ["2020-04-01T00:00:00", "2020-05-01T00:00:00"]}
CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def data(prepared):
    return period_data(load_prepared(prepared), WINDOWS, 6, 2)


def values(architecture="mlp", **overrides):
    space = resolve_space(architecture, {})
    defaults = {k: h.value for k, h in space.items()}
    vals = {n: hp.value for n, hp in space.items() if not hp.searched and hp.is_active(defaults)}
    extra = {"hidden_size": 16, "dropout": 0.2} if architecture == "mlp" else {}
    return {**vals, **extra, "learning_rate": 0.01, "epochs": 3, "batch_size": 64, **overrides}


def close(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=RTOL, abs=1e-9)


def assert_same_run(a: dict, b: dict) -> None:
    """Two results of one run: metrics, every curve value and the checkpoint within RTOL."""
    for key, va in a["metrics"].items():
        if key == "train_time":
            continue
        vb = b["metrics"][key]
        assert close(va, vb) if isinstance(va, float) else va == vb, (key, va, vb)
    assert len(a["curve"]) == len(b["curve"])
    for ra, rb in zip(a["curve"], b["curve"], strict=True):
        for key in ("epoch", "train_loss", "train_loss_std", "valid_loss", "valid_mae", "lr", "grad_norm",
                    "param_norm"):
            assert close(ra[key], rb[key]), (key, ra[key], rb[key])
    assert (a["state"] is None) == (b["state"] is None)
    if a["state"] is not None:
        assert a["state"].keys() == b["state"].keys()
        for k in a["state"]:
            torch.testing.assert_close(a["state"][k], b["state"][k], rtol=RTOL, atol=1e-7)
    assert all(close(a["test"][k], b["test"][k]) for k in ("test_mse", "test_mae"))
    assert a["dead_params"] == b["dead_params"]


def sequential(data, architecture, vals, seeds):
    return train_block(data, architecture, [vals], seeds, 6, CPU, batched=False)[0]


@pytest.mark.parametrize("architecture", ["mlp", "linear"])
def test_batched_path_agrees_with_the_sequential_loop(data, architecture):
    vals = values(architecture)
    batched = train_block(data, architecture, [vals], [0, 1, 2], 6, CPU, batched=True)[0]
    for a, b in zip(batched, sequential(data, architecture, vals, [0, 1, 2]), strict=True):
        assert_same_run(a, b)
    assert len({r["metrics"]["valid_mse"] for r in batched}) == 3  # three seeds, three models


@pytest.mark.parametrize("optimizer", ["sgd", "nesterov", "adam", "adamw"])
def test_every_optimizer_schedule_and_penalty_agrees(data, optimizer):
    vals = values(optimizer=optimizer, momentum=0.9, weight_decay=1.0e-3, l1=1.0e-5, l2=1.0e-4,
                  schedule="step", step_size=1, decay_factor=0.5, clip_norm=0.5, num_layers=3)
    if optimizer in ("sgd", "nesterov"):
        vals = {k: v for k, v in vals.items() if k not in ("beta1", "beta2", "eps")}
    batched = train_block(data, "mlp", [vals], [0, 1], 6, CPU, batched=True)[0]
    for a, b in zip(batched, sequential(data, "mlp", vals, [0, 1]), strict=True):
        assert_same_run(a, b)


def test_a_seed_does_not_depend_on_its_neighbours(data):
    """Seed 3 alone, in a block of 8, and in a group with another trial of the same shape."""
    vals = values()
    other = values(learning_rate=0.002, weight_decay=1.0e-2, dropout=0.0, epochs=4)
    alone = train_members(data, "mlp", [Member(3, vals)], 6, CPU)[0]
    block = train_members(data, "mlp", [Member(s, vals) for s in range(8)], 6, CPU)[3]
    group = train_block(data, "mlp", [other, vals], [2, 3], 6, CPU, batched=True)
    assert_same_run(alone, block)
    assert_same_run(alone, group[1][1])
    assert_same_run(group[0][0], sequential(data, "mlp", other, [2])[0])


def test_dropout_drawn_call_by_call_as_on_a_gpu_gives_the_same_runs(data, monkeypatch):
    """The GPU path draws each member's masks one call per layer and step (its generator's numbers
    depend on the split); on the CPU that must give the same runs as the chunked draws."""
    from tunelab.train import batched

    vals = values(num_layers=3, dropout=0.3)
    chunked = train_block(data, "mlp", [vals], [0, 1], 6, CPU, batched=True)[0]
    monkeypatch.setattr(batched, "draw_per_call", lambda device: True)
    per_call = train_block(data, "mlp", [vals], [0, 1], 6, CPU, batched=True)[0]
    for a, b in zip(per_call, chunked, strict=True):
        assert_same_run(a, b)


def test_rerun_gives_bit_identical_metrics(data):
    vals = values()
    a = train_block(data, "mlp", [vals], [0, 1, 2], 6, CPU, batched=True)[0]
    b = train_block(data, "mlp", [vals], [0, 1, 2], 6, CPU, batched=True)[0]
    for ra, rb in zip(a, b, strict=True):
        assert {**ra["metrics"], "train_time": 0} == {**rb["metrics"], "train_time": 0}
        assert [{**row, "time": 0} for row in ra["curve"]] == [{**row, "time": 0} for row in rb["curve"]]
        assert all(torch.equal(ra["state"][k], rb["state"][k]) for k in ra["state"])


def test_a_member_that_stops_early_is_frozen_while_the_others_go_on(data):
    quick = values(epochs=40, patience=1, learning_rate=0.05)  # stops early (test_train's case)
    slow = values(epochs=6, patience=0, learning_rate=0.001)
    group = train_block(data, "mlp", [quick, slow], [0], 6, CPU, batched=True)
    stopped, full = group[0][0], group[1][0]
    assert stopped["metrics"]["epochs_run"] < 6 == full["metrics"]["epochs_run"]
    assert_same_run(stopped, sequential(data, "mlp", quick, [0])[0])
    assert_same_run(full, sequential(data, "mlp", slow, [0])[0])


def test_a_diverging_member_is_infeasible_while_the_others_go_on(data):
    sgd = {k: v for k, v in values(optimizer="sgd", momentum=0.9).items()
           if k not in ("beta1", "beta2", "eps")}
    wild = {**sgd, "learning_rate": 1.0e6, "clip_norm": 0.0, "warmup_epochs": 0}
    group = train_block(data, "mlp", [wild, sgd], [0, 1], 6, CPU, batched=True)
    for r in group[0]:
        assert r["metrics"]["status"] == "infeasible" and r["state"] is None
        assert "became nan" in r["metrics"]["reason"] or "became inf" in r["metrics"]["reason"]
    for r, alone in zip(group[1], sequential(data, "mlp", sgd, [0, 1]), strict=True):
        assert r["metrics"]["status"] == "ok"
        assert_same_run(r, alone)
    assert_same_run(group[0][0], sequential(data, "mlp", wild, [0])[0])


def test_the_path_is_chosen_automatically():
    block = [Member(s, values()) for s in range(3)]
    assert use_batched("mlp", block) and use_batched("linear", [Member(s, values("linear")) for s in (0, 1)])
    assert not use_batched("mlp", block[:1])  # one member: the plain loop
    assert not use_batched("lstm", [Member(s, values("lstm")) for s in (0, 1)])
    assert not use_batched("cnn", [Member(s, values("cnn")) for s in (0, 1)])
    assert not use_batched("mlp", [Member(0, values()), Member(0, values(hidden_size=8))])
    assert use_batched("mlp", [Member(0, values()), Member(0, values(learning_rate=0.1, dropout=0.0))])


def test_a_batched_job_writes_the_same_outputs(prepared, tmp_path):
    """Same files, same columns, one checkpoint per seed: the job's outputs do not show the path."""
    spec = {"study": "t", "period": "v2020-03", "trial": "t0000abcd", "group": "",
            "architecture": "mlp", "hyperparameters": values(), "seeds": [0, 1],
            "task": {"lags": 6, "horizon": 2}, "windows": WINDOWS, "device": "cpu"}
    outs = {}
    for mode in (True, False):
        out = tmp_path / str(mode)
        train_job(spec, prepared, str(out), batched=mode)
        outs[mode] = out
    assert sorted(p.name for p in outs[True].iterdir()) == sorted(p.name for p in outs[False].iterdir())
    head = [(outs[m] / "curves.csv").read_text().splitlines()[0] for m in outs]
    assert head[0] == head[1]
    runs = [json.loads((outs[m] / "metrics.json").read_text())["runs"] for m in outs]
    assert [list(r) for r in runs[0]] == [list(r) for r in runs[1]]
    assert all(close(a["valid_mse"], b["valid_mse"]) for a, b in zip(*runs, strict=True))
    states = [torch.load(outs[m] / "models.pt")["states"] for m in outs]
    assert list(states[0]) == list(states[1]) == [0, 1]
