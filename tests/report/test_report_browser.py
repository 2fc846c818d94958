"""The study's report in a real headless browser (chromium, see tests/browser.py): the page that
`snakemake --report` builds, and the study's own report.html that it opens.

What a person sees: the landing page carries the verdict and the answer to the question; the link
under them opens the study's report (an iframe of report.html) with its verdict on the first
screen; every image of that page loads; nothing raises an error; no job's parameters show a raw
Python dict; and the screenshots are not blank. Screenshots are left in the test's tmp folder
(landing.png, opened.png, study.png).
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest
from analysis_study import OUT, TARGETS
from browser import browser_or_skip, load, screenshot, visible_text
from conftest import snakemake
from PIL import Image
from tunelab.report.html import VERDICT_COLOURS

pytestmark = pytest.mark.e2e

OPEN_REPORT = 'document.querySelector("a.tunelab-open").click();'


@pytest.fixture(scope="module")
def browser() -> str:
    return browser_or_skip()


@pytest.fixture(scope="module")
def built(browser, request, tmp_path_factory):
    """(workdir, Snakemake's report page, a folder for the browser's files). The study is asked
    for only once a browser is found (a session fixture named as an argument would run first)."""
    workdir, _ = request.getfixturevalue("study_run")
    page = workdir / "snakemake-report.html"
    snakemake(workdir, "--report", str(page), *TARGETS)
    return workdir, page, tmp_path_factory.mktemp("browser")


def embedded_results(page: Path) -> dict:
    """The report's `results` table: path -> {data_uri, mime_type, job_properties, ...}."""
    found = re.search(r'<script id="results">\s*var results = (.*?);\s*</script>', page.read_text(),
                      flags=re.DOTALL)
    assert found, "no results table in the Snakemake report"
    return json.loads(found.group(1))


def decode_data_uri(uri: str) -> bytes:
    head, _, data = uri.partition(",")
    assert head.startswith("data:") and head.endswith(";base64"), head[:80]
    return base64.b64decode(data)


def not_blank(png: Path, box: tuple[float, float, float, float] = (0, 0, 1, 1)) -> np.ndarray:
    """The screenshot's pixels in `box` (fractions of width and height), asserted to show
    something: a spread of grey levels, no single colour covering nearly all of it."""
    image = Image.open(png).convert("RGB")
    w, h = image.size
    pixels = np.asarray(image.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h))))
    grey = pixels.mean(axis=2)
    _, counts = np.unique(pixels.reshape(-1, 3), axis=0, return_counts=True)
    assert grey.std() > 8, f"{png}: nearly uniform (grey-level std {grey.std():.1f})"
    assert counts.max() / counts.sum() < 0.97, f"{png}: one colour covers {counts.max() / counts.sum():.0%}"
    return pixels


def colour_count(pixels: np.ndarray, hex_colour: str, tol: int = 6) -> int:
    rgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(pixels.astype(int) - rgb).max(axis=2) <= tol).sum())


def test_the_landing_page_shows_each_studys_verdict_and_answer(browser, built):
    workdir, page, tmp = built
    decision = json.loads((workdir / OUT / "decision.json").read_text())
    dom, probe = load(browser, page, tmp)
    assert probe["errors"] == []
    text = visible_text(dom)
    assert f"Verdict: {decision['verdict']}." in text
    assert decision["question"]["answer"] in text
    assert "Does a wider MLP help on the synthetic series?" in text
    assert all(img["complete"] and img["width"] > 0 for img in probe["images"]), probe["images"]


def test_no_result_shows_a_raw_python_dict_as_its_parameters(built):
    _, page, _ = built
    results = embedded_results(page)
    assert f"{OUT}/report.html" in results and f"{OUT}/plots/isolation.hidden_size.png" in results
    for path, entry in results.items():
        params = entry["job_properties"]["params"]
        assert "{" not in params and "[" not in params, f"{path}: {params[:200]}"
    # Markdown pages would download as raw text: the report is there as HTML instead
    assert {e["mime_type"] for e in results.values()} == {"image/png", "text/html"}


def test_the_link_opens_the_study_report_in_which_every_image_loads(browser, built):
    workdir, page, tmp = built
    _, probe = load(browser, page, tmp, actions=OPEN_REPORT)
    assert probe["errors"] == []
    assert len(probe["iframes"]) == 1 and probe["iframes"][0].startswith("data:text/html")
    shown = decode_data_uri(probe["iframes"][0])  # what the iframe displays...
    assert shown == (workdir / OUT / "report.html").read_bytes()  # ...is the study's report.html

    study_page = tmp / "study-report.html"
    study_page.write_bytes(shown)
    dom, probe = load(browser, study_page, tmp)
    assert probe["errors"] == []
    referenced = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", "".join(
        (workdir / OUT / name).read_text() for name in ("report.md", "data_report.md", "dynamics.md")))
    assert len(probe["images"]) == len(referenced) >= 8  # report plots + data report + norms
    broken = [img for img in probe["images"] if not (img["complete"] and img["width"] > 0)]
    assert broken == []
    assert all(img["src"].startswith("data:image/png;base64,") for img in probe["images"])
    text = visible_text(dom)
    verdict = json.loads((workdir / OUT / "summary.json").read_text())["verdict"]
    assert f"Verdict: {verdict}." in text
    for section in ("Leaderboard", "Isolation plots", "Checklist", "Decision", "Sanity checks",
                    "Data report: tiny", "Sanity: overfit a tiny batch", "Training dynamics: tiny",
                    "Simple baselines"):
        assert section in text, section


def test_screenshots_show_the_verdict_on_the_first_screen(browser, built):
    workdir, page, tmp = built
    verdict = json.loads((workdir / OUT / "summary.json").read_text())["verdict"]
    background = VERDICT_COLOURS[verdict][0]

    landing = not_blank(screenshot(browser, page, tmp / "landing.png", tmp))
    assert colour_count(landing, background) > 2000  # the verdict's box, on the landing page

    opened = screenshot(browser, page, tmp / "opened.png", tmp, actions=OPEN_REPORT)
    report_side = not_blank(opened, box=(0.5, 0, 1, 1))  # the iframe with the study's report
    assert colour_count(report_side, background) > 5000

    study = not_blank(screenshot(browser, workdir / OUT / "report.html", tmp / "study.png", tmp))
    assert colour_count(study, background) > 5000
