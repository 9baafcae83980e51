"""Compare renders with reference PNGs under ``tests/golden/`` within an explicit tolerance.

On a mismatch the expected, actual and diff images go to ``tests/output/``
(ignored by git). ``OFFER_RENDER_REGEN=1`` rewrites the references instead.
"""

from __future__ import annotations

import os
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageChops

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden"
OUTPUT_DIR = Path(__file__).resolve().parents[1] / "output"
MAX_CHANNEL_DIFF = 2
"""Largest per-channel difference allowed at any pixel (FreeType or codec noise)."""
MAX_MEAN_DIFF = 0.05
"""Largest mean absolute difference over all channels and pixels."""


def regenerate() -> bool:
    """Return whether the references are being rewritten (``OFFER_RENDER_REGEN=1``)."""
    return os.environ.get("OFFER_RENDER_REGEN") == "1"


def assert_golden(name: str, image_bytes: bytes) -> None:
    """Assert that the decoded ``image_bytes`` match ``tests/golden/<name>.png``."""
    actual = Image.open(BytesIO(image_bytes))
    actual.load()
    actual = actual.convert("RGBA")
    ref_path = GOLDEN_DIR / f"{name}.png"
    if regenerate() or not ref_path.exists():
        if not regenerate():
            msg = f"no reference {ref_path}; run with OFFER_RENDER_REGEN=1"
            raise AssertionError(msg)
        GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
        actual.save(ref_path, optimize=True)
        return
    expected = Image.open(ref_path).convert("RGBA")
    problem = None
    if expected.size != actual.size:
        problem = f"size {actual.size} != reference {expected.size}"
    else:
        diff = ImageChops.difference(expected, actual)
        extrema = diff.getextrema()
        worst = max(hi for _, hi in extrema)  # type: ignore[misc]
        hist = diff.histogram()
        total = sum(i % 256 * n for i, n in enumerate(hist))
        mean = total / (actual.width * actual.height * 4)
        if worst > MAX_CHANNEL_DIFF or mean > MAX_MEAN_DIFF:
            problem = f"max channel diff {worst}, mean {mean:.4f}"
    if problem:
        OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
        expected.save(OUTPUT_DIR / f"{name}.expected.png")
        actual.save(OUTPUT_DIR / f"{name}.actual.png")
        if expected.size == actual.size:
            amplified = ImageChops.difference(expected, actual).point(lambda v: min(255, v * 8))
            amplified.convert("RGB").save(OUTPUT_DIR / f"{name}.diff.png")
        msg = f"{name}: {problem}; images in {OUTPUT_DIR}"
        raise AssertionError(msg)
