"""Training: deterministic on the CPU, divergence recorded as infeasible, best epoch chosen on validation."""

import json
import math

import pytest
import torch
from tunelab.data.windows import load_prepared, period_data
from tunelab.study.space import resolve_space
from tunelab.train.loop import TrainConfig, get_lr, train_job
from tunelab.train.models import ARCHITECTURES, build_model

WINDOWS = {"train": ["2020-01-01T00:00:00", "2020-03-01T00:00:00"],
           "valid": ["2020-03-01T00:00:00", "2020-04-01T00:00:00"],
           "test": ["2020-04-01T00:00:00", "2020-05-01T00:00:00"]}


def values(architecture="mlp", **overrides):
    space = resolve_space(architecture, {})
    vals = {n: hp.value for n, hp in space.items() if not hp.searched and hp.is_active(
        {k: h.value for k, h in space.items()})}
    return {**vals, "learning_rate": 0.003, "epochs": 4, "batch_size": 64, **overrides}


def spec(hps, seeds=(0, 1), architecture="mlp"):
    return {"study": "t", "period": "v2020-03", "trial": "t0000abcd", "group": "",
            "architecture": architecture, "hyperparameters": hps, "seeds": list(seeds),
            "task": {"lags": 6, "horizon": 2}, "windows": WINDOWS, "device": "cpu"}


def run(prepared, tmp_path, hps, seeds=(0, 1), name="out", architecture="mlp"):
    out = tmp_path / name
    train_job(spec(hps, seeds, architecture), prepared, str(out))
    return json.loads((out / "metrics.json").read_text()), out


def strip_times(metrics):
    return [{k: v for k, v in r.items() if k != "train_time"} for r in metrics["runs"]]


def test_same_trial_period_and_seed_give_identical_metrics(prepared, tmp_path):
    a, out_a = run(prepared, tmp_path, values(), name="a")
    b, out_b = run(prepared, tmp_path, values(), name="b")
    assert strip_times(a) == strip_times(b)
    def curve(out):
        return [line.rsplit(",", 1)[0] for line in (out / "curves.csv").read_text().splitlines()]
    assert curve(out_a) == curve(out_b)  # every epoch's numbers, all but wall time


def test_other_seeds_give_other_metrics(prepared, tmp_path):
    a, _ = run(prepared, tmp_path, values(), seeds=(0, 1))
    assert a["runs"][0]["valid_mse"] != a["runs"][1]["valid_mse"]


def test_diverging_run_is_infeasible_and_the_job_succeeds(prepared, tmp_path):
    hps = values(optimizer="sgd", momentum=0.9, learning_rate=1.0e6, clip_norm=0.0, warmup_epochs=0)
    hps = {k: v for k, v in hps.items() if k not in ("beta1", "beta2", "eps")}
    metrics, out = run(prepared, tmp_path, hps, seeds=(0,))
    (r,) = metrics["runs"]
    assert r["status"] == "infeasible"
    assert "became nan" in r["reason"] or "became inf" in r["reason"]
    assert math.isnan(r["valid_mse"])
    assert (out / "models.pt").exists() and torch.load(out / "models.pt")["states"][0] is None


def test_outputs_and_test_metrics_kept_apart(prepared, tmp_path):
    metrics, out = run(prepared, tmp_path, values(epochs=6, patience=0))
    test = json.loads((out / "test.json").read_text())
    assert all("test_mse" not in r for r in metrics["runs"])
    assert [r["seed"] for r in test["runs"]] == [0, 1] and all(r["test_mse"] > 0 for r in test["runs"])
    header = (out / "curves.csv").read_text().splitlines()[0]
    assert header == ("seed,epoch,train_loss,train_loss_std,valid_loss,valid_mae,lr,grad_norm,param_norm,"
                      "time")
    for r in metrics["runs"]:
        assert 1 <= r["best_epoch"] <= r["epochs_run"] == 6


def test_best_epoch_is_the_lowest_validation_loss(prepared, tmp_path):
    metrics, out = run(prepared, tmp_path, values(epochs=6, patience=0), seeds=(0,))
    rows = [line.split(",") for line in (out / "curves.csv").read_text().splitlines()[1:]]
    valid = [float(r[4]) for r in rows]
    assert metrics["runs"][0]["best_epoch"] == valid.index(min(valid)) + 1
    assert metrics["runs"][0]["valid_mse"] == pytest.approx(min(valid))


def test_curve_records_the_mae_in_target_units_at_every_epoch(prepared, tmp_path):
    """`objective: valid_mae` studies draw their curves in the objective's own units."""
    metrics, out = run(prepared, tmp_path, values(epochs=5, patience=0), seeds=(0,))
    lines = (out / "curves.csv").read_text().splitlines()
    header, rows = lines[0].split(","), [dict(zip(lines[0].split(","), r.split(","), strict=True))
                                         for r in lines[1:]]
    assert "valid_mae" in header and len(rows) == 5
    best = rows[metrics["runs"][0]["best_epoch"] - 1]
    assert float(best["valid_mae"]) == pytest.approx(metrics["runs"][0]["valid_mae"])
    assert len({r["valid_mae"] for r in rows}) > 1  # one value per epoch, not the best copied


def test_early_stopping_stops_after_patience(prepared, tmp_path):
    metrics, _ = run(prepared, tmp_path, values(epochs=40, patience=1, learning_rate=0.05), seeds=(0,))
    r = metrics["runs"][0]
    assert r["epochs_run"] == r["best_epoch"] + 1 < 40


def test_checkpoint_reproduces_validation_metric(prepared, tmp_path):
    metrics, out = run(prepared, tmp_path, values(), seeds=(0,))
    ckpt = torch.load(out / "models.pt")
    hps = ckpt["config"]["hyperparameters"]
    _, model_hps = TrainConfig.from_hyperparameters(hps)
    data = period_data(load_prepared(prepared), WINDOWS, 6, 2)
    model = build_model("mlp", 6, data.train.x.shape[2], model_hps)
    model.load_state_dict(ckpt["states"][0])
    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(data.valid.x))
    mse = float(((pred - torch.from_numpy(data.valid.y)) ** 2).mean())
    assert mse == pytest.approx(metrics["runs"][0]["valid_mse"], rel=1e-5)


@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
def test_every_architecture_trains(prepared, tmp_path, architecture):
    metrics, _ = run(prepared, tmp_path, values(architecture, epochs=2), seeds=(0,), architecture=architecture)
    assert metrics["runs"][0]["status"] == "ok" and metrics["runs"][0]["valid_mse"] < 2.0


@pytest.mark.parametrize("optimizer", ["sgd", "nesterov", "adam", "adamw"])
def test_every_optimizer_and_penalty_trains(prepared, tmp_path, optimizer):
    hps = values(optimizer=optimizer, momentum=0.9, l1=1.0e-5, l2=1.0e-4, weight_decay=1.0e-4,
                 schedule="step", step_size=1, decay_factor=0.5, dropout=0.1)
    metrics, _ = run(prepared, tmp_path, hps, seeds=(0,))
    assert metrics["runs"][0]["status"] == "ok"


def test_learning_rate_schedules():
    cfg = TrainConfig(learning_rate=1.0, epochs=10, warmup_epochs=2, schedule="cosine")
    assert get_lr(cfg, 0.0) < 0.01 and get_lr(cfg, 1.0) == pytest.approx(0.5, abs=1e-3)
    assert get_lr(cfg, 2.0) == pytest.approx(1.0) and get_lr(cfg, 10.0) == pytest.approx(0.0, abs=1e-9)
    step = TrainConfig(learning_rate=1.0, warmup_epochs=0, schedule="step", step_size=3, decay_factor=0.1)
    assert [get_lr(step, e) for e in (0, 2.9, 3, 6)] == pytest.approx([1.0, 1.0, 0.1, 0.01])
    assert get_lr(TrainConfig(learning_rate=0.3, warmup_epochs=0, schedule="constant"), 7) == 0.3


def test_train_config_rejects_unknown_keys():
    with pytest.raises(TypeError):
        TrainConfig(learnin_rate=0.1)


def test_cuda_request_without_gpu_fails_loudly(prepared, tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(RuntimeError, match="device: 'cuda'"):
        train_job({**spec(values()), "device": "cuda"}, prepared, str(tmp_path / "o"))


def test_a_training_job_imports_neither_pandas_nor_matplotlib(prepared, tmp_path):
    """The design's rule for the training path (pandas alone costs 0.3 s of every job's start-up)."""
    import subprocess
    import sys

    code = ("import json, sys\n"
            "from tunelab.train.loop import train_job\n"
            f"train_job(json.loads({json.dumps(json.dumps(spec(values(epochs=1), seeds=(0, 1))))}), "
            f"{prepared!r}, {str(tmp_path / 'o')!r})\n"
            "print(json.dumps(sorted(m for m in ('pandas', 'matplotlib', 'torch._dynamo') if m in sys.modules)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []
