"""Every command the docs and the README show names something that exists: a `tunelab`
subcommand, a `python -m` module, a benchmark script, a study under params/ (issue 23). A page
that outlives a rename fails here, not in a reader's terminal."""

import importlib.util
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = sorted([*(REPO / "docs").rglob("*.md"), REPO / "README.md"])
CODE = re.compile(r"```[a-z]*\n(.*?)```|`([^`\n]+)`", re.S)
# Studies a page asks the reader to write first (the tutorials), not shipped under params/.
WRITTEN_BY_THE_READER = {"my_study", "household", "a", "b", "mine"}


def code_of(page: Path) -> list[str]:
    """The lines of the page's code, comments cut off: fenced blocks and inline spans."""
    text = page.read_text()
    return [line.split(" #")[0].strip() for block, span in CODE.findall(text)
            for line in (block or span).splitlines()]


def commands(pattern: str) -> list[tuple[str, str]]:
    found = re.compile(pattern)
    return sorted({(page.relative_to(REPO).as_posix(), m.group(1)) for page in PAGES
                   for line in code_of(page) for m in found.finditer(line)})


def subcommands() -> set[str]:
    from tunelab.cli import make_parser

    parser = make_parser()
    return set(next(a for a in parser._actions if a.dest == "command").choices)


@pytest.mark.parametrize(("page", "name"), commands(r"(?:^|\s)tunelab ([a-z][a-z-]+)"))
def test_tunelab_subcommands_exist(page, name):
    assert name in subcommands(), f"{page} shows `tunelab {name}`, which is not a subcommand"


@pytest.mark.parametrize(("page", "module"), commands(r"python -m ([a-z_][a-z_.]*)"))
def test_modules_exist(page, module):
    assert importlib.util.find_spec(module) is not None, f"{page} runs `python -m {module}`"


@pytest.mark.parametrize(("page", "script"), commands(r"python (benchmarks/[a-z_]+\.py)"))
def test_benchmark_scripts_exist(page, script):
    assert (REPO / script).exists(), f"{page} runs `python {script}`"


@pytest.mark.parametrize(("page", "study"), commands(r"study=([a-z][a-z0-9_]*)"))
def test_studies_exist(page, study):
    assert study in WRITTEN_BY_THE_READER or (REPO / "params" / f"{study}.yaml").exists(), \
        f"{page} runs study {study}, and params/{study}.yaml does not exist"


def test_the_pages_show_commands_at_all():
    assert len(commands(r"(?:^|\s)tunelab ([a-z][a-z-]+)")) > 5 and len(commands(r"study=([a-z]\w*)")) > 3
