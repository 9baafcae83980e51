"""Load the demo examples with their relative URLs pointed at the local test server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "examples"


def demo_entries() -> list[dict[str, Any]]:
    """Return the entries of ``fixtures/examples/demo.json``."""
    entries: list[dict[str, Any]] = json.loads((EXAMPLES_DIR / "demo.json").read_text())
    return entries


def point_urls(template: dict[str, Any], base_url: str) -> dict[str, Any]:
    """Rewrite the template's ``../x`` URLs (relative to a fixtures subfolder) to ``base_url/x``."""

    def point(url: str | None) -> str | None:
        if url and url.startswith("../"):
            return f"{base_url}/{url[3:]}"
        return url

    template["background_url"] = point(template.get("background_url"))
    for rect in template["rectangles"]:
        rect["font_url"] = point(rect.get("font_url"))
    return template


def served_offer(file: str, base_url: str) -> dict[str, Any]:
    """Return the example offer with every ``../x`` URL rewritten to ``base_url/x``."""
    offer: dict[str, Any] = json.loads((EXAMPLES_DIR / file).read_text(encoding="utf-8"))
    point_urls(offer["image_template"], base_url)
    return offer
