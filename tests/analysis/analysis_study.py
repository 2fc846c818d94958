"""The tiny study that the end-to-end analysis tests share (test_analysis_e2e, test_report_browser):
2 periods x 4 trials (2 widths x 2 learning rates) x 2 seeds, 3 epochs; the baseline is one of the
grid's configurations (its runs are shared), confirmed with seeds 2 and 3. Run once per session."""

from __future__ import annotations

from pathlib import Path

from conftest import snakemake, study_dir, tiny_study

OUT = "results/tiny"
PLOTS = ["periods", "curves.all", "curves.best", "axis.learning_rate", "axis.hidden_size",
         "isolation.hidden_size"]
TARGETS = [f"{OUT}/report.md", f"{OUT}/summary.json", f"{OUT}/checklist.md", f"{OUT}/variance.csv",
           *[f"{OUT}/plots/{p}.png" for p in PLOTS], f"{OUT}/report.html"]


def run_study(workdir: Path):
    study = tiny_study(baseline={"hidden_size": 8, "learning_rate": 0.01}, confirm_seeds=2)
    study["hyperparameters"]["learning_rate"] = {"role": "nuisance", "feasible_points": [0.001, 0.01]}
    return study_dir(workdir, study), snakemake(workdir, *TARGETS)
