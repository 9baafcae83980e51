"""Take a fontconfig file and engine warnings; return which characters each side could draw.

"Missing glyphs where Chromium drew the glyph" compares the engine's
``missing_glyphs`` warnings with what Chromium could draw: a character the engine
drew as a missing glyph (tofu) counts against it when Chromium drew a real glyph for
it, or drew nothing because the character is default-ignorable (a variation
selector, a zero width space: Chromium never shows tofu for those). Chromium on Linux draws
a character with the first font of fontconfig's sorted list whose charset has it
(ui/gfx/font_fallback_linux.cc, ``CachedFontSet::GetFallbackFontForChar``), and
draws tofu only when no font the configuration accepts has it. So the union of the
charsets of every font ``fc-list`` gives under the check's configuration is the set
of characters Chromium draws with a real glyph. Asking fontconfig is exact and
needs one call; rendering each character in Chromium against a font without glyphs
and comparing pixels would depend on what the notdef box looks like in whichever
font ends the list.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from fontTools.ttLib import TTFont

from offer_render.diagnostics import RenderWarning

DEFAULT_IGNORABLE: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160),
    (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
"""Default_Ignorable_Code_Point (Unicode 15, DerivedCoreProperties.txt): drawn as
nothing when no font has them (Unicode 15 section 5.21), never as tofu."""


def is_default_ignorable(char: str) -> bool:
    """Return whether ``char`` is a Default_Ignorable_Code_Point."""
    cp = ord(char)
    return any(lo <= cp <= hi for lo, hi in DEFAULT_IGNORABLE)


def tofu_chromium_avoids(missing: str, coverage: frozenset[int]) -> str:
    """Return the characters of ``missing`` Chromium draws without tofu under ``coverage``."""
    return "".join(c for c in missing if ord(c) in coverage or is_default_ignorable(c))


def parse_charset(text: str) -> set[int]:
    """Return the code points of a fontconfig charset as ``fc-list`` prints it (``20-7e a0``)."""
    out: set[int] = set()
    for token in text.split():
        lo, _, hi = token.partition("-")
        out.update(range(int(lo, 16), int(hi or lo, 16) + 1))
    return out


def fontconfig_coverage(config: Path) -> frozenset[int]:
    """Return every code point some font has under the fontconfig file ``config``."""
    env = {**os.environ, "FONTCONFIG_FILE": str(config.resolve())}
    result = subprocess.run(["fc-list", "--format", "%{charset}\n"], env=env, check=True,
                            capture_output=True, text=True)
    covered: set[int] = set()
    for line in result.stdout.splitlines():
        covered |= parse_charset(line)
    return frozenset(covered)


def font_coverage(paths: list[Path]) -> frozenset[int]:
    """Return every code point the cmaps of the font files ``paths`` map."""
    covered: set[int] = set()
    for path in paths:
        covered.update(TTFont(path, lazy=True).getBestCmap())
    return frozenset(covered)


def missing_chars(warnings: list[RenderWarning], rect: int) -> str:
    """Return the characters the engine drew as missing glyphs in rectangle ``rect`` (the
    ``characters`` of its ``missing_glyphs`` warnings)."""
    chars = "".join(w.characters for w in warnings
                    if w.code == "missing_glyphs" and w.rect == rect)
    return "".join(dict.fromkeys(chars))