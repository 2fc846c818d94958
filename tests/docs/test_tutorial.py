"""The tutorial "Your first study on your own CSV" (docs/tutorials/your-csv.md), followed literally:
every shell block marked `<!-- tutorial: run -->` runs, in the page's order, in a fresh copy of the
repository's workflow (Snakefile, workflow/, profiles/, and empty params/ and data/); a text block
marked `<!-- tutorial: output -->` must appear in what the run block before it printed; the files
the page names after `<!-- tutorial: files ... -->` must exist; and, as the page says, a second run
of the study does nothing. A real Snakemake run of a small study: about a minute on 2 cores."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "tutorials" / "your-csv.md"
MARKED = re.compile(r"<!-- tutorial: (run|output) -->\n```\w*\n(.*?)```|<!-- tutorial: files (.*?) -->", re.S)


def steps(text: str) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """The run blocks in order, each with the outputs claimed for it; and the files the page names."""
    runs, files = [], []
    for match in MARKED.finditer(text):
        kind, body, named = match.groups()
        if named:
            files += named.split()
        elif kind == "run":
            runs.append((body, []))
        else:
            assert runs, "an output block before any run block"
            runs[-1][1].append(body)
    return runs, files


def test_the_page_marks_its_commands():
    runs, files = steps(PAGE.read_text())
    commands = "\n".join(body for body, _ in runs)
    assert "tunelab validate household" in commands and "snakemake --cores 2 --config study=household" in commands
    assert "results/household/report.md" in files


def fresh_checkout(where: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copy(ROOT / "Snakefile", where / "Snakefile")
    for folder in ("workflow", "profiles"):
        shutil.copytree(ROOT / folder, where / folder, ignore=ignore)
    (where / "params").mkdir()
    (where / "data").mkdir()
    return where


def run(block: str, cwd: Path) -> str:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{block}\nfailed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return proc.stdout


def test_the_tutorial_followed_literally_ends_in_a_finished_report(tmp_path):
    work = fresh_checkout(tmp_path)
    runs, files = steps(PAGE.read_text())
    for block, outputs in runs:
        printed = run(block, work)
        for expected in outputs:
            assert expected.strip() in printed, f"the page says\n{expected}\nbut\n{block}\nprinted\n{printed}"
    for name in files:
        assert (work / name).is_file() and (work / name).stat().st_size > 0, name
    summary = json.loads((work / "results/household/summary.json").read_text())
    assert summary, "summary.json is empty"
    # the page: "On this data the verdict is REJECT: a tiny MLP ... does not beat the simplest forecasts"
    assert "**Verdict: REJECT.** The candidate does not beat the simplest forecast" in \
        (work / "results/household/report.md").read_text()
    again = run("snakemake --cores 2 --config study=household -n", work)
    assert "Nothing to be done" in again, again[-2000:]
