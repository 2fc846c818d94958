"""The hostile-input harness: write a study file and its data into a fresh working directory, run
`tunelab validate` (in-process) or Snakemake on it, and check the refusal: exit code not 0, no
traceback, one short message that names the file and the key or column, nothing written."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from conftest import synthetic_frame, tiny_study

WATCHED = ("results", "data/prepared")


@dataclass
class Case:
    id: str
    expect: tuple[str, ...]  # substrings of the message: the key or column, the value, the fix
    study: Any = None  # dict of overrides merged into tiny_study(), a full dict, or the file's text
    data: Callable[[Path], None] | None = None  # writes the dataset (default: data/synth.csv)
    name: str = "tiny"  # study file name (params/<name>.yaml)
    replace: bool = False  # `study` is the whole study, not overrides
    extra: dict[str, Any] = field(default_factory=dict)  # other files: relative path -> text/dict

    def __str__(self) -> str:
        return self.id


def default_data(workdir: Path) -> None:
    synthetic_frame(months=6).to_csv(workdir / "data" / "synth.csv", index=False)


def setup_case(workdir: Path, case: Case) -> Path:
    """Write the case's files; return the study file's path."""
    from conftest import merge

    (workdir / "data").mkdir(exist_ok=True)
    (case.data or default_data)(workdir)
    path = workdir / "params" / f"{case.name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(case.study, str | bytes):
        path.write_bytes(case.study.encode() if isinstance(case.study, str) else case.study)
    else:
        study = case.study if case.replace else merge(tiny_study(), case.study or {})
        path.write_text(yaml.safe_dump(study, sort_keys=False))
    for rel, content in case.extra.items():
        target = workdir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False))
    return path


def snapshot(workdir: Path) -> dict[str, str]:
    """Every file under results/ and data/prepared/, with a hash of its bytes."""
    files = {}
    for top in WATCHED:
        root = workdir / top
        if root.exists():
            for f in sorted(root.rglob("*")):
                if f.is_file():
                    files[str(f.relative_to(workdir))] = hashlib.sha1(f.read_bytes()).hexdigest()
    return files


def assert_refused(message: str, case: Case, study_file: str) -> None:
    assert "Traceback" not in message, message
    for text in case.expect:
        assert text in message, f"{text!r} not in:\n{message}"
    lines = [line for line in message.strip().splitlines() if line.strip()]
    assert 1 <= len(lines) <= 3, f"not one clear line:\n{message}"
    assert study_file in message, f"the message names no file:\n{message}"


# --- datasets ------------------------------------------------------------------------------------

def frame(months: int = 6):
    return synthetic_frame(months=months)


def csv(edit: Callable | None = None, name: str = "synth.csv", months: int = 6, **kwargs):
    """A writer of the synthetic data, edited by `edit(frame) -> frame`, as CSV."""
    def write(workdir: Path) -> None:
        f = frame(months)
        if edit is not None:
            f = edit(f)
        f.to_csv(workdir / "data" / name, index=False, **kwargs)
    return write


def with_cell(col, row, value):
    """An edit of the good frame: `value` in column `col` of row `row`."""
    def edit(frame):
        frame = frame.astype({col: object})
        frame.loc[row, col] = value
        return frame
    return edit


def raw(content: bytes | str, name: str = "synth.csv"):
    """A writer of exactly these bytes."""
    def write(workdir: Path) -> None:
        data = content.encode() if isinstance(content, str) else content
        (workdir / "data" / name).write_bytes(data)
    return write


def text_rows(rows: list[str], header: str = "timestamp,load,lead,temp,wind") -> str:
    return "\n".join([header, *rows]) + "\n"


def hourly_rows(n: int = 24 * 200, start: str = "2020-01-01", fmt: str = "%Y-%m-%d %H:%M:%S") -> list[str]:
    """n hourly rows of plain data, times written with `fmt`."""
    import datetime as dt

    t0 = dt.datetime.fromisoformat(start)
    return [f"{(t0 + dt.timedelta(hours=i)).strftime(fmt)},{50 + i % 24},{i % 7},{i % 5},N" for i in range(n)]
