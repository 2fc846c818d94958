"""report.html: report.md rendered by Python-Markdown into one self-contained page, with the sanity
pages after it, and its lead (question, verdict, answer) as a fragment for the landing page."""

from __future__ import annotations

import base64
import re

import pandas as pd
import pytest
from tunelab.analysis.study_context import StudyContext
from tunelab.report.html import VERDICT_COLOURS, report_html, report_html_file

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/"
                       "iZk9HQAAAABJRU5ErkJggg==")  # one pixel

REPORT = """# Study report: demo

> Does a wider MLP help?

Rotation month **2026-11**, 2 periods.

**Verdict: REJECT.** The candidate is worse on v2020-06 (details in [the decision](#decision))

**The question:** hidden_size=16 is not better.

## Leaderboard

| rank | trial | valid_mse |
|---|---|---|
| 1 | t00000001 | 0.5 |

![periods](plots/periods.png)

## Decision

**Verdict: REJECT.** The candidate is worse on v2020-06.
"""

DATA_REPORT = """# Data report: demo

## Notes

- Nothing stands out; baselines in results/<study>/baselines.csv.

![rows and labels per month](plots/data_report.png)
"""


@pytest.fixture
def study_dir(tmp_path):
    (tmp_path / "plots").mkdir()
    for name in ("periods", "data_report"):
        (tmp_path / "plots" / f"{name}.png").write_bytes(PNG)
    pd.DataFrame({"study": "demo", "baseline": ["persistence", "linear"], "period": "all",
                  "valid_mse": [0.9, 0.123456789], "valid_mae": [9.0, 3.0], "test_mse": [0.8, 0.1],
                  "test_mae": [8.0, 2.0], "train_examples": 100, "valid_examples": 50}
                 ).to_csv(tmp_path / "baselines.csv", index=False)
    return tmp_path


def test_the_page_embeds_every_image_and_fetches_nothing(study_dir):
    page, _ = report_html(REPORT, study_dir, {"data": DATA_REPORT}, study_dir / "baselines.csv")
    sources = re.findall(r'<img [^>]*src="([^"]+)"', page)
    assert len(sources) == 2
    uri = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert sources == [uri, uri]
    assert not re.search(r'(src|href)="(https?:|plots/)', page)


def test_the_lead_comes_first_then_contents_then_the_sections(study_dir):
    page, _ = report_html(REPORT, study_dir)
    verdict = page.index("Verdict: REJECT.")
    assert page.index("Does a wider MLP help?") < verdict < page.index('class="toc"') < page.index(
        '<h2 id="leaderboard">')
    assert re.search(r'<p class="verdict verdict-reject"><strong>Verdict: REJECT\.</strong>', page)
    assert '<a href="#decision">the decision</a>' in page and '<h2 id="decision">' in page
    assert "<table>" in page and "<td>t00000001</td>" in page  # a table, not pipes
    assert "<title>Study report: demo</title>" in page
    assert f"background: {VERDICT_COLOURS['REJECT'][0]}" in page


def test_the_sanity_pages_follow_the_report_nested_one_level_down(study_dir):
    page, _ = report_html(REPORT, study_dir, {"data": DATA_REPORT}, study_dir / "baselines.csv")
    assert page.index('<h2 id="decision">') < page.index('<h2 id="sanity-checks">Sanity checks</h2>')
    assert "<h3" in page and re.search(r"<h3[^>]*>Data report: demo</h3>", page)
    assert re.search(r"<h4[^>]*>Notes</h4>", page)
    assert "results/&lt;study&gt;/baselines.csv" in page  # raw HTML in the text is shown as text
    baselines = page[page.index("Simple baselines"):]
    assert "<td>persistence</td>" in baselines and "<td>0.1235</td>" in baselines
    assert "test_mse" not in page  # the test windows stay out


def test_the_headline_is_the_lead_alone_with_its_own_style(study_dir):
    _, headline = report_html(REPORT, study_dir)
    assert "Verdict: REJECT." in headline and "hidden_size=16 is not better." in headline
    assert "Leaderboard" not in headline and "<img" not in headline
    assert "<h3>Study report: demo</h3>" in headline  # nested under the landing page's own text
    assert 'href="#' not in headline  # in-page links lead nowhere there
    assert f"background:{VERDICT_COLOURS['REJECT'][0]}" in headline


def test_a_missing_image_stops_the_rule_naming_the_file(study_dir):
    (study_dir / "plots" / "periods.png").unlink()
    with pytest.raises(FileNotFoundError, match="plots/periods.png"):
        report_html(REPORT, study_dir)


def test_the_rule_writes_both_files(study_dir):
    (study_dir / "report.md").write_text(REPORT)
    (study_dir / "data_report.md").write_text(DATA_REPORT)
    report_html_file(str(study_dir / "report.md"), {"data": str(study_dir / "data_report.md")},
                     str(study_dir / "baselines.csv"), str(study_dir / "report.html"),
                     str(study_dir / "headline.html"))
    assert (study_dir / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert "Verdict: REJECT." in (study_dir / "headline.html").read_text()


def test_the_context_parameter_prints_as_one_line_and_its_repr_changes_with_any_value():
    """`snakemake --report` shows a job's parameters with str(): the context once printed as a
    raw Python dict there. repr() is what Snakemake's params trigger stores, compares and prints
    in a dry run's reason lines (~2.8 KB twice per job as a dict): short, and different whenever
    any value is."""
    ctx = StudyContext({"study": "demo", "month": "2026-11", "architecture": "mlp",
                        "objective": "valid_mse", "scientific": ["hidden_size"], "space": {"x": {}},
                        "baseline": {"values": {"learning_rate": 0.001}}})
    assert f"context={ctx}" == ("context=study demo (rotation month 2026-11, mlp models, objective "
                                "valid_mse, scientific: hidden_size)")
    assert ctx == dict(ctx) and len(repr(ctx)) < 80 and "demo" in repr(ctx)
    assert repr(ctx) == repr(StudyContext(reversed(list(ctx.items()))))  # order does not matter
    changed = StudyContext({**ctx, "baseline": {"values": {"learning_rate": 0.002}}})
    assert repr(changed) != repr(ctx)
