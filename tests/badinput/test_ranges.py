"""Hostile study files: values in range for the schema's type but meaningless to the trainer, and
searches that cannot mean anything (a conditional hyperparameter that never exists)."""

import pytest
from hostile import Case

HP = "hyperparameters"
STEP = {"schedule": "step"}
SGD = {"optimizer": "sgd"}

CASES = [
    Case("hidden-negative", (f"{HP}.hidden_size.feasible_points: -8 is out of range",),
         {HP: {"hidden_size": {"role": "scientific", "feasible_points": [-8, 16]}}}),
    Case("batch-zero", (f"{HP}.batch_size: 0 is out of range", ">= 1"), {HP: {"batch_size": 0}}),
    Case("dropout-above-one", (f"{HP}.dropout: 1.5 is out of range", "< 1"), {HP: {"dropout": 1.5}}),
    Case("epochs-zero", (f"{HP}.epochs: 0 is out of range",), {HP: {"epochs": 0}}),
    Case("lr-negative", (f"{HP}.learning_rate.feasible_points: -0.01 is out of range", "> 0"),
         {HP: {"learning_rate": {"role": "nuisance", "feasible_points": [-0.01]}}}),
    Case("patience-negative", (f"{HP}.patience: -1 is out of range",), {HP: {"patience": -1}}),
    Case("step-size-zero", (f"{HP}.step_size: 0 is out of range",), {HP: {"step_size": 0, **STEP}}),
    Case("momentum-above-one", (f"{HP}.momentum: 1.5 is out of range",), {HP: {"momentum": 1.5, **SGD}}),
    Case("beta2-one", (f"{HP}.beta2: 1.0 is out of range",), {HP: {"beta2": 1.0}}),
    Case("layers-zero", (f"{HP}.num_layers: 0 is out of range",), {HP: {"num_layers": 0}}),
    Case("kernel-zero", (f"{HP}.kernel_size: 0 is out of range",),
         {"architecture": "cnn", HP: {"kernel_size": 0, "hidden_size": None}}),
    Case("range-negative", (f"{HP}.weight_decay: -1.0 is out of range",),
         {HP: {"weight_decay": {"role": "nuisance", "min": -1.0, "max": 1.0}}}),
    Case("int-range-without-type", (f"{HP}.num_layers: num_layers takes whole numbers", "type: int"),
         {HP: {"num_layers": {"role": "nuisance", "min": 1, "max": 4}}}),
    Case("wd-feasible-negative", (f"{HP}.weight_decay.feasible_points: -0.1 is out of range",),
         {HP: {"weight_decay": {"role": "nuisance", "feasible_points": [0.1, -0.1]}}}),
    Case("eps-zero", (f"{HP}.eps: 0 is out of range",), {HP: {"eps": 0}}),
    Case("warmup-negative", (f"{HP}.warmup_epochs: -1 is out of range",), {HP: {"warmup_epochs": -1}}),
    Case("clip-negative", (f"{HP}.clip_norm: -1 is out of range",), {HP: {"clip_norm": -1}}),
    Case("decay-zero", (f"{HP}.decay_factor: 0 is out of range",), {HP: {"decay_factor": 0, **STEP}}),
    Case("lr-infinite", (f"{HP}.learning_rate: inf is not finite",), {HP: {"learning_rate": float("inf")}}),
    Case("baseline-dropout", ("baseline.dropout: 2.0 is out of range",), {"baseline": {"dropout": 2.0}}),
    Case("baseline-unknown", ("baseline.kernel_size: not a hyperparameter of architecture 'mlp'",),
         {"baseline": {"kernel_size": 3}}),
    Case("seeds-zero", ("seeds: 0 breaks rule `minimum`",), {"seeds": 0}),
    Case("train-months-zero", ("periods.train_months: 0",), {"periods": {"train_months": 0}}),
    Case("confirm-negative", ("confirm_seeds: -1",), {"confirm_seeds": -1}),
    Case("alpha-too-big", ("decision.alpha: 0.9",), {"decision": {"alpha": 0.9}}),
    Case("points-per-range-one", ("search.points_per_range: 1",), {"search": {"points_per_range": 1}}),
    Case("min-examples-zero", ("periods.min_examples: 0",), {"periods": {"min_examples": 0}}),
    # searches that cannot mean anything
    Case("momentum-under-adam", (f"{HP}.momentum: searched, but it exists only when optimizer",
                                 "optimizer is 'adam' here"),
         {HP: {"momentum": {"role": "nuisance", "feasible_points": [0.5, 0.9]}}}),
    Case("beta2-under-sgd", (f"{HP}.beta2: searched", "optimizer is 'sgd'"),
         {HP: {**SGD, "beta2": {"role": "nuisance", "feasible_points": [0.9, 0.99]}}}),
    Case("step-size-under-cosine", (f"{HP}.step_size: searched", "schedule is 'cosine'"),
         {HP: {"step_size": {"role": "nuisance", "min": 2, "max": 8, "type": "int"}}}),
    Case("target-categorical", ("dataset.categorical: 'load' is the target",),
         {"dataset": {"categorical": ["wind", "load"]}}),
    Case("target-feature", ("dataset.features: 'load' is the target",),
         {"dataset": {"features": ["lead", "load"]}}),
    Case("time-as-feature", ("dataset.features: 'timestamp' is also a time column",),
         {"dataset": {"features": ["lead", "timestamp"]}}),
    Case("feature-and-categorical", ("dataset.categorical: 'lead' is also in dataset.features",),
         {"dataset": {"categorical": ["lead"]}}),
    Case("hp-of-other-architecture", (f"{HP}.kernel_size: not a hyperparameter of architecture 'mlp'",),
         {HP: {"kernel_size": 3}}),
    Case("optimizer-unknown", (f"{HP}.optimizer.value: 'rmsprop' is not one of",), {HP: {"optimizer": "rmsprop"}}),
]


def _drop_none(study):
    hps = study.get("hyperparameters", {})
    for k in [k for k, v in hps.items() if v is None]:
        del hps[k]
    return study


@pytest.mark.parametrize("case", CASES, ids=str)
def test_refused(hostile, case):
    if case.id == "kernel-zero":  # a CNN study has no hidden_size: start from the tiny study without it
        from conftest import merge, tiny_study

        case.study, case.replace = _drop_none(merge(tiny_study(), case.study)), True
    hostile(case)
