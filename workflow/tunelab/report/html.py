"""results/<study>/report.html: report.md and the sanity pages, rendered for a browser.

`snakemake --report` shows an HTML result inside an iframe whose source is a data: URI (or a file
in the zip report), so the page must stand alone: every image is embedded as a data: URI, the
style sheet is inline, and nothing is fetched. The Markdown is rendered by Python-Markdown (tables,
heading ids for the report's in-page links, a table of contents); raw HTML in the text is shown
as text (`results/<study>/...` stays readable, and a study's question cannot inject markup).

The page is report.md, unchanged, followed by the sanity checks that sit beside it: the data
report, the simple baselines, overfit-a-tiny-batch and the training dynamics (with their plots).
headline.html is the page's lead (question, verdict and answer) alone, for the landing page of
`snakemake --report` (workflow/report/workflow.rst includes it).
"""

from __future__ import annotations

import base64
import html
import mimetypes
import re
import xml.etree.ElementTree as etree
from pathlib import Path

import markdown
from markdown.extensions import Extension
from markdown.extensions.toc import TocExtension
from markdown.treeprocessors import Treeprocessor

from tunelab.analysis.tables import markdown_table, read_table
from tunelab.fmt import fmt
from tunelab.io import write_text

EXTENSIONS = ["tables", "sane_lists", "fenced_code"]
SANITY_TITLE = "Sanity checks"
# background and border of the verdict's box, by verdict (the browser test looks for the colour)
VERDICT_COLOURS = {"ADOPT": ("#dafbe1", "#4ac26b"), "REJECT": ("#ffebe9", "#ff8182"),
                   "INCONCLUSIVE": ("#fff8c5", "#d4a72c")}
BASELINE_COLUMNS = ["baseline", "period", "valid_mse", "valid_mae", "train_examples", "valid_examples"]


class _PageTree(Treeprocessor):
    """Embeds each image file as a data: URI (relative to `base`), marks the verdict's paragraph,
    and, in a fragment, turns in-page links into plain text (their targets are not there)."""

    def __init__(self, md, base: Path | None, fragment: bool):
        super().__init__(md)
        self.base, self.fragment = base, fragment

    def run(self, root: etree.Element) -> None:
        for img in root.iter("img"):
            img.set("src", self._embed(img.get("src", "")))
        for p in root.iter("p"):
            verdict = _verdict_of(p)
            if verdict:
                p.set("class", f"verdict verdict-{verdict.lower()}")
                if self.fragment:  # shown inside another page (Snakemake's): no style sheet of ours
                    bg, border = VERDICT_COLOURS[verdict]
                    p.set("style", f"background:{bg};border:1px solid {border};padding:.5rem .8rem;"
                                   "border-radius:6px")
        if self.fragment:
            for a in root.iter("a"):
                if a.get("href", "").startswith("#"):
                    a.tag, a.attrib = "span", {}

    def _embed(self, src: str) -> str:
        if self.base is None or re.match(r"^(data|https?):", src):
            return src
        path = self.base / src
        if not path.is_file():
            raise FileNotFoundError(f"{path}: image referenced by the report is missing")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _verdict_of(p: etree.Element) -> str | None:
    """ADOPT / REJECT / INCONCLUSIVE if the paragraph opens with '**Verdict: X.**'."""
    first = next(iter(p), None)
    if p.text and p.text.strip() or first is None or first.tag != "strong":
        return None
    m = re.match(r"Verdict:\s*([A-Z]+)", "".join(first.itertext()))
    return m.group(1) if m and m.group(1) in VERDICT_COLOURS else None


class _PageExtension(Extension):
    def __init__(self, base: Path | None, fragment: bool):
        super().__init__()
        self.base, self.fragment = base, fragment

    def extendMarkdown(self, md) -> None:  # noqa: N802 (Python-Markdown's API)
        md.preprocessors.deregister("html_block")  # raw HTML is text here
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_PageTree(md, self.base, self.fragment), "tunelab_page", 5)


def render_markdown(text: str, base: str | Path | None = None, fragment: bool = False) -> str:
    """Markdown -> HTML; images relative to `base` are embedded; heading ids for in-page links."""
    extensions = [*EXTENSIONS, _PageExtension(Path(base) if base is not None else None, fragment)]
    if not fragment:  # heading ids (the report links to #decision); [TOC] lists the sections
        extensions.append(TocExtension(toc_depth="2-2", title="Contents"))
    return markdown.markdown(text, extensions=extensions)


def split_lead(text: str) -> tuple[str, str]:
    """report.md -> (its lead: title, question, verdict and answer; the sections after it)."""
    m = re.search(r"^## ", text, flags=re.MULTILINE)
    return (text, "") if m is None else (text[: m.start()], text[m.start():])


def nest(text: str, levels: int) -> str:
    """Push every Markdown heading `levels` deeper (a page becomes a section of another)."""
    return re.sub(r"^(#{1,6}) ", lambda m: "#" * min(len(m.group(1)) + levels, 6) + " ", text,
                  flags=re.MULTILINE)


def baselines_markdown(path: str | Path) -> str:
    """baselines.csv as a table: each simple baseline's validation error, per period and overall
    (`all`); the test columns stay out, as everywhere before a decision."""
    frame = read_table(path)
    cols = [c for c in BASELINE_COLUMNS if c in frame.columns]
    frame = frame[cols].copy()
    for c in ("valid_mse", "valid_mae"):
        if c in frame.columns:
            frame[c] = [fmt(v) for v in frame[c]]
    return markdown_table(frame)


def sanity_markdown(pages: dict[str, str], baselines: str | Path | None) -> str:
    """The sanity section: each page (data report, overfit check, dynamics) nested one level below
    it, and the simple baselines' table."""
    parts = [f"## {SANITY_TITLE}", "",
             "Checks that run beside every study, before its results are trusted: the data, "
             "what any trial must beat, whether each model can learn at all, and how training went.",
             ""]
    for text in pages.values():
        parts += [nest(text.strip(), 2), ""]
    if baselines is not None:
        parts += ["### Simple baselines", "",
                  "What any trial must beat (baselines.csv): persistence (the last value), the "
                  "training mean, and a linear model on the same lags, on each period's validation "
                  "window; `all` is their mean over periods.", "", baselines_markdown(baselines), ""]
    return "\n".join(parts)


STYLE = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328;
       margin: 0; background: #fff; }
main { max-width: 64rem; margin: 0 auto; padding: 1.5rem 2rem 4rem; }
h1 { font-size: 1.7rem; margin: 0 0 .6rem; } h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .2rem;
     margin-top: 2.2rem; } h3, h4, h5 { margin-top: 1.4rem; }
blockquote { margin: .5rem 0; padding: .3rem 1rem; border-left: 4px solid #8c959f; color: #424a53;
             font-style: italic; }
.verdict { padding: .7rem 1rem; border-radius: 6px; border: 1px solid; }
%(verdicts)s
table { border-collapse: collapse; margin: .6rem 0; font-size: .88rem; display: block; overflow-x: auto; }
th, td { border: 1px solid #d0d7de; padding: .25rem .6rem; text-align: left; }
th { background: #f6f8fa; } tr:nth-child(even) td { background: #fbfcfd; }
img { max-width: 100%; height: auto; display: block; margin: .8rem 0; }
code { background: #f6f8fa; padding: .1rem .3rem; border-radius: 4px; font-size: .88em; }
div.toc { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: .4rem 1rem;
          margin: 1rem 0; } div.toc ul { margin: .2rem 0; padding-left: 1.2rem; columns: 2; }
.toctitle { font-weight: 600; }
""".strip()


def style() -> str:
    verdicts = "\n".join(f".verdict-{v.lower()} {{ background: {bg}; border-color: {border}; }}"
                         for v, (bg, border) in VERDICT_COLOURS.items())
    return STYLE.replace("%(verdicts)s", verdicts)


def page(title: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>\n{style()}\n</style>\n</head>\n"
            f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n")


def report_html(report_md: str, base: str | Path, pages: dict[str, str] | None = None,
                baselines: str | Path | None = None) -> tuple[str, str]:
    """(the whole page, its lead as a fragment). The lead comes first on the page, then a table of
    contents, then the report's sections and the sanity checks."""
    lead, rest = split_lead(report_md)
    if pages or baselines is not None:
        rest = rest.rstrip() + "\n\n" + sanity_markdown(pages or {}, baselines)
    body_md = lead.rstrip() + "\n\n[TOC]\n\n" + rest if rest else lead
    body = render_markdown(body_md, base)
    title = re.search(r"^# (.+)$", report_md, flags=re.MULTILINE)
    headline = render_markdown(nest(lead.strip(), 2), fragment=True)
    return page(title.group(1) if title else "Study report", body), \
        f'<div class="tunelab-headline">\n{headline}\n</div>\n'


def report_html_file(report: str, pages: dict[str, str], baselines: str | None, out_html: str,
                     out_headline: str) -> None:
    """The report rule, after report.md: report.md (+ the sanity pages and baselines.csv beside it) -> a
    self-contained report.html and headline.html."""
    pages_text = {name: Path(path).read_text() for name, path in pages.items()}
    full, headline = report_html(Path(report).read_text(), Path(report).parent, pages_text, baselines)
    write_text(out_html, full)
    write_text(out_headline, headline)
    print(f"{out_html}: {len(full) / 1e6:.2f} MB, {full.count('<img ')} images embedded")
