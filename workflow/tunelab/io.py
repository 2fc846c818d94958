"""Atomic writes: a killed job leaves a temporary file behind, never a half-written output."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside `path`; rename it onto `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text)


def write_json(path: str | Path, obj) -> None:
    write_text(path, json.dumps(obj, indent=1, sort_keys=False, allow_nan=True) + "\n")


def write_csv(path: str | Path, rows: list[dict], columns: list[str]) -> None:
    """A CSV from dicts without pandas (the training path stays light)."""
    import csv

    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


@contextlib.contextmanager
def log_to(path: str | Path | None):
    """Send print() and warnings of a rule's script to its log file."""
    if path is None:
        yield
        return
    import sys

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh, contextlib.redirect_stdout(fh), contextlib.redirect_stderr(fh):
        try:
            yield
        except BaseException:
            import traceback

            traceback.print_exc(file=fh)
            fh.flush()
            sys.__stderr__.write(f"tunelab: failed, see {path}\n")
            raise


_PARSED: dict[str, tuple[tuple[int, int], object]] = {}


def read_cached(path: str | Path, parse):
    """`parse(open file)` of `path`, cached by (mtime, size): the DAG's many input-function calls
    (Snakefile parse time) read each round or promotion file once, and again when it changes."""
    import os

    st = os.stat(path)
    key = (st.st_mtime_ns, st.st_size)
    hit = _PARSED.get(str(path))
    if hit and hit[0] == key:
        return hit[1]
    with open(path, newline="") as fh:
        value = parse(fh)
    _PARSED[str(path)] = (key, value)
    return value


def optional_input(value) -> str | None:
    """A rule's input that may be absent: a path, a one-path list, an empty list or None -> the
    path or None (a rule lists [] where its check does not apply to the study)."""
    if value is None or isinstance(value, str | Path):
        return str(value) if value else None
    return str(value[0]) if len(value) else None


def end_job(code: int = 0) -> None:
    """End a finished job's process now, skipping the interpreter's teardown.

    Tearing down a process that imported torch, BoTorch and sympy takes 0.3-0.5 s (a suggest round:
    3.0 s with it, 2.6 s without; `benchmarks/adaptive_suite.py time`), and a finished job needs
    none of it: its outputs were renamed into place by `atomic_path` and closed, its log closed by
    `log_to`. The exit handlers still run (logging's flush and any a user's module registered). A
    process with a Python thread still at work exits the ordinary way, which waits for it, and so
    does one being profiled or traced (`python -m cProfile`, coverage, a debugger), which writes its
    results on the way out. Call it last, after the job's work succeeded: a job that raised never
    gets here, so it still ends with its traceback and a non-zero status."""
    import atexit
    import sys
    import threading

    if threading.active_count() > 1 or sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
