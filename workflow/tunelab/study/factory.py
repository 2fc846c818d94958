"""Where a custom model's factory (`model.factory: module:function`) lives, found without importing it.

Validation runs at parse time, on every `snakemake` call: importing the user's module there would
import torch (+2 s) and run the user's code in the scheduler. So the module is found as Python would
find it (the working directory first, then sys.path) and its source is read for a top-level
`def function` (or a class, or an assignment to the name); the import itself happens in the
training job.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def module_file(module: str, roots: list[Path]) -> Path | None:
    """The source file of dotted `module` under the first root that has it (a package's
    __init__.py, or module.py); None when no root has it."""
    parts = module.split(".")
    for root in roots:
        base = root.joinpath(*parts)
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def defines(source: str, name: str) -> bool:
    """Does this module source bind `name` at top level (def, class, assignment or import)?"""
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == name:
            return True
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return True
        if isinstance(node, ast.Import | ast.ImportFrom):
            if any((a.asname or a.name.split(".")[0]) == name for a in node.names):
                return True
    return False


def factory_problem(reference: str, workdir: Path | None = None) -> str | None:
    """Why `module:function` cannot be a factory (a phrase), or None when its module is found and
    binds the function. Modules that are not Python source (compiled) are taken on trust."""
    module, function = reference.split(":")
    roots = [Path(workdir or Path.cwd())] + [Path(p) for p in sys.path if p]
    path = module_file(module, roots)
    if path is None:
        if _compiled(module):
            return None
        return (f"module {module!r} is not in the working directory ({roots[0]}) nor in the Python "
                f"environment; put {module.replace('.', '/')}.py there or install its package")
    try:
        source = path.read_text(encoding="utf-8")
        found = defines(source, function)
    except (OSError, SyntaxError, ValueError) as exc:
        return f"{path} cannot be read as Python: {exc}"
    if not found:
        return f"{path} defines no top-level {function!r}"
    return None


def _compiled(module: str) -> bool:
    """A top-level extension module or frozen module that has no .py file to read."""
    from importlib.machinery import EXTENSION_SUFFIXES

    top = module.split(".")[0]
    return top in sys.builtin_module_names or any(
        (Path(p) / (top + suffix)).is_file() for p in sys.path if p for suffix in EXTENSION_SUFFIXES)


def command_problem(command: str, workdir: Path | None = None) -> str | None:
    """Why `trainer.command` cannot run (a phrase), or None: its program is on PATH or is a file,
    and the Python script or module it names (`python train.py`, `python -m pkg.train`) exists.
    Nothing is run."""
    import shlex
    import shutil

    root = Path(workdir or Path.cwd())
    try:
        words = shlex.split(command)
    except ValueError as exc:
        return f"not a shell command: {exc}"
    words = [w for w in words if "=" not in w.split("/")[0]] or words  # VAR=value before the program
    program = words[0]
    if "/" in program:
        if not (root / program).is_file():
            return f"program {program!r} is not a file (from {root})"
    elif shutil.which(program) is None:
        return f"program {program!r} is not on PATH"
    if Path(program).name.startswith("python"):
        return _python_target_problem(words[1:], root)
    return None


def _python_target_problem(args: list[str], root: Path) -> str | None:
    """The script or `-m` module a Python command runs must exist."""
    for i, arg in enumerate(args):
        if arg == "-m" and i + 1 < len(args):
            module = args[i + 1]
            roots = [root] + [Path(p) for p in sys.path if p]
            if module_file(module, roots) is None and module_file(f"{module}.__main__", roots) is None \
                    and not _compiled(module):
                return f"module {module!r} is not in the working directory ({root}) nor in the Python " \
                       "environment"
            return None
        if arg == "-c":
            return None
        if not arg.startswith("-"):
            if not (root / arg).is_file():
                return f"script {arg!r} is not a file (from {root})"
            return None
    return None
