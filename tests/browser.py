"""Headless Chromium for the page tests: run it on a file, read ``<body>``'s data attributes
from the DOM dump, measure a page's width.

Needs /usr/bin/chromium (``bash scripts/ensure-chromium.sh`` installs it; ``CLUSTEROPT_CHROMIUM``
points elsewhere); a test calling ``chromium`` is skipped with the reason when it is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CLUSTEROPT_CHROMIUM", "/usr/bin/chromium")
BROWSER_TIMEOUT_S = 45


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Run headless Chromium with ``args`` (a fresh profile in ``tmp_path``, no network
    services); the completed process (``stdout`` is the DOM with ``--dump-dom``)."""
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"no headless Chromium at {CHROMIUM}: run `bash scripts/ensure-chromium.sh`"
                    " (Debian's chromium package) to test pages in a browser")
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--no-first-run", "--disable-component-update",
           "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S,
                              stdin=subprocess.DEVNULL)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


class _BodyData(HTMLParser):
    """The data-* attributes of <body> in a DOM dump."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "body" and self.data is None:
            self.data = {k[5:]: v or "" for k, v in attrs if k.startswith("data-")}


def body_data(dom: str) -> dict[str, str]:
    """``<body>``'s data-* attributes (without the ``data-`` prefix) in a DOM dump."""
    parser = _BodyData()
    parser.feed(dom)
    assert parser.data is not None, dom[:500]
    return parser.data


MEASURE = """<script>
window.addEventListener('load', function () {
  var d = document.documentElement;
  document.body.dataset.scrollWidth = String(d.scrollWidth);
  document.body.dataset.clientWidth = String(d.clientWidth);
  var wide = [];
  document.querySelectorAll('body *').forEach(function (e) {
    var r = e.getBoundingClientRect();
    if (r.right > d.clientWidth + 1 && !e.closest('.scroll, details:not([open])')) {
      wide.push(e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''));
    }
  });
  document.body.dataset.wide = wide.slice(0, 10).join(' ');
});
</script>"""


def page_width(tmp_path: Path, page: Path, width: int = 1280) -> dict[str, str]:
    """Open a copy of ``page`` (in its folder, so relative links still resolve) in a window
    ``width`` px wide with a script measuring ``document.documentElement.scrollWidth`` and
    ``clientWidth`` after load, and the elements reaching past the right edge outside a
    scrolling wrapper; returns those as strings (``scroll-width``, ``client-width``,
    ``wide``)."""
    text = page.read_text(encoding="utf-8")
    probe = page.with_name(f".probe-{page.name}")
    probe.write_text(text.replace("</body>", MEASURE + "</body>", 1), encoding="utf-8")
    try:
        dom = chromium(tmp_path, "--dump-dom", f"--window-size={width},900",
                       "--hide-scrollbars", "--virtual-time-budget=5000", probe.as_uri()).stdout
    finally:
        probe.unlink(missing_ok=True)
    return body_data(dom)
