"""The documentation's reference pages, generated so that they cannot drift from the code:
docs/reference/study.md from the study schema (every key: type, default, values, range,
description) and docs/reference/cli.md from each `tunelab` subcommand's --help.

    python -m tunelab.docs            # rewrite both pages
    python -m tunelab.docs --check    # exit 1 if a committed page is out of date

Standard library and yaml only; tunelab.cli is imported for its parser, which imports nothing heavy.
"""

import argparse
import os
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "workflow" / "schemas" / "study.schema.yaml"
STUDY_PAGE = ROOT / "docs" / "reference" / "study.md"
CLI_PAGE = ROOT / "docs" / "reference" / "cli.md"
REGENERATE = "python -m tunelab.docs"
HELP_WIDTH = "100"  # argparse wraps --help at $COLUMNS: fixed, so the page is the same everywhere

# Range and shape keywords of JSON Schema, as the page words them.
BOUNDS = [("minimum", ">= {}"), ("exclusiveMinimum", "> {}"), ("maximum", "<= {}"),
          ("exclusiveMaximum", "< {}"), ("minLength", "length >= {}"), ("maxLength", "length <= {}"),
          ("minItems", ">= {} items"), ("maxItems", "<= {} items"), ("pattern", "matches `{}`")]


def _code(value) -> str:
    """A value as YAML would write it, in a code span."""
    text = yaml.safe_dump(value, default_flow_style=True, width=1000).strip()
    return f"`{text.removesuffix('...').strip()}`"


def type_of(node: dict) -> str:
    """A key's type in words: `integer`, `string or array of string`, `date (YYYY-MM-DD)`, ..."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return {"date": "date (YYYY-MM-DD)", "date_range": "[date, date]",
                "scalar": "number, string or boolean"}.get(name, name)
    if "oneOf" in node and "type" not in node:
        return " or ".join(type_of(alt) for alt in node["oneOf"])
    kinds = node.get("type", "any")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    words = []
    for kind in kinds:
        if kind == "array" and "items" in node:
            kind = f"array of {type_of(node['items'])}"
        elif kind == "object" and isinstance(node.get("additionalProperties"), dict):
            kind = f"mapping of name to {type_of(node['additionalProperties'])}"
        words.append(kind)
    return " or ".join(words)


def facts(node: dict, required: bool) -> list[str]:
    """The lines of a key's entry above its description: type, required, default, values, range."""
    lines = [f"- type: {type_of(node)}"]
    if required:
        lines.append("- required")
    if "default" in node:
        lines.append(f"- default: {_code(node['default'])}")
    if "enum" in node:
        lines.append("- one of: " + ", ".join(_code(v) for v in node["enum"]))
    bounds = [text.format(node[key]) for key, text in BOUNDS if key in node]
    if bounds:
        lines.append("- allowed: " + ", ".join(bounds))
    if node.get("uniqueItems"):
        lines.append("- items: no repeats")
    return lines


def key_entries(node: dict, path: str, required: bool = False) -> list[str]:
    """A key's section (heading, facts, description) and those of the keys nested in it."""
    depth = min(path.count(".") + 2, 6)
    lines = [f"{'#' * depth} `{path}`", "", *facts(node, required), ""]
    if node.get("description"):
        lines += [" ".join(str(node["description"]).split()), ""]
    needed = set(node.get("required", []))
    for name, child in node.get("properties", {}).items():
        lines += key_entries(child, f"{path}.{name}", name in needed)
    return lines


def study_page(schema: dict) -> str:
    """docs/reference/study.md: every key of the schema, in the schema's order."""
    lines = ["# Study keys", "",
             f"<!-- generated from workflow/schemas/study.schema.yaml by `{REGENERATE}`: do not edit -->",
             "", " ".join(schema.get("description", "").split()), "",
             "Every key of a study file (`params/<study>.yaml`), generated from the schema the validator uses "
             "(`workflow/schemas/study.schema.yaml`). `params/default.yaml` has every key commented; "
             "[Write a study](../how-to/write-a-study.md) explains them by topic, and "
             "[What is refused](refused.md) lists what a study file or dataset may not be.", ""]
    needed = set(schema.get("required", []))
    for name, node in schema["properties"].items():
        lines += key_entries(node, name, name in needed)
    lines += ["## A hyperparameter's entry", "",
              "Each entry under `hyperparameters:` (and a value under `baseline:`) is one of:", ""]
    hyper = schema["$defs"]["hyperparameter"]["oneOf"][1]
    for name, child in hyper["properties"].items():
        lines += key_entries(child, f"hyperparameters.<name>.{name}")
    lines.append("An entry gives exactly one of `value`, `feasible_points` or `min` and `max`.")
    return "\n".join(lines) + "\n"


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The parser of each subcommand, by name, in the order the parser lists them."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def cli_page(parser: argparse.ArgumentParser) -> str:
    """docs/reference/cli.md: `tunelab --help` and each subcommand's --help, verbatim."""
    lines = ["# tunelab commands", "",
             f"<!-- generated from tunelab.cli.make_parser by `{REGENERATE}`: do not edit -->", "",
             "The `tunelab` command is installed with the package. Each section below is the output of "
             "`tunelab <command> --help`.", "", "## tunelab", "", "```text", parser.format_help().rstrip(),
             "```", ""]
    for name, sub in subcommands(parser).items():
        lines += [f"## tunelab {name}", "", "```text", sub.format_help().rstrip(), "```", ""]
    return "\n".join(lines)


def pages() -> dict[Path, str]:
    """Each generated page and the text it should hold."""
    from tunelab.cli import make_parser

    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = HELP_WIDTH
    try:
        cli = cli_page(make_parser())
    finally:
        if saved is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = saved
    return {STUDY_PAGE: study_page(yaml.safe_load(SCHEMA.read_text())), CLI_PAGE: cli}


def stale() -> list[Path]:
    """The generated pages whose committed text differs from what the code gives now."""
    return [path for path, text in pages().items() if not path.exists() or path.read_text() != text]


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(prog="python -m tunelab.docs", description=__doc__.split("\n\n")[0])
    args.add_argument("--check", action="store_true", help="exit 1 if a page is out of date; write nothing")
    check = args.parse_args(argv).check
    if check:
        old = stale()
        for path in old:
            print(f"{path.relative_to(ROOT)} is out of date: run `{REGENERATE}`", file=sys.stderr)
        return 1 if old else 0
    for path, text in pages().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
