"""Turn font bytes (TTF, OTF, TTC, WOFF, WOFF2) into sfnt data plus the facts layout needs.

:func:`load_font` returns a :class:`ParsedFont` (names, weight, style, axes, cmap,
metrics read as Chromium/Skia read them); :func:`make_face` turns one into a
:class:`~offer_render.resources.types.FontFace` for a requested weight and style.
Parsing is memoized by the sha256 of the bytes.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from dataclasses import dataclass
from typing import Any

import brotli  # type: ignore[import-untyped]
from fontTools.misc import sstruct
from fontTools.ttLib import TTCollection, TTFont
from fontTools.ttLib.woff2 import WOFF2DirectoryEntry, woff2DirectoryFormat, woff2DirectorySize

from offer_render.cache import process_cache
from offer_render.config import Limits
from offer_render.resources.types import FontFace, FontMetrics

SFNT_MAGICS = (b"\x00\x01\x00\x00", b"OTTO", b"true", b"typ1")
COLLECTION_MAGIC = b"ttcf"
WOFF_MAGIC = b"wOFF"
WOFF2_MAGIC = b"wOF2"
COLOR_TABLES = ("COLR", "CBDT", "sbix")
"""Tables FreeType draws in colour. An ``SVG `` table alone is not counted: FreeType
draws such fonts from their outlines, which they must also carry."""
MAX_SFNT_BYTES = Limits().max_sfnt_bytes
"""Default cap on an unpacked WOFF/WOFF2 font (``Limits.max_sfnt_bytes``), checked before
anything is inflated, so a compression bomb is refused with a clear error."""
BOLD_THRESHOLD = 600
"""Chromium's ``BoldThreshold()``: weights from here on are bold for synthesis."""

@dataclass(frozen=True)
class Axis:
    """One ``fvar`` axis: tag and its min, default and max values."""

    tag: str
    minimum: float
    default: float
    maximum: float

    def clamp(self, value: float) -> float:
        """Return ``value`` limited to the axis range."""
        return max(self.minimum, min(self.maximum, value))


@dataclass(frozen=True, eq=False)
class ParsedFont:
    """One face of a font file: decompressed sfnt bytes and what the engine reads from them."""

    data: bytes
    """Sfnt bytes (WOFF/WOFF2 unpacked; for a TTC, the whole collection)."""
    index: int
    sha256: str
    """Hex digest of ``data``."""
    flavor: str
    """Container the bytes came in: ``sfnt``, ``woff`` or ``woff2``."""
    family_names: tuple[str, ...]
    """Typographic family names (name ID 16), then legacy ones (ID 1), deduplicated."""
    full_names: tuple[str, ...]
    """Full names (ID 4) and PostScript names (ID 6), for ``local()``."""
    weight: int
    """OS/2 usWeightClass (1..1000), 400 without OS/2."""
    style: str
    """``normal``, ``italic`` or ``oblique`` from OS/2 fsSelection and head.macStyle."""
    axes: tuple[Axis, ...]
    cmap: frozenset[int]
    color_tables: frozenset[str]
    """Colour tables present (COLR, CPAL, CBDT, sbix, SVG )."""
    metrics: FontMetrics

    @property
    def family(self) -> str:
        """Return the preferred family name (ID 16 before ID 1)."""
        return self.family_names[0] if self.family_names else ""

    @property
    def color_glyphs(self) -> bool:
        """Return whether FreeType draws this face in colour."""
        return any(t in self.color_tables for t in COLOR_TABLES)

    def axis(self, tag: str) -> Axis | None:
        """Return the ``fvar`` axis called ``tag``, or None."""
        return next((a for a in self.axes if a.tag == tag), None)


def parsed_font_bytes(font: ParsedFont) -> int:
    """Return the memory a parsed font holds: its bytes and its cmap (for cache budgets)."""
    return 512 + len(font.data) + 64 * len(font.cmap)


def _face_bytes(face: FontFace) -> int:
    """Return the memory a face adds to its parsed font: mostly its coverage set."""
    return 512 + 64 * len(face.coverage)


_PARSED = process_cache("parsed_font", parsed_font_bytes)
_FACES = process_cache("font_face", _face_bytes)


def load_font(data: bytes, *, index: int = 0, digest: str | None = None) -> ParsedFont:
    """Return face ``index`` of the font in ``data``; ValueError("not a font: ...") if not one.

    Memoized by the sha256 of ``data`` (``digest``, when the caller knows it) and ``index``.
    """
    digest = digest or hashlib.sha256(data).hexdigest()
    return _PARSED.get_or_make((digest, index), lambda: _parse(data, index))


def memoized_font(digest: str, index: int = 0) -> ParsedFont | None:
    """Return the font :func:`load_font` parsed from bytes with sha256 ``digest``, if kept."""
    found: ParsedFont | None = _PARSED.get((digest, index))
    return found


def count_faces(data: bytes) -> int:
    """Return how many faces ``data`` holds (1 unless it is a collection)."""
    if data[:4] != COLLECTION_MAGIC:
        return 1
    try:
        return len(TTCollection(io.BytesIO(data), lazy=True))
    except Exception as exc:  # fontTools raises many types on garbage
        msg = f"not a font: bad collection header ({exc})"
        raise ValueError(msg) from None


def to_sfnt(data: bytes) -> tuple[bytes, str]:
    """Return ``data`` as sfnt (or TTC) bytes and the container it came in."""
    magic = data[:4]
    if magic in SFNT_MAGICS or magic == COLLECTION_MAGIC:
        return data, "sfnt"
    if magic not in (WOFF_MAGIC, WOFF2_MAGIC):
        msg = f"not a font: unknown signature {magic!r}"
        raise ValueError(msg)
    flavor = "woff" if magic == WOFF_MAGIC else "woff2"
    check_unpacked_size(data, flavor)
    try:
        font = TTFont(io.BytesIO(data), recalcBBoxes=False, recalcTimestamp=False)
        font.flavor = None
        out = io.BytesIO()
        font.save(out, reorderTables=False)
    except Exception as exc:  # fontTools raises many types on garbage
        msg = f"not a font: cannot unpack {flavor.upper()} ({exc})"
        raise ValueError(msg) from None
    return out.getvalue(), flavor


def check_unpacked_size(data: bytes, flavor: str, *, limit: int | None = None) -> None:
    """Raise ValueError("not a font: ...") if WOFF/WOFF2 ``data`` would unpack past ``limit``.

    ``limit`` defaults to :data:`MAX_SFNT_BYTES`. Both the declared sizes and the
    real compressed streams are checked, the streams with bounded output, so a
    bomb never gets inflated in full.
    """
    limit = MAX_SFNT_BYTES if limit is None else limit
    try:
        total = _woff_size(data, limit) if flavor == "woff" else _woff2_size(data, limit)
    except (struct.error, zlib.error, brotli.error, ValueError, KeyError) as exc:
        msg = f"not a font: cannot unpack {flavor.upper()} ({exc})"
        raise ValueError(msg) from None
    if total > limit:
        msg = f"not a font: {flavor.upper()} unpacks to more than {limit} bytes"
        raise ValueError(msg)


def _woff_size(data: bytes, limit: int) -> int:
    num_tables, _, total_sfnt = struct.unpack_from(">HHI", data, 12)
    if total_sfnt > limit:
        return int(total_sfnt)
    total = 0
    for i in range(num_tables):
        offset, comp_len, orig_len = struct.unpack_from(">III", data, 44 + 20 * i + 4)
        if comp_len < orig_len:
            stream = zlib.decompressobj()
            got = len(stream.decompress(data[offset:offset + comp_len], orig_len + 1))
            if got > orig_len:
                msg = "a table inflates past its declared size"
                raise ValueError(msg)
        total += orig_len
        if total > limit:
            break
    return total


def _woff2_size(data: bytes, limit: int) -> int:
    header: dict[str, int] = {}
    sstruct.unpack(woff2DirectoryFormat, data[:woff2DirectorySize], header)
    if header["totalSfntSize"] > limit:
        return header["totalSfntSize"]
    stream = io.BytesIO(data)
    stream.seek(woff2DirectorySize)
    declared = 0
    for _ in range(header["numTables"]):
        entry = WOFF2DirectoryEntry()
        entry.fromFile(stream)
        declared += entry.length
    if declared > limit:
        return declared
    compressed = stream.read(header["totalCompressedSize"])
    return max(declared, _brotli_size(compressed, limit + 1))


def _brotli_size(compressed: bytes, limit: int) -> int:
    """Return the inflated size of a brotli stream, counting no further than ``limit``."""
    inflater = brotli.Decompressor()
    total = len(inflater.process(compressed, output_buffer_limit=limit))
    while total < limit and not inflater.is_finished():
        chunk = inflater.process(b"", output_buffer_limit=limit - total)
        if not chunk:
            break
        total += len(chunk)
    return total


def _parse(data: bytes, index: int) -> ParsedFont:
    if len(data) < 12:
        msg = f"not a font: only {len(data)} bytes"
        raise ValueError(msg)
    sfnt, flavor = to_sfnt(data)
    faces = count_faces(sfnt)
    if not 0 <= index < faces:
        msg = f"not a font: face index {index} out of range (the file has {faces})"
        raise ValueError(msg)
    try:
        number = index if sfnt[:4] == COLLECTION_MAGIC else -1
        font = TTFont(io.BytesIO(sfnt), fontNumber=number, lazy=True, recalcBBoxes=False)
        return _facts(font, sfnt, index, flavor)
    except ValueError:
        raise
    except Exception as exc:  # fontTools raises many types on garbage
        msg = f"not a font: {type(exc).__name__}: {exc}"
        raise ValueError(msg) from None


def _facts(font: TTFont, sfnt: bytes, index: int, flavor: str) -> ParsedFont:
    missing = [t for t in ("head", "hhea", "cmap", "maxp") if t not in font]
    if missing:
        msg = f"not a font: missing table(s) {', '.join(missing)}"
        raise ValueError(msg)
    os2 = font["OS/2"] if "OS/2" in font else None
    cmap = font.getBestCmap()
    return ParsedFont(
        data=sfnt,
        index=index,
        sha256=hashlib.sha256(sfnt).hexdigest(),
        flavor=flavor,
        family_names=font_names(font, (16, 1)),
        full_names=font_names(font, (4, 6)),
        weight=weight_class(os2),
        style=font_style(font, os2),
        axes=font_axes(font),
        cmap=frozenset(cmap) if cmap else frozenset(),
        color_tables=frozenset(t for t in ("COLR", "CPAL", "CBDT", "sbix", "SVG ") if t in font),
        metrics=read_metrics(font),
    )


def font_names(font: TTFont, ids: tuple[int, ...]) -> tuple[str, ...]:
    """Return the distinct names with these name IDs, English records first."""
    if "name" not in font:
        return ()
    out: list[str] = []
    table = font["name"]
    for name_id in ids:
        # English (Windows or Mac) first, then any other language
        records = sorted(
            (r for r in table.names if r.nameID == name_id),
            key=lambda r: (r.langID not in (0x409, 0), r.platformID != 3),
        )
        for rec in records:
            try:
                text = rec.toUnicode().strip()
            except UnicodeDecodeError:
                continue
            if text and text not in out:
                out.append(text)
    return tuple(out)


def weight_class(os2: Any) -> int:
    """Return OS/2 usWeightClass as a CSS weight (400 without OS/2)."""
    if os2 is None:
        return 400
    w = int(os2.usWeightClass)
    if 1 <= w <= 9:  # some old fonts use a 1..9 scale, as FreeType and fontconfig know
        w *= 100
    return max(1, min(1000, w)) if w else 400


def font_style(font: TTFont, os2: Any) -> str:
    """Return ``oblique`` (fsSelection bit 9), ``italic`` (bit 0 or macStyle) or ``normal``."""
    fs_selection = int(os2.fsSelection) if os2 is not None else 0
    if fs_selection & (1 << 9):
        return "oblique"
    if fs_selection & 1 or int(font["head"].macStyle) & 2:
        return "italic"
    return "normal"


def font_axes(font: TTFont) -> tuple[Axis, ...]:
    """Return the ``fvar`` axes, () for a static font."""
    if "fvar" not in font:
        return ()
    return tuple(
        Axis(a.axisTag, float(a.minValue), float(a.defaultValue), float(a.maxValue))
        for a in font["fvar"].axes
    )


def read_metrics(font: TTFont) -> FontMetrics:
    """Return the face's vertical metrics in font units, as Skia on FreeType reads them.

    OS/2 typo metrics when fsSelection bit 7 (USE_TYPO_METRICS) is set; else
    hhea, and when hhea ascender and descender are both 0, FreeType's fallback:
    OS/2 typo metrics if non-zero, else usWinAscent/usWinDescent with no gap.
    """
    os2 = font["OS/2"] if "OS/2" in font else None
    asc, desc, gap = _vertical(font, os2)
    post = font["post"] if "post" in font else None
    return FontMetrics(
        units_per_em=int(font["head"].unitsPerEm),
        ascender=asc,
        descender=desc,
        line_gap=gap,
        underline_position=int(post.underlinePosition) if post is not None else 0,
        underline_thickness=int(post.underlineThickness) if post is not None else 0,
        strikeout_position=int(os2.yStrikeoutPosition) if os2 is not None else 0,
        strikeout_size=int(os2.yStrikeoutSize) if os2 is not None else 0,
        x_height=int(getattr(os2, "sxHeight", 0) or 0) if os2 is not None else 0,
    )


def _vertical(font: TTFont, os2: Any) -> tuple[int, int, int]:
    if os2 is not None and int(os2.fsSelection) & (1 << 7):
        return int(os2.sTypoAscender), -int(os2.sTypoDescender), int(os2.sTypoLineGap)
    hhea = font["hhea"]
    asc, desc, gap = int(hhea.ascent), int(hhea.descent), int(hhea.lineGap)
    if asc or desc or os2 is None:
        return asc, -desc, gap
    if os2.sTypoAscender or os2.sTypoDescender:
        return int(os2.sTypoAscender), -int(os2.sTypoDescender), int(os2.sTypoLineGap)
    return int(os2.usWinAscent), int(os2.usWinDescent), 0


def make_face(
    parsed: ParsedFont,
    *,
    family: str,
    weight: int | tuple[int, int],
    style: str,
    source: str,
    origin: str,
    unicode_ranges: tuple[tuple[int, int], ...] | None,
    requested_weight: int,
    requested_style: str,
    optical_size: float | None = None,
    provider: str = "",
) -> FontFace:
    """Return the face ``parsed`` draws for a requested weight and style.

    ``weight`` (one value or an inclusive range) and ``style`` describe the face
    as its @font-face rule or installed-font entry does. A ``wght`` axis is set
    to ``requested_weight`` clamped to that range and to the axis; ``ital``/``slnt``
    are set when italic or oblique is asked and the axis exists. Bold and italic
    are synthesized as Chromium does: bold when ``requested_weight >= 600`` and the
    face's weight range stays below 600; italic when slanted is asked, the face is
    upright and no ``ital``/``slnt`` axis can slant it. An ``opsz`` axis is set to
    ``optical_size`` (the font size in CSS px), as ``font-optical-sizing: auto`` does
    in browsers. Memoized on the arguments.
    """
    lo, hi = (weight, weight) if isinstance(weight, int) else weight
    if parsed.axis("opsz") is None:
        optical_size = None  # one face for every size: the memo and caches stay shared
    key = (parsed.sha256, parsed.index, family, lo, hi, style, source, origin, unicode_ranges,
           requested_weight, requested_style, optical_size, provider)
    return _FACES.get_or_make(key, lambda: _build_face(
        parsed, family=family, weight_range=(lo, hi), style=style, source=source,
        origin=origin, provider=provider, unicode_ranges=unicode_ranges,
        requested_weight=requested_weight,
        requested_style=requested_style, optical_size=optical_size))


def _build_face(
    parsed: ParsedFont,
    *,
    family: str,
    weight_range: tuple[int, int],
    style: str,
    source: str,
    origin: str,
    provider: str,
    unicode_ranges: tuple[tuple[int, int], ...] | None,
    requested_weight: int,
    requested_style: str,
    optical_size: float | None,
) -> FontFace:
    lo, hi = weight_range
    drawn_weight = max(lo, min(hi, requested_weight))
    variation = _variation(parsed, drawn_weight, requested_style, optical_size)
    wght = dict(variation).get("wght")
    slanted = requested_style in ("italic", "oblique")
    can_slant = parsed.axis("ital") is not None or parsed.axis("slnt") is not None
    synthetic_bold = requested_weight >= BOLD_THRESHOLD and hi < BOLD_THRESHOLD
    synthetic_italic = slanted and style == "normal" and not can_slant
    return FontFace(
        key=_face_key(parsed, variation, synthetic_bold, synthetic_italic),
        family=family,
        weight=round(wght) if wght is not None else drawn_weight,
        style=style,
        source=source,
        origin=origin,
        provider=provider,
        data=parsed.data,
        index=parsed.index,
        metrics=parsed.metrics,
        coverage=_coverage(parsed.cmap, unicode_ranges),
        variation=variation,
        synthetic_bold=synthetic_bold,
        synthetic_italic=synthetic_italic,
        color_glyphs=parsed.color_glyphs,
    )


def _variation(
    parsed: ParsedFont, weight: int, requested_style: str, optical_size: float | None
) -> tuple[tuple[str, float], ...]:
    out: list[tuple[str, float]] = []
    wght = parsed.axis("wght")
    if wght is not None:
        out.append(("wght", wght.clamp(float(weight))))
    opsz = parsed.axis("opsz")
    if opsz is not None and optical_size is not None:
        out.append(("opsz", opsz.clamp(float(optical_size))))
    if requested_style in ("italic", "oblique"):
        ital, slnt = parsed.axis("ital"), parsed.axis("slnt")
        if ital is not None:
            out.append(("ital", ital.clamp(1.0)))
        elif slnt is not None:
            # slnt is counter-clockwise degrees: CSS oblique 14deg leans right, so -14
            out.append(("slnt", slnt.clamp(-14.0)))
    return tuple(out)


def _face_key(
    parsed: ParsedFont, variation: tuple[tuple[str, float], ...], bold: bool, italic: bool
) -> str:
    """Return ``sha256:index[:wght=700,...][:synthetic-bold][:synthetic-italic]``.

    The synthesis flags are part of the key: the same outlines drawn emboldened
    or skewed are different glyph images for any cache keyed on it.
    """
    parts = [parsed.sha256, str(parsed.index)]
    if variation:
        parts.append(",".join(f"{tag}={value:g}" for tag, value in variation))
    parts += [flag for flag, on in (("synthetic-bold", bold), ("synthetic-italic", italic)) if on]
    return ":".join(parts)


def _coverage(cmap: frozenset[int], ranges: tuple[tuple[int, int], ...] | None) -> frozenset[int]:
    if ranges is None:
        return cmap
    return frozenset(cp for cp in cmap if any(lo <= cp <= hi for lo, hi in ranges))


