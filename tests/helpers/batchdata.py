"""Build batch inputs for tests: cheap offers as JSON Lines, with known broken lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PIL import Image

GOOD_BACKGROUND = "bg.png"
BAD_BACKGROUND = "garbage.png"

BROKEN_KINDS = (
    "invalid_json", "not_object", "no_id", "negative_font_size", "zero_width",
    "undecodable_background", "missing_background", "duplicate_id", "no_template",
    "bad_text_align",
)
"""Ten ways an offer line fails; each gives exactly one error in the manifest."""


def small_offer(i: int, *, width: int = 60, height: int = 40,
                background: str | None = None) -> dict[str, Any]:
    """Return a cheap offer: a small canvas, a bundled generic font, a little text."""
    return {
        "id": f"offer-{i:04d}",
        "name": {"en": f"Offer {i}", "pl": f"Oferta {i}"},
        "stores": ["Arkadia"],
        "image_template": {
            "width": width, "height": height, "background_url": background,
            "rectangles": [{
                "name": "Title", "content": "{{name}}", "width": width, "height": height,
                "padding": 2, "offset_left": 0, "offset_top": 0, "text_align": "left",
                "color": "#102030", "font_size": 10, "font_family": "sans-serif",
                "font_url": None,
            }],
        },
    }


def broken_line(kind: str, i: int) -> str:
    """Return the JSON Lines text of one broken offer of ``kind``."""
    offer = small_offer(i)
    rect = offer["image_template"]["rectangles"][0]
    if kind == "invalid_json":
        return '{"id": "x", "name": '
    if kind == "not_object":
        return "[1, 2, 3]"
    if kind == "no_id":
        del offer["id"]
    elif kind == "negative_font_size":
        rect["font_size"] = -4
    elif kind == "zero_width":
        offer["image_template"]["width"] = 0
    elif kind == "undecodable_background":
        offer["image_template"]["background_url"] = BAD_BACKGROUND
    elif kind == "missing_background":
        offer["image_template"]["background_url"] = "no-such-background.png"
    elif kind == "duplicate_id":
        offer["id"] = "offer-0000"
    elif kind == "no_template":
        offer["image_template"] = None
    elif kind == "bad_text_align":
        rect["text_align"] = "sideways"
    else:  # pragma: no cover - a typo in a test
        raise ValueError(kind)
    return json.dumps(offer)


def write_backgrounds(folder: Path) -> None:
    """Write a small valid background and a file that is not an image into ``folder``."""
    Image.new("RGB", (16, 12), (200, 120, 40)).save(folder / GOOD_BACKGROUND)
    (folder / BAD_BACKGROUND).write_bytes(b"this is not an image at all\n")


def write_offers(
    path: Path, n: int, *, broken_every: int | None = None, width: int = 60, height: int = 40,
    missing_font_every: int | None = None,
) -> dict[int, str]:
    """Write ``n`` offer lines to ``path`` (backgrounds beside it); return {line: broken kind}.

    With ``broken_every``, the lines ``k * broken_every`` (k >= 1) are broken, cycling
    through BROKEN_KINDS. Every third good offer has the small PNG background;
    with ``missing_font_every``, some good offers name a stylesheet that does not
    exist (a warning, not an error).
    """
    write_backgrounds(path.parent)
    lines: list[str] = []
    broken: dict[int, str] = {}
    for i in range(n):
        if broken_every and i and i % broken_every == 0:
            kind = BROKEN_KINDS[len(broken) % len(BROKEN_KINDS)]
            broken[i + 1] = kind
            lines.append(broken_line(kind, i))
            continue
        offer = small_offer(i, width=width, height=height,
                            background=GOOD_BACKGROUND if i % 3 == 0 else None)
        if missing_font_every and i % missing_font_every == 1:
            offer["image_template"]["rectangles"][0]["font_url"] = "no-such-font.css"
        lines.append(json.dumps(offer))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return broken


def read_manifest(path: Path) -> list[dict[str, Any]]:
    """Return every line of the manifest, parsed (each must be complete JSON)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def latest(records: list[dict[str, Any]]) -> dict[tuple[Any, Any, int], dict[str, Any]]:
    """Return the last record per (offer id, locale, line)."""
    return {(r["offer_id"], r["locale"], r["line"]): r for r in records}


def outputs(folder: Path) -> dict[str, bytes]:
    """Return the image files in ``folder`` by name (the manifest and inputs excluded)."""
    return {p.name: p.read_bytes() for p in folder.iterdir()
            if p.suffix in (".png", ".jpg", ".webp", ".avif") and p.is_file()}


def temp_files(folder: Path) -> list[str]:
    """Return the names of temp files left in ``folder``."""
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]
