"""The package's imports point one way along the pipeline: a stage imports only the stages before
it (and the helpers every stage may use), at the top of a module or inside a function, so a
newcomer reads the stages in order and a new study key cannot make a cycle."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "workflow" / "tunelab"

# The pipeline's order; a part may import its own modules and any part before it.
ORDER = [
    {"io", "fmt", "machine"},  # helpers every stage may import; they import nothing of tunelab but each other
    {"study"},  # the resolved config: depends on nothing of tunelab but io
    {"data"},
    {"search"},
    {"train"},
    {"collect"},
    {"sanity"},  # beside analysis: its checks read the runs; analysis reads its baselines
    {"analysis"},
    {"report"},
    {"workflow", "workdir_guard"},  # the Snakefile's glue
    {"dvc"},
    {"compare"},
    {"cli"},
    {"docs"},  # the docs site's generated reference pages: reads the schema and cli's parser
]
RANK = {part: rank for rank, parts in enumerate(ORDER) for part in parts}


def part_of(module: str) -> str:
    """tunelab.search.plan -> search; tunelab.cli -> cli; tunelab -> tunelab."""
    bits = module.split(".")
    return bits[1] if len(bits) > 1 else "tunelab"


def module_name(path: Path, root: Path = PACKAGE) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def tunelab_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import of tunelab in `path`, at any depth (functions included)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] if node.module.startswith("tunelab") else []
            if node.module == "tunelab":
                names = [f"tunelab.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.startswith("tunelab")]
        else:
            continue
        found += [(node.lineno, name) for name in names]
    return found


def upward_imports(root: Path = PACKAGE) -> list[str]:
    """Every import that points up the order (or into a part the order does not name)."""
    bad = []
    for path in sorted(root.rglob("*.py")):
        here = part_of(module_name(path, root))
        for line, target in tunelab_imports(path):
            there = part_of(target)
            if there == here or there == "tunelab":
                continue
            if here not in RANK or there not in RANK or RANK[there] >= RANK[here] and \
                    not (RANK[there] == RANK[here] == 0):
                bad.append(f"{path.relative_to(root.parent)}:{line}: {here} imports {target}")
    return bad


def test_every_part_of_the_package_is_in_the_order():
    parts = {part_of(module_name(p)) for p in PACKAGE.rglob("*.py")} - {"tunelab"}
    assert parts <= set(RANK), f"add {sorted(parts - set(RANK))} to ORDER in {__file__}"


def test_imports_point_one_way_along_the_pipeline():
    assert upward_imports() == []


@pytest.mark.parametrize("source, caught", [
    ("def f():\n    from tunelab.analysis.tables import overall\n", True),  # inside a function too
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from tunelab.workflow import StudyPlan\n", True),
    ("from tunelab.study import Study\nimport tunelab.io\n", False),
])
def test_the_check_catches_an_upward_import(tmp_path, source, caught):
    pkg = tmp_path / "tunelab"
    (pkg / "search").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "search" / "__init__.py").write_text("")
    (pkg / "search" / "plan.py").write_text(source)
    assert bool(upward_imports(pkg)) is caught
