"""The rules' glue in tunelab.workflow, without Snakemake: which adaptive rounds, collected parts and
plots a study has (the paths the input functions of workflow/rules/*.smk list)."""

import datetime as dt

from conftest import adaptive_tiny, tiny_study
from tunelab.search.plan import make_plan
from tunelab.study import study_from_dict
from tunelab.workflow import StudyPlan, axis_names, collected, isolation_names, study_rounds

SPAN = (dt.datetime(2026, 1, 1), dt.datetime(2026, 6, 1))


def planned(study: dict, name: str = "tiny") -> StudyPlan:
    s = study_from_dict(study, name=name)
    return StudyPlan(s, make_plan(s, *SPAN, "2026-11"))


def test_rounds_in_order_per_group_and_up_to_a_round():
    sp = planned(adaptive_tiny())  # joint: one group "all", 2 rounds
    assert study_rounds(sp) == [("all", 1), ("all", 2)]
    assert study_rounds(sp, "all", 1) == [("all", 1)]
    assert study_rounds(sp, "all", 0) == []  # round 1 learns from the exploration alone
    assert study_rounds(planned(tiny_study())) == []  # no adaptive phase


def test_collected_parts_are_the_exploration_and_each_round():
    assert collected("tiny") == "results/tiny/collected/exploration.blocks.jsonl"
    assert collected("tiny", ("all", 2), "curves.parquet") == "results/tiny/collected/all/round2.curves.parquet"


def test_one_axis_plot_per_searched_hyperparameter_and_isolation_for_the_scientific_ones():
    sp = planned(tiny_study())  # hidden_size scientific, learning_rate nuisance (one point)
    assert axis_names(sp) == ["learning_rate", "hidden_size"] and isolation_names(sp) == ["hidden_size"]
    adaptive = planned(adaptive_tiny())  # learning_rate nuisance only: no isolation plot
    assert axis_names(adaptive) == ["learning_rate"] and isolation_names(adaptive) == []
