"""Load font bytes: facts and metrics of the real fixture fonts, WOFF/WOFF2/TTC, garbage, faces."""

from __future__ import annotations

import functools
import io
import struct
import zlib
from pathlib import Path

import brotli  # type: ignore[import-untyped]
import pytest
from fontTools.misc import sstruct
from fontTools.ttLib import TTCollection, TTFont
from fontTools.ttLib.woff2 import WOFF2DirectoryEntry, woff2DirectoryFormat, woff2DirectorySize

from offer_render.resources import fontfile
from offer_render.resources.fontfile import (
    ParsedFont,
    count_faces,
    load_font,
    make_face,
)
from offer_render.resources.types import FontMetrics

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "fonts"
BUNDLED = ROOT / "fonts"

RALEWAY = FIXTURES / "Raleway-VF.ttf"
RALEWAY_ITALIC = FIXTURES / "Raleway-Italic-VF.ttf"
DEJAVU_SANS = BUNDLED / "DejaVuSans.ttf"


def _load(path: Path) -> ParsedFont:
    return load_font(path.read_bytes())


@pytest.mark.parametrize(
    ("path", "family", "weight", "style", "axes"),
    [
        (RALEWAY, "Raleway", 100, "normal", (("wght", 100.0, 100.0, 900.0),)),
        (RALEWAY_ITALIC, "Raleway", 100, "italic", (("wght", 100.0, 100.0, 900.0),)),
        (FIXTURES / "PlayfairDisplay-VF.ttf", "Playfair Display", 400, "normal",
         (("wght", 400.0, 400.0, 900.0),)),
        (FIXTURES / "PlayfairDisplay-Italic-VF.ttf", "Playfair Display", 400, "italic",
         (("wght", 400.0, 400.0, 900.0),)),
        (DEJAVU_SANS, "DejaVu Sans", 400, "normal", ()),
        (BUNDLED / "DejaVuSans-Bold.ttf", "DejaVu Sans", 700, "normal", ()),
        (BUNDLED / "DejaVuSerif.ttf", "DejaVu Serif", 400, "normal", ()),
        (BUNDLED / "DejaVuSerif-Bold.ttf", "DejaVu Serif", 700, "normal", ()),
        (BUNDLED / "DejaVuSansMono.ttf", "DejaVu Sans Mono", 400, "normal", ()),
    ],
)
def test_font_facts(
    path: Path, family: str, weight: int, style: str,
    axes: tuple[tuple[str, float, float, float], ...],
) -> None:
    # Arrange / Act
    font = _load(path)
    # Assert
    assert (font.family, font.weight, font.style) == (family, weight, style)
    assert tuple((a.tag, a.minimum, a.default, a.maximum) for a in font.axes) == axes
    assert font.flavor == "sfnt"
    assert font.index == 0
    assert {ord("A"), ord("z"), ord(" ")} <= font.cmap
    assert not font.color_glyphs


def test_typographic_family_name_comes_first() -> None:
    # Arrange / Act: Raleway's legacy name (ID 1) is that of its default instance
    font = _load(RALEWAY)
    # Assert
    assert font.family_names == ("Raleway", "Raleway Thin")


@pytest.mark.parametrize(
    ("path", "metrics"),
    [
        # USE_TYPO_METRICS set: OS/2 typo metrics
        (RALEWAY, FontMetrics(1000, 940, 234, 0, -100, 50, 311, 50, 519)),
        (FIXTURES / "PlayfairDisplay-VF.ttf", FontMetrics(1000, 1082, 251, 0, -100, 20, 308, 20,
                                                          514)),
        # flag not set: hhea (the typo metrics 1556/492/410 are ignored); OS/2 v1: no x-height
        (DEJAVU_SANS, FontMetrics(2048, 1901, 483, 0, -40, 90, 530, 102, 0)),
        (BUNDLED / "DejaVuSerif-Bold.ttf", FontMetrics(2048, 1923, 483, 0, -40, 90, 530, 102, 0)),
    ],
)
def test_metrics_as_skia_reads_them(path: Path, metrics: FontMetrics) -> None:
    # Arrange / Act / Assert
    assert _load(path).metrics == metrics


def _edited(path: Path, tmp_path: Path, edit: str) -> bytes:
    font = TTFont(str(path))
    os2, hhea = font["OS/2"], font["hhea"]
    if edit in ("no-typo-flag", "hhea-zero", "hhea-typo-zero"):
        os2.fsSelection &= ~(1 << 7)
    if edit in ("hhea-zero", "hhea-typo-zero"):
        hhea.ascent = hhea.descent = 0
        hhea.lineGap = 77
    if edit == "hhea-typo-zero":
        os2.sTypoAscender = os2.sTypoDescender = 0
    out = tmp_path / f"{edit}.ttf"
    font.save(str(out))
    return out.read_bytes()


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ("none", (940, 234, 0)),
        ("no-typo-flag", (940, 234, 0)),  # hhea: same numbers in Raleway
        ("hhea-zero", (940, 234, 0)),  # FreeType falls back to the typo metrics
        ("hhea-typo-zero", (1154, 234, 0)),  # then to usWinAscent/usWinDescent, no gap
    ],
)
def test_vertical_metrics_fallbacks(tmp_path: Path, edit: str, expected: tuple[int, ...]) -> None:
    # Arrange
    data = _edited(RALEWAY, tmp_path, edit) if edit != "none" else RALEWAY.read_bytes()
    # Act
    m = load_font(data).metrics
    # Assert
    assert (m.ascender, m.descender, m.line_gap) == expected


def test_hhea_used_when_typo_flag_off(tmp_path: Path) -> None:
    # Arrange: make hhea differ from typo so the source is visible
    font = TTFont(str(RALEWAY))
    font["OS/2"].fsSelection &= ~(1 << 7)
    font["hhea"].ascent, font["hhea"].descent, font["hhea"].lineGap = 1000, -300, 50
    out = tmp_path / "hhea.ttf"
    font.save(str(out))
    # Act
    m = load_font(out.read_bytes()).metrics
    # Assert
    assert (m.ascender, m.descender, m.line_gap) == (1000, 300, 50)


@pytest.mark.parametrize("flavor", ["woff", "woff2"])
@pytest.mark.parametrize("path", [RALEWAY, BUNDLED / "DejaVuSansMono.ttf"])
def test_woff_and_woff2_load_like_the_sfnt(tmp_path: Path, flavor: str, path: Path) -> None:
    # Arrange: packed into tmp_path at test time with fontTools
    font = TTFont(str(path))
    font.flavor = flavor
    out = tmp_path / f"f.{flavor}"
    font.save(str(out))
    sfnt = _load(path)
    # Act
    packed = load_font(out.read_bytes())
    # Assert
    assert packed.flavor == flavor
    assert packed.data[:4] == b"\x00\x01\x00\x00"
    assert packed.cmap == sfnt.cmap
    assert packed.metrics == sfnt.metrics
    assert (packed.family, packed.weight, packed.style, packed.axes) == (
        sfnt.family, sfnt.weight, sfnt.style, sfnt.axes)


def test_collection_faces_by_index(tmp_path: Path) -> None:
    # Arrange
    ttc = TTCollection()
    ttc.fonts = [TTFont(str(DEJAVU_SANS)), TTFont(str(BUNDLED / "DejaVuSerif-Bold.ttf"))]
    buf = io.BytesIO()
    ttc.save(buf)
    data = buf.getvalue()
    # Act
    faces = [load_font(data, index=i) for i in range(count_faces(data))]
    # Assert
    assert [(f.family, f.weight, f.index) for f in faces] == [
        ("DejaVu Sans", 400, 0), ("DejaVu Serif", 700, 1)]
    with pytest.raises(ValueError, match="face index 2 out of range"):
        load_font(data, index=2)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "only 0 bytes"),
        (b"<html>not found</html>", "unknown signature"),
        (b"\x00\x01\x00\x00" + b"\x00" * 40, "not a font"),
        (b"wOFF" + b"\xff" * 60, "not a font: WOFF unpacks to more than"),
        (b"wOFF" + b"\x00" * 8 + b"\x00\x05" + b"\x00" * 20, "cannot unpack WOFF"),
        (b"wOF2" + b"\x00" * 60, "cannot unpack WOFF2"),
        (b"ttcf" + b"\x00" * 8, "not a font"),
        (DEJAVU_SANS.read_bytes()[:5000], "not a font"),
    ],
)
def test_garbage_is_rejected(data: bytes, message: str) -> None:
    # Arrange / Act / Assert
    with pytest.raises(ValueError, match=message):
        load_font(data)


def test_parsing_is_memoized() -> None:
    # Arrange
    data = DEJAVU_SANS.read_bytes()
    # Act
    first, second = load_font(data), load_font(bytes(data))
    # Assert
    assert first is second


# (face weight, face style, requested weight, requested style)
#   -> (drawn weight, variation, synthetic bold, synthetic italic)
@pytest.mark.parametrize(
    ("path", "weight", "style", "req_w", "req_s", "expected"),
    [
        (RALEWAY, (400, 400), "normal", 400, "normal", (400, (("wght", 400.0),), False, False)),
        (RALEWAY, (700, 700), "normal", 700, "normal", (700, (("wght", 700.0),), False, False)),
        (RALEWAY, (100, 900), "normal", 650, "normal", (650, (("wght", 650.0),), False, False)),
        # the rule says 400 only: wght stays 400 and bold is synthesized, as Chromium
        (RALEWAY, (400, 400), "normal", 700, "normal", (400, (("wght", 400.0),), True, False)),
        # the rule allows 950 but the axis stops at 900
        (RALEWAY, (100, 1000), "normal", 950, "normal", (900, (("wght", 900.0),), False, False)),
        # italic asked, upright face without ital/slnt axis: skewed
        (RALEWAY, (400, 400), "normal", 400, "italic", (400, (("wght", 400.0),), False, True)),
        (RALEWAY_ITALIC, (400, 400), "italic", 400, "italic",
         (400, (("wght", 400.0),), False, False)),
        (DEJAVU_SANS, 400, "normal", 400, "normal", (400, (), False, False)),
        (DEJAVU_SANS, 400, "normal", 600, "oblique", (400, (), True, True)),
        (DEJAVU_SANS, 400, "normal", 599, "normal", (400, (), False, False)),
        (BUNDLED / "DejaVuSans-Bold.ttf", 700, "normal", 900, "normal", (700, (), False, False)),
    ],
)
def test_make_face(
    path: Path, weight: int | tuple[int, int], style: str, req_w: int, req_s: str,
    expected: tuple[int, tuple[tuple[str, float], ...], bool, bool],
) -> None:
    # Arrange
    parsed = _load(path)
    # Act
    face = make_face(parsed, family="F", weight=weight, style=style, source=str(path),
                     origin="installed", unicode_ranges=None, requested_weight=req_w,
                     requested_style=req_s)
    # Assert
    assert (face.weight, face.variation, face.synthetic_bold, face.synthetic_italic) == expected
    assert face.coverage == parsed.cmap
    assert face.data is parsed.data
    assert face.metrics == parsed.metrics


def test_make_face_coverage_and_key() -> None:
    # Arrange
    parsed = _load(RALEWAY)
    args = {"family": "Raleway", "weight": (100, 900), "style": "normal", "source": "s",
            "origin": "stylesheet", "unicode_ranges": ((0x41, 0x5A),), "requested_style": "normal"}
    # Act
    bold = make_face(parsed, requested_weight=700, **args)  # type: ignore[arg-type]
    regular = make_face(parsed, requested_weight=400, **args)  # type: ignore[arg-type]
    again = make_face(parsed, requested_weight=700, **args)  # type: ignore[arg-type]
    # Assert
    assert bold.coverage == frozenset(range(0x41, 0x5B))
    assert bold.covers(ord("Q"))
    assert not bold.covers(ord("q"))
    assert bold.key == f"{parsed.sha256}:0:wght=700"
    assert regular.key != bold.key
    assert again is bold  # memoized: the same immutable face


def test_synthesis_flags_are_part_of_the_key() -> None:
    # Arrange
    parsed = _load(DEJAVU_SANS)
    common = {"family": "DejaVu Sans", "weight": 400, "style": "normal", "source": "s",
              "origin": "generic", "unicode_ranges": None}
    # Act
    plain = make_face(parsed, requested_weight=400, requested_style="normal", **common)  # type: ignore[arg-type]
    synth = make_face(parsed, requested_weight=700, requested_style="italic", **common)  # type: ignore[arg-type]
    # Assert
    assert plain.key == f"{parsed.sha256}:0"
    assert synth.key == f"{parsed.sha256}:0:synthetic-bold:synthetic-italic"


@functools.cache
def _packed(path: Path, flavor: str) -> bytes:
    """Return ``path`` packed as WOFF or WOFF2 (cached: brotli packing is slow)."""
    font = TTFont(str(path))
    font.flavor = flavor
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _woff2_with_stream(data: bytes, stream_data: bytes) -> bytes:
    """Return ``data`` (a WOFF2) with its brotli stream replaced and the header fixed up."""
    header: dict[str, int] = {}
    sstruct.unpack(woff2DirectoryFormat, data[:woff2DirectorySize], header)
    reader = io.BytesIO(data)
    reader.seek(woff2DirectorySize)
    for _ in range(header["numTables"]):
        WOFF2DirectoryEntry().fromFile(reader)
    start = reader.tell()
    body = data[:start] + stream_data
    header.update(length=len(body), totalCompressedSize=len(stream_data), metaOffset=0,
                  metaLength=0, metaOrigLength=0, privOffset=0, privLength=0)
    return bytes(sstruct.pack(woff2DirectoryFormat, header)) + body[woff2DirectorySize:]


def _woff_with_bomb(data: bytes, inflated: int) -> bytes:
    """Return ``data`` (a WOFF) whose largest table's stream inflates to ``inflated`` bytes."""
    (num_tables,) = struct.unpack_from(">H", data, 12)
    entries = [44 + 20 * i for i in range(num_tables)]
    entry = max(entries, key=lambda e: struct.unpack_from(">I", data, e + 8)[0])
    offset, _, orig_len = struct.unpack_from(">III", data, entry + 4)
    bomb = zlib.compress(b"\0" * inflated, 9)
    assert len(bomb) < orig_len < inflated  # the declared sizes stay plausible
    patched = bytearray(data)
    patched[offset:offset + len(bomb)] = bomb
    struct.pack_into(">I", patched, entry + 8, len(bomb))
    return bytes(patched)


@pytest.mark.parametrize("flavor", ["woff", "woff2"])
def test_declared_unpacked_size_is_capped(monkeypatch: pytest.MonkeyPatch, flavor: str) -> None:
    # Arrange: a real font whose unpacked size (~340 KB) exceeds a lowered cap
    data = _packed(BUNDLED / "DejaVuSansMono.ttf", flavor)
    monkeypatch.setattr(fontfile, "MAX_SFNT_BYTES", 100_000)
    # Act / Assert
    with pytest.raises(ValueError, match="unpacks to more than 100000 bytes"):
        load_font(data)


def test_woff2_brotli_bomb_is_refused_without_inflating_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Arrange: the declared sizes are small, the brotli stream inflates to 8 MB
    data = _packed(BUNDLED / "DejaVuSansMono.ttf", "woff2")
    bomb = _woff2_with_stream(data, brotli.compress(b"\0" * 8_000_000, quality=1))
    monkeypatch.setattr(fontfile, "MAX_SFNT_BYTES", 1_000_000)
    header: dict[str, int] = {}
    sstruct.unpack(woff2DirectoryFormat, bomb[:woff2DirectorySize], header)
    assert header["totalSfntSize"] < 1_000_000  # only the stream itself gives it away
    # Act / Assert
    with pytest.raises(ValueError, match="unpacks to more than 1000000 bytes"):
        load_font(bomb)


def test_woff_zlib_bomb_is_refused() -> None:
    # Arrange: a table whose zlib stream inflates far past its declared origLength
    data = _packed(BUNDLED / "DejaVuSansMono.ttf", "woff")
    # Act / Assert
    with pytest.raises(ValueError, match="inflates past its declared size"):
        load_font(_woff_with_bomb(data, 4_000_000))


@pytest.mark.parametrize(
    ("size", "opsz"), [(9, 9.0), (18, 18.0), (64, 64.0), (3, 6.0), (200, 72.0)]
)
def test_opsz_follows_the_font_size_within_the_axis(size: float, opsz: float) -> None:
    # Arrange: Newsreader has opsz 6..72 (font-optical-sizing: auto sets it to the size)
    parsed = _load(FIXTURES / "Newsreader-VF.ttf")
    # Act
    face = make_face(parsed, family="Newsreader", weight=(200, 800), style="normal",
                     source="s", origin="stylesheet", unicode_ranges=None,
                     requested_weight=400, requested_style="normal", optical_size=size)
    # Assert
    assert face.variation == (("wght", 400.0), ("opsz", opsz))
    assert face.key.endswith(f":wght=400,opsz={opsz:g}")


def test_a_font_without_opsz_is_one_face_for_every_size() -> None:
    parsed = _load(RALEWAY)
    args = {"family": "Raleway", "weight": (100, 900), "style": "normal", "source": "s",
            "origin": "stylesheet", "unicode_ranges": None, "requested_weight": 400,
            "requested_style": "normal"}
    small = make_face(parsed, optical_size=9, **args)  # type: ignore[arg-type]
    large = make_face(parsed, optical_size=64, **args)  # type: ignore[arg-type]
    assert small is large
    assert small.variation == (("wght", 400.0),)
