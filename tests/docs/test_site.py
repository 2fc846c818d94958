"""The documentation site (docs/, mkdocs.yml) stays true: the generated reference pages match the
schema and the command line, and `mkdocs build --strict` passes, which fails on a broken internal
link or anchor and on a page missing from the nav (mkdocs.yml's `validation:` makes each a warning,
and --strict a failure)."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from tunelab import docs

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("page", [docs.STUDY_PAGE, docs.CLI_PAGE], ids=lambda p: p.name)
def test_the_generated_reference_page_is_up_to_date(page):
    assert page.exists() and page.read_text() == docs.pages()[page], \
        f"{page.relative_to(ROOT)} is out of date: run `{docs.REGENERATE}` and commit it"


def test_the_study_reference_has_every_key_of_the_schema_with_its_default_and_values():
    schema = yaml.safe_load(docs.SCHEMA.read_text())
    page = docs.study_page(schema)

    def keys(node, prefix=""):
        for name, child in node.get("properties", {}).items():
            yield prefix + name, child
            yield from keys(child, prefix + name + ".")

    for key, node in keys(schema):
        entry = page.split(f"`{key}`\n", 1)[1].split("\n#", 1)[0]
        if "default" in node:
            assert f"- default: {docs._code(node['default'])}" in entry, key
        for value in node.get("enum", []):
            assert docs._code(value) in entry, (key, value)
        if node.get("description"):
            assert " ".join(str(node["description"]).split()) in entry, key


def test_the_command_reference_has_every_subcommand():
    from tunelab.cli import make_parser

    page = docs.CLI_PAGE.read_text()
    for name in docs.subcommands(make_parser()):
        assert f"## tunelab {name}\n" in page and f"usage: tunelab {name}" in page, name


def test_the_check_names_the_command_to_regenerate(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "study.md"
    stale.write_text("old\n")
    monkeypatch.setattr(docs, "pages", lambda: {stale: "new\n"})
    monkeypatch.setattr(docs, "ROOT", tmp_path)
    assert docs.main(["--check"]) == 1
    assert "python -m tunelab.docs" in capsys.readouterr().err


def test_every_page_is_in_the_nav():
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"]

    def pages(items):
        for item in items:
            value = next(iter(item.values())) if isinstance(item, dict) else item
            yield from pages(value) if isinstance(value, list) else [value]

    on_disk = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md")}
    assert on_disk == set(pages(nav))


def build(site: Path) -> subprocess.CompletedProcess:
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None:
        pytest.skip('mkdocs and mkdocs-material are not installed: pip install -e ".[docs]" (.ci/run does)')
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site, built once for this module with `mkdocs build --strict`."""
    site = tmp_path_factory.mktemp("docs") / "site"
    proc = build(site)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return site


def test_the_site_builds_strictly(site):
    assert (site / "index.html").exists() and (site / "reference" / "study" / "index.html").exists()


MATERIAL_INDIGO = np.array([0x40, 0x51, 0xB5])  # the theme's default header colour: the stylesheet loaded


@pytest.mark.parametrize("page, heading", [("index.html", "Where to start"),
                                           ("reference/study/index.html", "dataset.time_format")])
def test_a_page_in_a_real_browser_shows_its_content_and_the_navigation(site, page, heading):
    from browser import browser_or_skip, load, screenshot, visible_text
    from PIL import Image

    browser = browser_or_skip()
    here = (site / page).parent  # the probed copy sits beside the page, so its relative links resolve
    dom, _ = load(browser, site / page, here)
    text = visible_text(dom)
    for entry in ("Tutorials", "How-to guides", "Reference", "Explanation", "Study keys", heading):
        assert entry in text, f"{page}: '{entry}' is not on the page"
    png = screenshot(browser, site / page, here / "shot.png", here)
    pixels = np.asarray(Image.open(png).convert("RGB")).astype(int)
    _, counts = np.unique(pixels.reshape(-1, 3), axis=0, return_counts=True)
    assert pixels.mean(axis=2).std() > 8, f"{png}: nearly uniform"
    assert counts.max() / counts.sum() < 0.97, f"{png}: one colour covers {counts.max() / counts.sum():.0%}"
    header = (np.abs(pixels - MATERIAL_INDIGO).max(axis=2) <= 6).sum()
    assert header > 20_000, f"{png}: no theme header ({header} header pixels): the stylesheet did not load"
