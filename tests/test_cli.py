"""The `tunelab` command: validate and plan a study without running it."""

from conftest import tiny_study, write_study
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


def test_status_of_a_study_with_nothing_finished(workdir, monkeypatch, capsys):
    monkeypatch.chdir(workdir)
    assert main(["status", "nothing"]) == 0
    assert "0 runs finished" in capsys.readouterr().out
