"""Drive Debian's headless Chromium through Playwright: open a page, read lines, take shots.

Never downloads a browser: it launches ``/usr/bin/chromium`` (or
``$OFFER_RENDER_CHROMIUM``). Text is rendered without hinting
(``--font-render-hinting=none``) so glyph advances are the fonts' own, as on
designers' machines and as the engine lays them out.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path(os.environ.get("OFFER_RENDER_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--font-render-hinting=none",
    "--force-color-profile=srgb",
    "--disable-lcd-text",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

LINES_JS = """
(id) => {
  const el = document.getElementById(id);
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  const lines = [];
  let cur = null;
  let node;
  while ((node = walker.nextNode())) {
    const t = node.data;
    for (let i = 0; i < t.length; ) {
      const cp = t.codePointAt(i);
      const len = cp > 0xffff ? 2 : 1;
      const ch = t.substr(i, len);
      range.setStart(node, i);
      range.setEnd(node, i + len);
      const rects = Array.from(range.getClientRects()).filter(r => r.width > 0 || r.height > 0);
      if (rects.length && ch !== "\\n") {
        // After a soft hyphen that breaks the line, the next character's range also
        // returns the drawn hyphen's box on the line above: take its last inked box.
        const inked = rects.filter(r => r.width > 0);
        const r = inked.length ? inked[inked.length - 1] : rects[0];
        const mid = (r.top + r.bottom) / 2;
        if (!cur || mid > cur.bottom) {
          cur = { bottom: r.bottom, text: "" };
          lines.push(cur);
        }
        cur.text += ch;
      }
      i += len;
    }
  }
  return lines.map(l => l.text);
}
"""


def available() -> bool:
    """Return whether the Chromium binary is installed."""
    return CHROMIUM.exists()


@contextmanager
def chromium(fontconfig: Path | None = None) -> Iterator[Browser]:
    """Yield Debian's headless Chromium; with ``fontconfig``, that file configures its fonts.

    ``fontconfig`` becomes ``FONTCONFIG_FILE`` of the browser's processes (an absolute
    path: fontconfig reads a relative one from its own folder). Default: the system's.
    """
    env: dict[str, str | float | bool] | None = None
    if fontconfig is not None:
        env = {**os.environ, "FONTCONFIG_FILE": str(fontconfig.resolve())}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS,
                                     env=env)
        try:
            yield browser
        finally:
            browser.close()


@dataclass(frozen=True)
class PlatformFont:
    """A face Chromium drew a node's text with, and how many glyphs."""

    family: str
    postscript: str
    glyphs: int


def platform_fonts(page: Page, count: int) -> list[list[PlatformFont]]:
    """Return, for rectangles 0 to ``count - 1``, the faces Chromium drew each with.

    From the DevTools protocol's ``CSS.getPlatformFontsForNode`` (what the Fonts pane
    of DevTools shows); a web font is listed under its ``@font-face`` family. The
    PostScript name tells the face (``NotoSansEthiopic-Regular`` drawn emboldened in
    bold text, say).
    """
    session = page.context.new_cdp_session(page)
    try:
        session.send("DOM.enable")
        session.send("CSS.enable")
        root = session.send("DOM.getDocument")["root"]["nodeId"]
        result = []
        for index in range(count):
            node = session.send("DOM.querySelector", {"nodeId": root, "selector": f"#r{index}"})
            fonts = session.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})
            result.append([PlatformFont(f["familyName"], f.get("postScriptName", ""),
                                        int(f["glyphCount"])) for f in fonts["fonts"]])
        return result
    finally:
        session.detach()


@contextmanager
def chromium_page(width: int, height: int) -> Iterator[Page]:
    """Yield a page of Debian's headless Chromium with a ``width`` x ``height`` viewport."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height},
                                    device_scale_factor=1)
            yield page
        finally:
            browser.close()


def load(page: Page, url: str, width: int, height: int) -> None:
    """Open ``url`` at the canvas size and wait until every web font has loaded."""
    page.set_viewport_size({"width": width, "height": height})
    page.goto(url, wait_until="load")
    page.evaluate("document.fonts.ready.then(() => true)")


def lines_of(page: Page, index: int) -> list[str]:
    """Return the lines Chromium broke rectangle ``index`` into, in logical order."""
    result: list[str] = page.evaluate(LINES_JS, f"r{index}")
    return result


def screenshot(page: Page, width: int, height: int, only: int | None = None) -> Image.Image:
    """Return the page as RGBA; with ``only``, just that rectangle (nothing else painted)."""
    if only is not None:
        page.evaluate(
            """(id) => { for (const el of document.querySelectorAll('.r, .bg'))
                 el.style.visibility = el.id === id ? 'visible' : 'hidden'; }""",
            f"r{only}",
        )
    png = page.screenshot(clip={"x": 0, "y": 0, "width": width, "height": height},
                          omit_background=True)
    if only is not None:
        page.evaluate("() => { for (const el of document.querySelectorAll('.r, .bg'))"
                      " el.style.visibility = 'visible'; }")
    return Image.open(io.BytesIO(png)).convert("RGBA")
