"""Turn a template and its merged texts into the HTML page Chromium draws as the reference.

The rules live in the package, :mod:`offer_render.service.studio.page` (the studio's
"Browser" view draws the same page), so there is one implementation of them; this
module adds writing a page to a file for the local server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from offer_render.service.studio.page import (
    BASE_CSS,
    build_page,
    css_families,
    fallback_families,
    font_face_rules,
    rect_style,
)

__all__ = ["BASE_CSS", "build_page", "css_families", "fallback_families", "font_face_rules",
           "rect_style", "write_page"]


def write_page(
    path: Path, template: dict[str, Any], texts: list[str], base_url: str, *,
    lang: str | None = None, system_fonts: bool = False,
) -> None:
    """Write the page for ``template`` to ``path`` (arguments as :func:`build_page`)."""
    path.write_text(build_page(template, texts, base_url, lang=lang, system_fonts=system_fonts),
                    encoding="utf-8")
