"""A real headless browser for the report tests: Debian's `chromium` (`.ci/run` installs it).

A page is loaded from a copy of its file with two small scripts added: one at the top of <head>
that records every JavaScript error, console.error and failed resource load, and one at the end of
<body> that, once the page has loaded, runs the test's actions (e.g. clicking a link), waits, and
writes what it saw (errors, every image with whether it decoded, every iframe's source) into a
<pre id="tunelab-probe"> element as JSON. `chromium --headless --dump-dom` then prints the DOM after
the scripts ran (`--virtual-time-budget` lets the page's timers run first).

Where no browser is found the tests skip and say why; TUNELAB_REQUIRE_BROWSER=1 (set by .ci/run)
makes that a failure instead. TUNELAB_CHROMIUM names another binary.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
         "--no-first-run", "--mute-audio", "--allow-file-access-from-files"]

HEAD_PROBE = """<script>
window.__probe = {errors: []};
window.addEventListener("error", function (e) {
  var t = e.target;
  window.__probe.errors.push(t && t !== window && t.tagName
    ? "failed to load " + t.tagName + " " + String(t.src || t.href || "").slice(0, 80)
    : String(e.message));
}, true);
window.addEventListener("unhandledrejection", function (e) {
  window.__probe.errors.push("unhandled rejection: " + String(e.reason));
});
(function () {
  var original = console.error;
  console.error = function () {
    window.__probe.errors.push("console.error: " + Array.prototype.map.call(arguments, String).join(" "));
    return original.apply(console, arguments);
  };
})();
</script>
"""

BODY_PROBE = """<script>
window.addEventListener("load", function () {
  setTimeout(function () {
    %(actions)s
    setTimeout(function () {
      var probe = window.__probe;
      probe.images = Array.prototype.map.call(document.images, function (img) {
        return {src: img.src.slice(0, 60), alt: img.alt, complete: img.complete,
                width: img.naturalWidth, height: img.naturalHeight};
      });
      probe.iframes = Array.prototype.map.call(document.querySelectorAll("iframe"), function (f) {
        return f.src;
      });
      var pre = document.createElement("pre");
      pre.id = "tunelab-probe";
      pre.textContent = JSON.stringify(probe);
      document.body.appendChild(pre);
    }, %(wait)d);
  }, 200);
});
</script>
"""


def find_browser() -> str | None:
    named = os.environ.get("TUNELAB_CHROMIUM")
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    for name in NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def browser_or_skip() -> str:
    path = find_browser()
    if path is None:
        named = os.environ.get("TUNELAB_CHROMIUM")
        reason = ("no headless browser: " + (f"TUNELAB_CHROMIUM={named} is not a program" if named else
                  "none of " + ", ".join(NAMES) + " is on PATH")
                  + " (Debian: apt-get install chromium; .ci/run installs it)")
        if os.environ.get("TUNELAB_REQUIRE_BROWSER") == "1":
            pytest.fail(f"a browser is required (TUNELAB_REQUIRE_BROWSER=1): {reason}")
        pytest.skip(reason)
    return path


def with_probe(page: Path, out: Path, actions: str = "", wait_ms: int = 1500) -> Path:
    """A copy of `page` with the probe scripts added (the page itself is not changed)."""
    text = page.read_text(encoding="utf-8")
    head = re.search(r"<head[^>]*>", text, flags=re.IGNORECASE)
    assert head is not None, f"{page}: no <head>"
    text = text[: head.end()] + HEAD_PROBE + text[head.end():]
    end = text.lower().rfind("</body>")
    assert end >= 0, f"{page}: no </body>"
    text = text[:end] + BODY_PROBE % {"actions": actions, "wait": wait_ms} + text[end:]
    out.write_text(text, encoding="utf-8")
    return out


def _run(browser: str, args: list[str], profile: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    profile.mkdir(parents=True, exist_ok=True)
    cmd = [browser, *FLAGS, f"--user-data-dir={profile}", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-3000:]}"
    return proc


def load(browser: str, page: Path, workdir: Path, actions: str = "", budget_ms: int = 8000) -> tuple[str, dict]:
    """(the DOM after the page's scripts and `actions` ran, what the probe saw)."""
    probed = with_probe(page, workdir / f"{page.stem}.probe.html", actions)
    proc = _run(browser, [f"--virtual-time-budget={budget_ms}", "--dump-dom", probed.as_uri()],
                workdir / "profile")
    dom = proc.stdout
    found = re.search(r'<pre id="tunelab-probe">(.*?)</pre>', dom, flags=re.DOTALL)
    assert found, f"the probe did not report: the page's scripts did not finish\n{proc.stderr[-2000:]}"
    return dom, json.loads(html.unescape(found.group(1)))


def screenshot(browser: str, page: Path, png: Path, workdir: Path, actions: str = "",
               size: tuple[int, int] = (1280, 900), budget_ms: int = 8000) -> Path:
    """A PNG of the first screen of `page` after its scripts and `actions` ran."""
    probed = with_probe(page, workdir / f"{page.stem}.shot.html", actions)
    _run(browser, [f"--virtual-time-budget={budget_ms}", f"--window-size={size[0]},{size[1]}",
                   f"--screenshot={png}", probed.as_uri()], workdir / "profile")
    assert png.is_file(), f"chromium wrote no screenshot {png}"
    return png


def visible_text(dom: str) -> str:
    """The DOM's text without tags, scripts or styles, whitespace collapsed."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.DOTALL | re.IGNORECASE)
    text = re.sub(r"<[^>]+>", " ", text)
    return " ".join(html.unescape(text).split())
