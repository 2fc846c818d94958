"""The `tunelab` command: validate and plan a study without running it."""

from conftest import adaptive_tiny, tiny_study, write_study
from tunelab.cli import main


def test_validate_says_what_is_searched(workdir, monkeypatch, capsys):
    monkeypatch.chdir(workdir)
    write_study(workdir, "tiny", tiny_study())
    assert main(["validate", "tiny"]) == 0
    assert "valid; mlp, searched: learning_rate (nuisance), hidden_size (scientific)" in capsys.readouterr().out


def test_validate_rejects_a_bad_file_naming_the_key(workdir, monkeypatch, capsys):
    monkeypatch.chdir(workdir)
    write_study(workdir, "bad", tiny_study(seeds=0))
    assert main(["validate", "bad"]) == 1
    assert "seeds: 0" in capsys.readouterr().err


def test_plan_lists_this_months_periods(workdir, monkeypatch, capsys):
    monkeypatch.chdir(workdir)
    write_study(workdir, "tiny", tiny_study())
    assert main(["plan", "tiny", "--month", "2026-11"]) == 0
    out = capsys.readouterr().out
    assert "month 2026-11: 2 periods x 2 trials x 2 seeds = 8 runs in 4 jobs" in out
    assert out.count("train 2020-") == 2


def test_plan_says_how_many_jobs_train_when_trials_of_one_shape_are_grouped(workdir, monkeypatch, capsys):
    monkeypatch.chdir(workdir)
    study = adaptive_tiny()
    study["search"] = {"algorithm": "quasi_random", "budget": 5, "mode": "joint"}  # one shape: 5 trials
    write_study(workdir, "grouped", {**study, "trials_per_job": 2})
    assert main(["plan", "grouped", "--month", "2026-11"]) == 0
    out = capsys.readouterr().out  # 1 period x 1 block: groups of 2, 2 and the fifth trial alone
    assert "= 10 runs in 5 jobs; 3 of them train (trials_per_job 2:" in out and "retrains its group" in out
    write_study(workdir, "alone", {**study, "trials_per_job": 1})
    assert main(["plan", "alone", "--month", "2026-11"]) == 0
    assert "= 10 runs in 5 jobs\n" in capsys.readouterr().out


def test_plan_of_a_study_with_rungs_counts_rung_jobs_per_scientific_value(workdir, monkeypatch, capsys):
    """Rung jobs train one trial each (trials_per_job does not apply), and each hidden_size value
    takes a third of its own three trials on: 6 trials to 1 epoch, 2 to 3, 2 to 9."""
    monkeypatch.chdir(workdir)
    study = tiny_study(search={"fidelity": {"min_epochs": 1, "eta": 3}}, trials_per_job=4, confirm_seeds=0)
    study["hyperparameters"].update(epochs=9, learning_rate={"role": "nuisance",
                                                             "feasible_points": [0.001, 0.003, 0.01]})
    write_study(workdir, "rungs", study)
    assert main(["plan", "rungs", "--month", "2026-11"]) == 0
    out = capsys.readouterr().out
    assert ("2 periods x 6 trials x 2 seeds = 24 runs, trained in successive-halving rungs (eta 3; each "
            "scientific value's trials are promoted among themselves): at most 6 trials to 1 epoch, "
            "2 to 3 and 2 to 9, in 20 jobs of one trial each, 41% of the epochs") in out
    assert "trials_per_job" not in out and "confirmation: up to 1 trial x 2 periods" in out
    assert "in all: up to 28 runs in 22 jobs" in out  # the baseline's 2 confirmation jobs besides


def test_status_of_a_study_with_nothing_finished(workdir, monkeypatch, capsys):
    monkeypatch.chdir(workdir)
    assert main(["status", "nothing"]) == 0
    assert "0 runs finished" in capsys.readouterr().out


def _finished_block(workdir, study, period, trial, runs, group="hidden_size=8"):
    """A training job's metrics.json as the train rule writes it (runs: seed -> (mse, mae))."""
    import json

    block = workdir / "results" / study / "runs" / period / trial / "s0-1" / "metrics.json"
    block.parent.mkdir(parents=True, exist_ok=True)
    block.write_text(json.dumps({
        "study": study, "period": period, "trial": trial, "group": group,
        "hyperparameters": {"hidden_size": 8, "learning_rate": 0.003},
        "runs": [{"seed": s, "status": "ok", "reason": "", "valid_mse": mse, "valid_mae": mae,
                  "best_epoch": 3, "epochs_run": 3, "train_time": 1.0, "train_examples": 10,
                  "valid_examples": 5} for s, (mse, mae) in runs.items()]}))


def _mae_study(workdir):
    """Two trials on two periods, 2 seeds each: t...a is best by MSE, t...b best by MAE."""
    write_study(workdir, "maes", tiny_study(objective="valid_mae"))
    for period in ("v2020-03", "v2020-04"):
        _finished_block(workdir, "maes", period, "t0000000a", {0: (0.10, 9.0), 1: (0.12, 9.2)})
        _finished_block(workdir, "maes", period, "t0000000b", {0: (0.20, 5.0), 1: (0.22, 5.2)})


def test_status_ranks_by_the_studys_objective_and_names_it(workdir, monkeypatch, capsys):
    monkeypatch.chdir(workdir)
    _mae_study(workdir)
    assert main(["status", "maes"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if "trial" in line and "group" in line)
    assert "valid_mae" in header  # the metric is named, not a bare "objective_mean"
    assert out.index("t0000000b") < out.index("t0000000a")  # ranked by MAE, not by MSE
    assert "5.1" in out and "0.21" not in out  # MAE values (target units), not scaled MSE


def test_status_seeds_column_counts_seeds_not_runs(workdir, monkeypatch, capsys):
    monkeypatch.chdir(workdir)
    _mae_study(workdir)
    assert main(["status", "maes"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(line for line in lines if "trial" in line and "group" in line).split()
    row = next(line for line in lines if "t0000000b" in line).split()
    offset = len(row) - len(header)  # the index column has no header
    assert row[header.index("seeds") + offset] == "2"  # 2 seeds, on each of 2 periods (4 runs)
    assert row[header.index("runs") + offset] == "4"


def test_status_piped_into_head_ends_quietly(workdir):
    """`tunelab status x | head`: the reader goes away; no BrokenPipeError traceback."""
    import os
    import subprocess
    import sys

    _mae_study(workdir)
    read, write = os.pipe()
    os.close(read)  # the reader has already gone (as head does after its lines)
    proc = subprocess.run([sys.executable, "-m", "tunelab.cli", "status", "maes"], cwd=workdir,
                          stdout=write, stderr=subprocess.PIPE, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", "")})
    os.close(write)
    assert "Traceback" not in proc.stderr and "BrokenPipeError" not in proc.stderr, proc.stderr


def test_plan_counts_the_confirmation_runs_too(workdir, monkeypatch, capsys):
    """The baseline and the best trial of each scientific value are retrained with confirm_seeds
    fresh seeds on every period: those runs are part of what a run of the study trains."""
    monkeypatch.chdir(workdir)
    write_study(workdir, "tiny", tiny_study(confirm_seeds=3))
    assert main(["plan", "tiny", "--month", "2026-11"]) == 0
    out = capsys.readouterr().out
    # baseline + the best of hidden_size 8 and 16 = 3 trials x 2 periods x 3 seeds, in blocks s2-3, s4
    assert "confirmation: up to 3 trials x 2 periods x 3 seeds = 18 runs in 12 jobs" in out
    assert "in all: up to 26 runs in 16 jobs" in out


def test_plan_without_confirmation_seeds_counts_the_baselines_runs(workdir, monkeypatch, capsys):
    monkeypatch.chdir(workdir)
    write_study(workdir, "tiny", tiny_study(confirm_seeds=0))
    assert main(["plan", "tiny", "--month", "2026-11"]) == 0
    out = capsys.readouterr().out  # the baseline (hidden_size 64 is not drawn) on the study's seeds
    assert "confirmation: up to 1 trial x 2 periods x 2 seeds = 4 runs in 2 jobs" in out
    assert "in all: up to 12 runs in 6 jobs" in out


def test_plan_counts_the_adaptive_rounds(workdir, monkeypatch, capsys):
    """An adaptive phase trains rounds x batch trials per group on every period and seed: they are
    part of what the study trains, and `in all` counts them."""
    from conftest import adaptive_tiny

    monkeypatch.chdir(workdir)
    write_study(workdir, "tiny", adaptive_tiny())  # 3 exploration trials, then 2 rounds of 2
    assert main(["plan", "tiny", "--month", "2026-11"]) == 0
    out = capsys.readouterr().out
    assert "1 periods x 3 trials x 2 seeds = 6 runs in 3 jobs" in out
    assert ("adaptive phase (bayesian): 2 rounds x 2 trials x 1 group(s) = 4 trials x 1 periods x 2 seeds "
            "= 8 runs") in out
    assert "in all: up to 16 runs in 8 jobs" in out


def test_retrain_of_a_grouped_trial_deletes_its_job_groups_blocks_too(tmp_path):
    """A trial trained by its job group (trials_per_job) retrains only if the group's block goes
    too: otherwise its own job would link the group's old files again."""
    from tunelab.cli import _run_folders

    runs = tmp_path / "results" / "tiny" / "runs"
    for path in ("v2026-01/t00000001/s0-1", "v2026-01/t00000002/s0-1", "v2026-01/groups/g0000000a/s0-1/t00000001",
                 "v2026-01/groups/g0000000a/s0-1/t00000002", "v2026-01/groups/g0000000b/s0-1/t00000003"):
        (runs / path).mkdir(parents=True)
    folders = _run_folders(runs, None, ["t00000001"])
    names = [str(f.relative_to(runs)) for f in folders]
    assert names == ["v2026-01/t00000001", "v2026-01/groups/g0000000a/s0-1"]


def test_plan_says_what_is_trained_already_and_that_the_baselines_confirmation_is_not(
        workdir, monkeypatch, capsys):
    """`snakemake -n` cannot list the confirmation jobs (planned after the search, a checkpoint):
    after a baseline change, `tunelab plan` is where a user sees that they will train."""
    import json

    from tunelab.workflow import confirm_files, load_studies, metrics_files

    monkeypatch.chdir(workdir)
    write_study(workdir, "tiny", tiny_study())
    assert main(["plan", "tiny", "--month", "2026-11"]) == 0
    assert "trained already" not in capsys.readouterr().out  # nothing run yet
    sp = load_studies({"study": "tiny", "month": "2026-11"})["tiny"]
    base = sp.plan.baseline_trial.id
    for f in metrics_files(sp)[:3] + confirm_files(sp, [base])[:1]:
        (workdir / f).parent.mkdir(parents=True, exist_ok=True)
        (workdir / f).write_text("{}")
    (workdir / "results/tiny/candidates.json").write_text(json.dumps(
        {"per_group": [{"trial": base}, {"trial": sp.plan.trials[0].id}]}))
    assert main(["plan", "tiny", "--month", "2026-11"]) == 0
    out = capsys.readouterr().out
    n_confirm = len(confirm_files(sp, [base]))
    assert f"trained already: 3 of {len(metrics_files(sp))} search jobs" in out
    assert f"the baseline {base}'s confirmation: 1 of {n_confirm} jobs" in out
    assert f"the last candidates' confirmation: 0 of {n_confirm} jobs" in out


def test_snakemake_is_told_when_the_baselines_confirmation_will_train_unlisted(workdir, monkeypatch):
    """The note Snakemake prints at parse time after a baseline change (tunelab.workflow)."""
    from tunelab.workflow import confirm_files, confirmation_note, load_studies

    monkeypatch.chdir(workdir)
    write_study(workdir, "tiny", tiny_study())
    sp = load_studies({"study": "tiny", "month": "2026-11"})["tiny"]
    assert confirmation_note(sp) is None  # no search finished yet
    (workdir / "results/tiny").mkdir(parents=True)
    (workdir / "results/tiny/candidates.json").write_text("{}")
    note = confirmation_note(sp)
    files = confirm_files(sp, [sp.plan.baseline_trial.id])
    assert f"{len(files)} of the {len(files)} confirmation jobs of the baseline" in note
    for f in files:
        (workdir / f).parent.mkdir(parents=True, exist_ok=True)
        (workdir / f).write_text("{}")
    assert confirmation_note(sp) is None
