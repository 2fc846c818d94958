"""Hostile studies of the user's own model: a factory that does not exist, a `model` key with a
built-in architecture, a hyperparameter only a custom model could take given to a built-in one, a
searched hyperparameter of the user's with no baseline value. Each is refused by `tunelab validate`
with one line naming the file and the key, before anything is written (and without importing the
user's code: see tunelab.study.factory)."""

import pytest
from hostile import Case

HP = "hyperparameters"
FACTORY = ("import torch\n\ndef build(lags, inputs, bidirectional=False):\n"
           "    return torch.nn.Linear(lags * inputs, 1)\n")
CUSTOM = {"architecture": "custom", "model": {"factory": "my_models.gru:build"},
          HP: {"hidden_size": 8, "bidirectional": {"role": "scientific", "feasible_points": [False, True]}},
          "baseline": {"bidirectional": False}}
FILES = {"my_models/gru.py": FACTORY}


def custom(**changes):
    return {**CUSTOM, **changes}


TRAIN_PY = "from tunelab.train.job import Job\n\njob = Job.from_env()\n"
COMMAND = {"architecture": "command", "trainer": {"command": "python train.py"},
           HP: {"num_leaves": {"role": "scientific", "feasible_points": [15, 63]}, "epochs": 5},
           "baseline": {"num_leaves": 31}}
SCRIPT = {"train.py": TRAIN_PY}


def command(**changes):
    return {**COMMAND, **changes}


def spanned(span=("2020-01-01", "2020-06-01"), **changes):
    """A whole study whose dataset is a span (no file for tunelab to read)."""
    from conftest import merge, tiny_study

    study = merge(tiny_study(), changes)
    study["dataset"] = {"name": "own", "span": list(span)}
    if "trainer" in study:
        study.pop("architecture", None)
    return study


CASES = [
    Case("custom-without-factory", ("model.factory", "architecture is 'custom'", "module:function"),
         {"architecture": "custom"}),
    Case("model-with-builtin", ("model: given with architecture 'mlp'", "architecture: custom"),
         {"model": {"factory": "my_models.gru:build"}}, extra=FILES),
    Case("factory-module-missing", ("model.factory", "'my_models.gru'", "not in the working directory"),
         custom(), extra={}),
    Case("factory-function-missing", ("model.factory", "defines no top-level 'make'"),
         custom(model={"factory": "my_models.gru:make"}), extra=FILES),
    Case("factory-not-module-function", ("model.factory", "my_models.gru"),
         custom(model={"factory": "my_models.gru"}), extra=FILES),
    Case("factory-syntax-error", ("model.factory", "cannot be read as Python"),
         custom(), extra={"my_models/gru.py": "def build(:\n"}),
    Case("user-name-on-builtin", (f"{HP}.bidirectional", "not a hyperparameter of architecture 'mlp'",
                                  "architecture: custom"),
         {HP: {"bidirectional": {"role": "nuisance", "feasible_points": [False, True]}}}),
    Case("searched-user-name-no-baseline", ("baseline.bidirectional", "no built-in value"),
         custom(baseline={}), extra=FILES),
    # Any training command (trainer.command): checked without running it.
    Case("command-script-missing", ("trainer.command", "script 'train.py' is not a file"), command()),
    Case("command-program-missing", ("trainer.command", "program 'lgbm-train' is not on PATH"),
         command(trainer={"command": "lgbm-train --config x"})),
    Case("command-module-missing", ("trainer.command", "module 'my_pkg.train' is not in"),
         command(trainer={"command": "python -m my_pkg.train"})),
    Case("command-unbalanced-quote", ("trainer.command", "not a shell command"),
         command(trainer={"command": "python 'train.py"}), extra=SCRIPT),
    Case("command-with-builtin-architecture", ("architecture: 'mlp' with trainer.command",),
         {**command(), "architecture": "mlp"}, extra=SCRIPT),
    Case("command-architecture-without-trainer", ("architecture: 'command' needs trainer.command",),
         {"architecture": "command"}, extra=SCRIPT),
    Case("command-trials-per-job", ("trials_per_job: 2 with trainer.command",),
         command(trials_per_job=2), extra=SCRIPT),
    Case("span-with-path", ("dataset.span: given with dataset.path", "not both"),
         {**command(), "dataset": {"span": ["2020-01-01", "2020-06-01"]}}, extra=SCRIPT),
    Case("span-without-command", ("dataset.span: only a training command", "dataset.path"),
         spanned(), replace=True),
    Case("span-backwards", ("dataset.span: 2020-06-01 is not before 2020-01-01",),
         spanned(["2020-06-01", "2020-01-01"], **command()), replace=True, extra=SCRIPT),
    Case("command-resume-not-boolean", ("trainer.resume",), command(trainer={"command": "python train.py",
                                                                              "resume": "yes"}), extra=SCRIPT),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_refused(hostile, case):
    hostile(case)
