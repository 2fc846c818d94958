"""periods.csv says how many labels each window holds that a training job can use, and the
report's periods table shows them: a month of data can hold far fewer examples than its hours."""

import os

import pandas as pd
from conftest import study_dir, tiny_study
from tunelab.report.markdown import periods_section
from tunelab.workflow import write_plan_files


def test_each_window_counts_its_usable_labels_as_the_training_job_finds_them(tmp_path):
    work = study_dir(tmp_path, tiny_study())
    here = os.getcwd()
    os.chdir(work)
    try:
        write_plan_files("params/tiny.yaml", "2026-11", "periods.csv", "plan.csv")
    finally:
        os.chdir(here)
    periods = pd.read_csv(work / "periods.csv", keep_default_na=False, na_values=[""])
    assert (periods["train_usable"] > 0).all()
    # about 1 in 50 targets is missing (conftest), and each gap costs the labels whose inputs span it
    assert ((periods["train_share"] > 0.7) & (periods["train_share"] < 1.0)).all()
    text = "\n".join(periods_section(periods, {"periods": "plots/periods.png"}))
    first = periods.iloc[0]
    assert f"{first['train_usable']} ({first['train_share']:.0%})" in text
    assert "Usable labels: observed values with a gap-free input history" in text
