"""Is another Snakemake working in this directory? Never unlock under a live one.

Snakemake locks a working directory while it runs, and when it cannot take the lock its message
suggests `snakemake --unlock`. That is right after a crash or a `kill -9` (the lock outlives the
run) and wrong while another Snakemake still works there: both then run the same jobs and move
each other's files. At parse time (before Snakemake looks at its lock) the Snakefile asks `check`:
a run or an `--unlock` is refused while another Snakemake process has this directory as its
working directory; a dry run is only told. Processes are found in /proc, so this sees Snakemake
processes on this machine only (a second login node sharing the directory is not seen).
"""

from __future__ import annotations

import os
from pathlib import Path

LOCKS = Path(".snakemake") / "locks"


def snakemake_processes(directory: str | Path = ".") -> list[tuple[int, str]]:
    """(pid, command line) of the Snakemake processes working in `directory`, except this one and
    its ancestors (a job that re-reads the Snakefile runs under its own Snakemake)."""
    here = os.path.realpath(directory)
    mine = _ancestors(os.getpid())
    found = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) in mine:
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            if not _is_snakemake(argv) or os.path.realpath(entry / "cwd") != here:
                continue
        except OSError:
            continue
        found.append((int(entry.name), " ".join(a.decode(errors="replace") for a in argv if a)))
    return sorted(found)


def _is_snakemake(argv: list[bytes]) -> bool:
    """`snakemake ...` or `python -m snakemake ...`, not a job script under .snakemake/."""
    head = [a for a in argv[:3] if a]
    if not head:
        return False
    if os.path.basename(head[0]) == b"snakemake":
        return True
    return len(head) >= 2 and os.path.basename(head[1]) == b"snakemake" or \
        (len(head) >= 3 and head[1] == b"-m" and head[2] == b"snakemake")


def _ancestors(pid: int) -> set[int]:
    seen = {pid}
    while pid > 1:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            pid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
        seen.add(pid)
    return seen


def is_dry_run(argv: list[str]) -> bool:
    for arg in argv[1:]:
        if arg in ("-n", "--dry-run", "--dryrun"):
            return True
        if arg.startswith("-") and not arg.startswith("--") and arg[1:].isalpha() and "n" in arg[1:]:
            return True  # combined short flags, e.g. -pn
    return False


def check(argv: list[str]) -> tuple[str | None, str | None]:
    """(refusal, note) for a Snakemake starting with `argv` in the current directory."""
    others = snakemake_processes()
    if others:
        pid, command = others[0]
        who = f"another Snakemake (pid {pid}: {command}) is running in this directory"
        if is_dry_run(argv):
            return None, f"{who}; this dry run shows a state that is changing"
        return (f"{who}. Wait for it to finish, or stop it (kill {pid}). Do not run `snakemake "
                "--unlock` while it lives: both runs would train the same jobs and move each "
                "other's files; --unlock is only for a lock left by a run that no longer exists."), None
    if LOCKS.is_dir() and any(LOCKS.iterdir()) and "--unlock" not in argv and not is_dry_run(argv):
        return None, (f"a lock is left in {LOCKS} and no other Snakemake runs in this directory on "
                      "this machine (a crash or kill -9): if Snakemake says the directory cannot be "
                      "locked, `snakemake --unlock` is safe now, then run again")
    return None, None
