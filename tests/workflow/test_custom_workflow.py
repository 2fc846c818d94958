"""A real Snakemake run of a study whose model is the user's own (architecture: custom): it trains,
reports, reruns nothing, and a changed hyperparameter of the user's retrains exactly its trials."""

import json

import pytest
from conftest import job_counts, snakemake, tiny_study, write_study

pytestmark = pytest.mark.e2e

FACTORY = '''
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, lags, inputs, width, scale):
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(lags * inputs, width), nn.Tanh(), nn.Linear(width, 1))
        self.scale = scale

    def forward(self, x):
        return self.scale * self.body(x).squeeze(-1)


def build(lags, inputs, width=8, scale=1.0):
    return Net(lags, inputs, width, scale)
'''


def custom_study(scale=1.0):
    study = tiny_study(architecture="custom", model={"factory": "my_models.net:build"},
                       baseline={"width": 8})
    study["hyperparameters"] = {"width": {"role": "scientific", "feasible_points": [4, 8]},
                                "scale": scale, "learning_rate": 0.003, "epochs": 2, "batch_size": 64}
    return study


def test_a_custom_model_study_runs_reports_and_reruns_only_what_changed(workdir):
    (workdir / "my_models").mkdir()
    (workdir / "my_models" / "net.py").write_text(FACTORY)
    write_study(workdir, "tiny", custom_study())
    snakemake(workdir)
    runs = (workdir / "results/tiny/runs.csv").read_text().splitlines()
    assert len(runs) > 1 and all(",ok," in line for line in runs[1:])
    metrics = next((workdir / "results/tiny/runs").rglob("metrics.json"))
    assert json.loads(metrics.read_text())["model"] == {"factory": "my_models.net:build"}
    assert "## Decision" in (workdir / "results/tiny/report.md").read_text()
    rerun = snakemake(workdir, "-n")
    assert "Nothing to be done" in rerun.stdout + rerun.stderr

    # As for tunelab's own code: editing the factory's code does not silently retrain (docs/how-to/own-model.md).
    (workdir / "my_models" / "net.py").write_text(FACTORY + "\n# a comment, then a refactor\n")
    edited = snakemake(workdir, "-n")
    assert "Nothing to be done" in edited.stdout + edited.stderr

    write_study(workdir, "tiny", custom_study(scale=0.5))  # a fixed value of the user's: every trial
    dry = snakemake(workdir, "-n")
    assert job_counts(dry.stdout + dry.stderr).get("train", 0) > 0
