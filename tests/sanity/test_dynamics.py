"""Training-dynamics flags: each fires on a constructed curve and stays quiet on a healthy one."""

import json

import numpy as np
import pandas as pd
import pytest
import torch
from tunelab.collect import collect_curves_file, collect_part_file
from tunelab.data.windows import PeriodData, Split
from tunelab.sanity.dynamics import (
    _get_norms_info,
    dynamics_file,
    flag_table,
    plot_norms,
    read_dead,
    run_flags,
)
from tunelab.train.loop import train_run


def curve(train_loss, lr=None, **extra):
    n = len(train_loss)
    lr = [1.0e-3] * n if lr is None else lr
    return pd.DataFrame({"seed": 0, "epoch": np.arange(1, n + 1), "train_loss": train_loss,
                         "valid_loss": train_loss, "lr": lr, "grad_norm": np.linspace(1, 0.2, n),
                         "param_norm": np.linspace(3, 4, n), **extra})


HEALTHY = [1.0, 0.6, 0.45, 0.40, 0.37, 0.36, 0.365, 0.355]  # falls, then a little noise


def flags_of(c, dead=None):
    return [f for f, _ in run_flags(c, dead)]


def test_healthy_curve_raises_nothing():
    assert flags_of(curve(HEALTHY)) == []
    # cosine decay: the recorded learning rate reaches (almost) zero at the end, but not always
    assert flags_of(curve(HEALTHY, lr=list(np.linspace(1.0e-3, 0.0, len(HEALTHY))))) == []


def test_learning_rate_always_zero():
    assert flags_of(curve(HEALTHY, lr=[0.0] * len(HEALTHY))) == ["lr_zero"]


@pytest.mark.parametrize("loss", [
    [1.0, 0.5, 0.3, 0.4, 0.6, 0.8],  # falls, then climbs back most of the way
    [1.0, 1.1, 1.3, 1.6],  # rises from the start
])
def test_loss_rising(loss):
    assert flags_of(curve(loss)) == ["loss_rising"]


@pytest.mark.parametrize("loss", [
    [1.0, 0.5, 0.3, 0.31, 0.305],  # noise at a plateau
    [1.0, 1.0, 1.0, 1.0],  # flat: no progress, but not rising
    [1.0, 0.2],  # too short to say
])
def test_loss_not_rising(loss):
    assert "loss_rising" not in flags_of(curve(loss))


def test_dead_parameters():
    ((flag, detail),) = run_flags(curve(HEALTHY), ["head.weight", "head.bias"])
    assert flag == "dead_params" and "head.weight" in detail and detail.startswith("2 ")


def test_training_records_parameters_that_never_get_a_gradient():
    """The training job's record (metrics.json dead_params) on a model with a disconnected layer."""

    class Detached(torch.nn.Module):
        def __init__(self, lags, inputs, **_):
            super().__init__()
            self.used = torch.nn.Linear(lags * inputs, 1)
            self.unused = torch.nn.Linear(3, 3)

        def forward(self, x):
            return self.used(x.flatten(1)).squeeze(-1)

    rng = np.random.default_rng(0)
    split = Split(x=rng.standard_normal((64, 4, 2)).astype(np.float32),
                  y=rng.standard_normal(64).astype(np.float32))
    data = PeriodData(split, split, None, 0.0, 1.0, ["a", "b"])
    from tunelab.train import models

    models.ARCHITECTURES["detached_test"] = Detached
    try:
        result = train_run(data, "detached_test", {"epochs": 2, "batch_size": 32}, 4, 0, torch.device("cpu"))
        healthy = train_run(data, "linear", {"epochs": 2, "batch_size": 32}, 4, 0, torch.device("cpu"))
    finally:
        del models.ARCHITECTURES["detached_test"]
    assert result["dead_params"] == ["unused.weight", "unused.bias"]
    assert healthy["dead_params"] == []


def test_flag_table_joins_curves_and_dead_parameters(tmp_path):
    curves = pd.concat([
        curve(HEALTHY).assign(period="v1", trial="ta", block="s0"),
        curve([1.0, 1.2, 1.5]).assign(period="v1", trial="tb", block="s0"),
        curve(HEALTHY, lr=[0.0] * len(HEALTHY)).assign(period="v2", trial="ta", block="s0"),
    ], ignore_index=True)
    block = tmp_path / "metrics.json"
    block.write_text(json.dumps({"period": "v2", "trial": "tb", "runs": [],
                                 "dead_params": {"0": ["out.bias"], "1": []}}))
    dead = read_dead([block])
    assert dead == {("v2", "tb", 0): ["out.bias"]}
    table = flag_table(curves, dead)
    assert list(zip(table["period"], table["trial"], table["flag"], strict=True)) == [
        ("v1", "tb", "loss_rising"), ("v2", "ta", "lr_zero"), ("v2", "tb", "dead_params")]


def trials_table():
    return pd.DataFrame({"trial": ["ta", "tb", "ta", "tb"], "group": ["h=8", "h=16", "h=8", "h=16"],
                         "period": ["all", "all", "v1", "v1"], "objective_mean": [0.5, 0.3, 0.5, 0.3]})


def test_norms_info_takes_the_best_trials():
    curves = pd.concat([curve(HEALTHY).assign(period=p, trial=t, seed=s)
                        for p in ("v1", "v2") for t in ("ta", "tb") for s in (0, 1)], ignore_index=True)
    info = _get_norms_info(curves, trials_table(), top=1)
    (best,) = info["trials"]
    assert best["trial"] == "tb" and best["label"] == "tb (h=16): 0.3"
    assert len(best["lines"]) == 4 and list(best["lines"][0]["epoch"]) == list(range(1, 9))


def test_dynamics_file_smoke(tmp_path):
    run = tmp_path / "results/s/runs/v1/tb/s0"
    run.mkdir(parents=True)
    curve([1.0, 1.2, 1.5]).to_csv(run / "curves.csv", index=False)
    (run / "metrics.json").write_text(json.dumps({"period": "v1", "trial": "tb", "runs": [],
                                                  "dead_params": {"0": []}}))
    part = tmp_path / "results/s/collected/exploration"  # as the collect rules gather the runs
    collect_part_file([run / "metrics.json"], [run / "curves.csv"], f"{part}.blocks.jsonl",
                      f"{part}.curves.parquet")
    collect_curves_file([f"{part}.curves.parquet"], tmp_path / "results/s/curves.parquet")
    trials = tmp_path / "trials.csv"
    trials_table().to_csv(trials, index=False)
    md, png = tmp_path / "results/s/dynamics.md", tmp_path / "results/s/plots/norms.png"
    flags = dynamics_file(tmp_path / "results/s/curves.parquet", [f"{part}.blocks.jsonl"], trials, md, png, "s")
    assert list(flags["flag"]) == ["loss_rising"]
    text = md.read_text()
    assert "training loss rises | 1 of 1" in text and "(plots/norms.png)" in text
    assert png.stat().st_size > 1000
    plot_norms({"trials": []}, tmp_path / "empty.png")  # no finished trial yet: still a figure
