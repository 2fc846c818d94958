"""`tunelab status` shows the simple baselines under the leaderboard; `tunelab plan --fast`."""

import pandas as pd
from sanity_data import study_dict, synth_dir_fixture, write_study  # noqa: F401 (a fixture)
from tunelab.cli import main


def test_status_shows_the_simple_baselines(tmp_path, capsys):
    study_dir = tmp_path / "results" / "s"
    study_dir.mkdir(parents=True)
    pd.DataFrame({"study": "s", "baseline": ["persistence", "training_mean", "linear"], "period": "all",
                  "valid_mse": [0.4, 1.0, 0.05], "valid_mae": [7.5, 13.0, 2.6]}).to_csv(
        study_dir / "baselines.csv", index=False)
    assert main(["status", "s", "--results", str(tmp_path / "results")]) == 0
    out = capsys.readouterr().out
    assert "simple baselines (valid_mse" in out and "persistence: 0.4" in out and "linear: 0.05" in out
    main(["status", "s", "--results", str(tmp_path / "results"), "--objective", "valid_mae"])
    assert "training mean: 13" in capsys.readouterr().out


def test_plan_fast(synth_dir, monkeypatch, capsys):
    monkeypatch.chdir(synth_dir)
    write_study(synth_dir, "tiny", study_dict())
    assert main(["plan", "tiny", "--fast"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("study tiny-fast, month 2026-11: 1 periods x")
