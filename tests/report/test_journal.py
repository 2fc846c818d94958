"""The Optuna journal (tunelab.report.journal) and the convergence plot's data."""

import math

import numpy as np
import pandas as pd
import pytest
from tunelab.analysis.convergence import _get_convergence_info, convergence_file
from tunelab.analysis.study_context import make_context
from tunelab.report.journal import write_journal

SPACE = {
    "learning_rate": {"role": "nuisance", "kind": "continuous", "low": 1.0e-4, "high": 1.0,
                      "scaling": "log", "points": []},
    "optimizer": {"role": "nuisance", "kind": "categorical", "low": None, "high": None,
                  "scaling": "linear", "points": ["sgd", "adam"]},
    "momentum": {"role": "nuisance", "kind": "continuous", "low": 0.5, "high": 0.99,
                 "scaling": "linear", "points": []},
    "hidden_size": {"role": "nuisance", "kind": "integer", "low": 8, "high": 64,
                    "scaling": "log", "points": []},
}


def trials_table() -> pd.DataFrame:
    rows = [  # trial, phase, round, objective, lr, optimizer, momentum, hidden
        ("ta", "exploration", 0, 0.5, 1.0e-3, "sgd", 0.9, 16),
        ("tb", "exploration", 0, math.nan, 0.8, "adam", math.nan, 32),  # diverged
        ("tc", "adaptive", 1, 0.3, 3.0e-3, "adam", math.nan, 8),
        ("td", "adaptive", 2, 0.4, 2.0e-3, "sgd", 0.95, 64),
    ]
    out = []
    for t, phase, k, obj, lr, opt, mom, hid in rows:
        base = {"trial": t, "group": "", "phase": phase, "round": k, "seeds": 4,
                "feasible": 0 if math.isnan(obj) else 4, "objective_mean": obj, "objective_std": 0.02,
                "period_std": 0.01, "learning_rate": lr, "optimizer": opt, "momentum": mom, "hidden_size": hid}
        out += [{**base, "period": "v1"}, {**base, "period": "all"}]
    return pd.DataFrame(out)


def test_journal_holds_every_trial_with_infeasible_ones_as_constraint_violations(tmp_path):
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    trials_table().to_csv(tmp_path / "trials.csv", index=False)
    path = tmp_path / "optuna.journal"
    write_journal(str(tmp_path / "trials.csv"), make_context(study="s", space=SPACE), str(path))
    study = optuna.load_study(study_name="s", storage=JournalStorage(JournalFileBackend(str(path))))
    by_id = {t.user_attrs["trial"]: t for t in study.trials}
    assert list(by_id) == ["ta", "tb", "tc", "td"]  # the order the search drew them
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    assert by_id["tb"].system_attrs["constraints"] == [1.0] and by_id["tb"].user_attrs["feasible"] is False
    assert by_id["tb"].value == 0.5  # placeholder: the worst feasible value
    assert by_id["ta"].system_attrs["constraints"] == [0.0]
    assert "momentum" not in by_id["tc"].params and by_id["td"].params["momentum"] == 0.95
    assert by_id["td"].params["hidden_size"] == 64 and isinstance(by_id["td"].params["hidden_size"], int)
    assert by_id["tc"].user_attrs["phase"] == "adaptive" and by_id["tc"].user_attrs["retrain_std"] == 0.02
    assert study.best_trial.user_attrs["trial"] == "tc"  # feasible-first: Optuna reads the constraints


def test_convergence_is_the_best_so_far_in_drawing_order(tmp_path):
    info = _get_convergence_info(trials_table(), make_context())
    assert info["trials"] == ["ta", "tb", "tc", "td"]
    assert info["best"].tolist() == [0.5, 0.5, 0.3, 0.3]
    assert info["adaptive"].tolist() == [False, False, True, True]
    assert info["starts"] == {0: 0, 1: 2, 2: 3}
    assert np.allclose(info["band"], 0.02)
    trials_table().to_csv(tmp_path / "trials.csv", index=False)
    convergence_file(str(tmp_path / "trials.csv"), make_context(), str(tmp_path / "c.png"))
    assert (tmp_path / "c.png").stat().st_size > 1000


def test_convergence_of_a_study_where_nothing_is_feasible_yet(tmp_path):
    trials_table().assign(objective_mean=math.nan).to_csv(tmp_path / "trials.csv", index=False)
    info = convergence_file(str(tmp_path / "trials.csv"), make_context(), str(tmp_path / "c.png"))
    assert np.isinf(info["best"]).all() and (tmp_path / "c.png").exists()


def test_the_journal_marks_the_decision_its_roles_and_draws_learning_curves(tmp_path):
    """The dashboard's best trial is not always the one adopted: the study carries the verdict,
    the baseline and the candidate are marked with their confirmed means, each trial has its
    per-period values and its validation curve (intermediate values)."""
    import json

    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    trials_table().to_csv(tmp_path / "trials.csv", index=False)
    decision = {"verdict": "REJECT", "headline": "The candidate tc is worse than the baseline.",
                "baseline": {"trial": "ta"}, "candidate": {"trial": "tc"},
                "periods": [{"period": "v1", "baseline_mean": 0.41, "candidate_mean": 0.44}]}
    (tmp_path / "decision.json").write_text(json.dumps(decision))
    pd.DataFrame([{"period": "v1", "trial": "tc", "seed": s, "epoch": e, "valid_loss": 1.0 / e + s}
                  for s in (0, 1) for e in (1, 2, 3)]).to_parquet(tmp_path / "curves.parquet")
    path = tmp_path / "optuna.journal"
    write_journal(str(tmp_path / "trials.csv"), make_context(study="s", space=SPACE), str(path),
                  str(tmp_path / "decision.json"), str(tmp_path / "curves.parquet"))
    study = optuna.load_study(study_name="s", storage=JournalStorage(JournalFileBackend(str(path))))
    assert study.user_attrs["decision"].startswith("REJECT: The candidate tc")
    by_id = {t.user_attrs["trial"]: t for t in study.trials}
    assert by_id["tc"].user_attrs["role"] == "candidate: REJECT"
    assert by_id["ta"].user_attrs["role"].startswith("baseline")
    assert by_id["tc"].user_attrs["confirmed v1"] == 0.44 and by_id["ta"].user_attrs["confirmed v1"] == 0.41
    assert "period v1" in by_id["td"].user_attrs
    assert by_id["tc"].intermediate_values == {1: 1.5, 2: 1.0, 3: pytest.approx(0.5 + 1 / 3)}


def test_the_same_trials_write_the_same_journal_byte_for_byte(tmp_path):
    """No random worker id and no clock in the file: a laptop, SLURM and CI write the same journal."""
    import time

    trials_table().to_csv(tmp_path / "trials.csv", index=False)
    ctx = make_context(study="s", space=SPACE, month="2026-11")
    write_journal(str(tmp_path / "trials.csv"), ctx, str(tmp_path / "a.journal"))
    time.sleep(0.01)
    write_journal(str(tmp_path / "trials.csv"), ctx, str(tmp_path / "b.journal"))
    first = (tmp_path / "a.journal").read_bytes()
    assert first == (tmp_path / "b.journal").read_bytes()
    assert b'"worker_id":"tunelab"' in first and b"2026-11-01T00:00:00" in first
