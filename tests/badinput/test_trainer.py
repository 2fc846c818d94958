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
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_refused(hostile, case):
    hostile(case)
