"""The `hostile` fixture (see hostile.py)."""

import pytest
from hostile import Case, assert_refused, setup_case, snapshot


@pytest.fixture
def hostile(tmp_path, monkeypatch, capsys):
    """validate(case): run `tunelab validate` in-process on the case, assert the refusal."""
    from tunelab.cli import main

    monkeypatch.setenv("TUNELAB_CACHE", str(tmp_path / "cache"))

    def validate(case: Case) -> str:
        workdir = tmp_path / "work"
        workdir.mkdir(exist_ok=True)
        path = setup_case(workdir, case)
        before = snapshot(workdir)
        monkeypatch.chdir(workdir)
        rc = main(["validate", case.name if case.name.isidentifier() else str(path.relative_to(workdir))])
        out = capsys.readouterr()
        assert rc != 0, f"accepted: {out.out}{out.err}"
        assert snapshot(workdir) == before == {}
        assert_refused(out.err, case, f"params/{case.name}.yaml")
        return out.err

    return validate
