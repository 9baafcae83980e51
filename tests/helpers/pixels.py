"""Compare a rendered image with an ASCII pixel map, as WeasyPrint's ``assert_pixels`` does.

Each character of the map stands for one pixel: ``_`` transparent, ``#`` opaque
black ink, ``R`` opaque red, ``B`` opaque blue, ``W`` opaque white, ``z`` don't
care. Ink is judged by alpha (> 127 means ink), so maps stay readable.
"""

from __future__ import annotations

from PIL import Image

COLORS = {
    "_": (0, 0, 0, 0),
    "#": (0, 0, 0, 255),
    "R": (255, 0, 0, 255),
    "B": (0, 0, 255, 255),
    "W": (255, 255, 255, 255),
}


def parse_map(text: str) -> list[str]:
    """Return the map's rows, stripped of indentation and blank lines."""
    return [row.strip() for row in text.strip().splitlines() if row.strip()]


def _distance(char: str, rgb: tuple[int, int, int]) -> int:
    return sum(abs(p - q) for p, q in zip(COLORS[char][:3], rgb, strict=True))


def image_to_map(image: Image.Image) -> list[str]:
    """Return ``image`` as rows of map characters (closest colour, ``?`` for none)."""
    rgba = image.convert("RGBA")
    rows = []
    for y in range(rgba.height):
        row = []
        for x in range(rgba.width):
            r, g, b, a = rgba.getpixel((x, y))  # type: ignore[misc]
            if a <= 127:
                row.append("_")
                continue
            best = min((c for c in COLORS if c != "_"), key=lambda c: _distance(c, (r, g, b)))
            dist = _distance(best, (r, g, b))
            row.append(best if dist < 60 else "?")
        rows.append("".join(row))
    return rows


def assert_pixels(image: Image.Image, expected: str) -> None:
    """Assert that ``image`` matches the pixel map ``expected`` (``z`` matches anything)."""
    want = parse_map(expected)
    got = image_to_map(image)
    assert (image.width, image.height) == (len(want[0]), len(want)), (
        f"size {image.width}x{image.height}, map {len(want[0])}x{len(want)}"
    )
    mismatch = [
        (x, y)
        for y, (w_row, g_row) in enumerate(zip(want, got, strict=True))
        for x, (w, g) in enumerate(zip(w_row, g_row, strict=True))
        if w != "z" and w != g
    ]
    if mismatch:
        shown = "\n".join(got)
        msg = f"{len(mismatch)} pixels differ, first at {mismatch[0]}:\n{shown}"
        raise AssertionError(msg)
