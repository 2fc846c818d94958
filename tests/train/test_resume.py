"""Exact resume: a run continued across rungs is the run trained straight to the same epoch."""

import json

import pytest
import torch
from test_train import spec, values
from tunelab.train.loop import load_states, train_job


def train(prepared, out, hps, seeds, stop_epoch=None, resume=None):
    job = {**spec(hps, seeds), **({"stop_epoch": stop_epoch} if stop_epoch else {})}
    train_job(job, prepared, str(out), resume=str(resume) if resume else None)
    return json.loads((out / "metrics.json").read_text())


def numbers(out):
    """Every column of curves.csv but wall time, and the metrics but train_time."""
    metrics = json.loads((out / "metrics.json").read_text())
    runs = [{k: v for k, v in r.items() if k != "train_time"} for r in metrics["runs"]]
    curve = [line.rsplit(",", 1)[0] for line in (out / "curves.csv").read_text().splitlines()]
    return runs, curve, json.loads((out / "test.json").read_text())["runs"]


def through_rungs(prepared, tmp_path, hps, rungs, seeds=(0, 1)):
    previous = None
    for epochs in rungs:
        out = tmp_path / f"e{epochs}"
        train(prepared, out, hps, seeds, stop_epoch=epochs, resume=previous and previous / "state.pt")
        previous = out
    return previous


# Every piece of state that carries across a rung: Adam's moments and step counts, SGD momentum,
# dropout's RNG, the data order, the cosine / step schedule over the full budget, warmup that spans
# a rung boundary, L1/L2 penalties.
CASES = {
    "adam_cosine_dropout": dict(optimizer="adam", dropout=0.2, schedule="cosine", warmup_epochs=2),
    "sgd_momentum_step": dict(optimizer="nesterov", momentum=0.9, schedule="step", step_size=2,
                              decay_factor=0.5, l2=1.0e-4, warmup_epochs=0),
    "adamw_l1": dict(optimizer="adamw", weight_decay=1.0e-3, l1=1.0e-5, dropout=0.1),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rung_2_through_rungs_0_and_1_equals_straight_training(prepared, tmp_path, case):
    hps = values(epochs=9, patience=0, **CASES[case])
    straight = tmp_path / "straight"
    train(prepared, straight, hps, (0, 1), stop_epoch=6)
    resumed = through_rungs(prepared, tmp_path, hps, [2, 4, 6])
    assert numbers(resumed) == numbers(straight)  # bit for bit: metrics, curves, test
    a = torch.load(straight / "models.pt")["states"]
    b = torch.load(resumed / "models.pt")["states"]
    assert all(torch.equal(a[s][k], b[s][k]) for s in a for k in a[s])  # best-epoch checkpoint


def test_last_rung_equals_the_full_run(prepared, tmp_path):
    """The schedule is over the full budget: the last rung's run is the ordinary full run."""
    hps = values(epochs=6, patience=0, dropout=0.1)
    full = tmp_path / "full"
    train(prepared, full, hps, (0,))
    resumed = through_rungs(prepared, tmp_path, hps, [2, 6], seeds=(0,))
    assert numbers(resumed) == numbers(full)


def test_a_rung_stops_at_its_epoch_and_saves_a_state(prepared, tmp_path):
    hps = values(epochs=9, patience=0)
    metrics = train(prepared, tmp_path / "r0", hps, (0, 1), stop_epoch=3)
    assert [r["epochs_run"] for r in metrics["runs"]] == [3, 3]
    assert metrics["stop_epoch"] == 3 and metrics["done"] == [False, False]
    states = load_states(tmp_path / "r0" / "state.pt", spec(hps, (0, 1)))
    assert sorted(states) == [0, 1] and states[0].epoch == 3


def test_early_stopping_state_carries_across_rungs(prepared, tmp_path):
    """A run that early-stopped inside a rung stays stopped; one whose patience spans the rung
    boundary stops at the same epoch as the uninterrupted run."""
    hps = values(epochs=30, patience=1, learning_rate=0.05)
    straight = tmp_path / "straight"
    train(prepared, straight, hps, (0,))
    resumed = through_rungs(prepared, tmp_path, hps, [1, 2, 3, 5, 8, 13, 30], seeds=(0,))
    assert numbers(resumed) == numbers(straight)
    assert json.loads((resumed / "metrics.json").read_text())["runs"][0]["epochs_run"] < 30


def test_resuming_from_another_trials_state_is_refused(prepared, tmp_path):
    train(prepared, tmp_path / "a", values(epochs=4), (0,), stop_epoch=2)
    with pytest.raises(ValueError, match="cannot resume"):
        train(prepared, tmp_path / "b", values(epochs=4, learning_rate=0.01), (0,), stop_epoch=4,
              resume=tmp_path / "a" / "state.pt")
