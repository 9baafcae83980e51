"""Take the multilingual corpus (fixtures/fidelity/multilingual/); return one template per text.

Each text (a UDHR sentence of ``udhr.json`` or a hand-made case of ``cases.json``)
becomes a transparent canvas of :data:`VARIANTS` rectangles stacked one under the
other, so that one page and one screenshot serve them all. The variants differ in
font size (12 to 40 px), width (a number of ems of the size, so that lines wrap the
same way at every size), alignment (left, center, right, justify, turning with the
text's place in the corpus), and family: a generic (``sans-serif``, ``serif``), then
a web font of ``fixtures/fonts`` named with its stylesheet and a generic after it, so
that fallback happens from it. Every third text has its first rectangle bold.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MULTILINGUAL_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "fidelity" / "multilingual"

SIZES = (12, 14, 16, 18, 20, 24, 28, 32, 36, 40)
ALIGNS = ("left", "center", "right", "justify")
WIDTH_EMS = (9, 15, 24)
"""Width of each variant's content box in ems of its font size: about 9, 15 and 24
CJK characters, or 17, 28 and 45 Latin ones, a line."""
WEB_FONTS = (
    ("Raleway, sans-serif", "fonts/raleway.css"),
    ("'Playfair Display', serif", "fonts/playfair.css"),
    ("Newsreader, serif", "fonts/newsreader.css"),
)
"""Web fonts of fixtures/fonts with their stylesheets (paths under fixtures/)."""
VARIANTS = 3
PADDING = 6
GAP = 12
MARGIN = 10
MAX_RECT_HEIGHT = 1200
WIDE_SCRIPTS = frozenset({"Hans", "Hant", "Jpan", "Kore", "Yiii"})
"""Scripts whose characters are about 1 em wide (others: about 0.6 em, generously)."""
TALL_SCRIPTS = frozenset({"Mymr", "Tibt", "Khmr", "Sinh", "Mlym", "Telu", "Knda", "Orya",
                          "Thai", "Laoo", "Beng", "Deva", "Guru", "Gujr", "Taml", "Arab",
                          "Syrc", "Thaa", "Zsye", "Zyyy"})
"""Scripts whose lines Noto sets taller than 1.5 em (marks above and below)."""


@dataclass(frozen=True)
class Text:
    """One text of the corpus and what it is."""

    id: str
    """``udhr-<lang>`` or ``case-<case id>``; the page and sheet names."""
    lang: str
    """BCP 47 tag: the page's ``lang`` and the engine's render locale."""
    script: str
    """ISO 15924 code (``Zsye`` emoji, ``Zyyy`` several)."""
    name: str
    text: str
    kind: str
    """``udhr`` or ``case``."""


def load_texts(folder: Path = MULTILINGUAL_DIR) -> list[Text]:
    """Return every UDHR sentence, then every hand-made case, in file order."""
    udhr = json.loads((folder / "udhr.json").read_text(encoding="utf-8"))
    cases = json.loads((folder / "cases.json").read_text(encoding="utf-8"))
    texts = [Text(f"udhr-{e['lang']}", e["lang"], e["script"], e["name"], e["text"], "udhr")
             for e in udhr["sentences"]]
    texts += [Text(f"case-{c['id']}", c["lang"], c["script"], c["name"], c["text"], "case")
              for c in cases["cases"]]
    return texts


def _height(text: Text, size: int, width: int) -> int:
    """Return a border-box height that holds the wrapped text with room to spare."""
    em = 1.0 if text.script in WIDE_SCRIPTS else 0.62
    lines = math.ceil(len(text.text) * size * em / width) + 1
    line = size * (2.2 if text.script in TALL_SCRIPTS else 1.6)
    return min(MAX_RECT_HEIGHT, math.ceil(lines * line) + 2 * PADDING)


def variant(text: Text, index: int, v: int, fixtures_url: str) -> dict[str, Any]:
    """Return rectangle ``v`` of text number ``index`` (its place in :func:`load_texts`)."""
    size = SIZES[(index * 3 + v * 4) % len(SIZES)]
    width = round(size * WIDTH_EMS[v]) + 2 * PADDING
    rect: dict[str, Any] = {
        "name": f"v{v}",
        "width": width,
        "height": _height(text, size, width - 2 * PADDING),
        "padding": PADDING,
        "offset_left": MARGIN,
        "offset_top": 0,
        "color": "#1A1A1A",
        "font_size": size,
        "text_align": ALIGNS[(index + v) % len(ALIGNS)],
        "content": text.text,
        "font_url": None,
    }
    if v == 0:
        rect["font_family"] = "sans-serif"
        if index % 3 == 2:
            rect["font_weight"] = 700
    elif v == 1:
        rect["font_family"] = "serif"
    else:
        family, css = WEB_FONTS[index % len(WEB_FONTS)]
        rect["font_family"] = family
        rect["font_url"] = f"{fixtures_url}/{css}"
    return rect


def build_template(text: Text, index: int, fixtures_url: str) -> dict[str, Any]:
    """Return the template of one text: its variants stacked, on a transparent canvas.

    ``fixtures_url`` is where ``fixtures/`` is served (the web fonts' stylesheets).
    """
    rects = [variant(text, index, v, fixtures_url) for v in range(VARIANTS)]
    top = MARGIN
    for rect in rects:
        rect["offset_top"] = top
        top += rect["height"] + GAP
    return {
        "width": max(r["width"] for r in rects) + 2 * MARGIN,
        "height": top - GAP + MARGIN,
        "rectangles": rects,
    }
