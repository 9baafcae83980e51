"""JPEG output spliced from the background's encoded rows is byte for byte a whole encode."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from offer_render import NetworkPolicy, Renderer, RendererConfig
from offer_render.cache import BoundedCache
from offer_render.encode import encode
from offer_render.encode.jpegsplice import (
    EncodedRows,
    EncodedRowsCache,
    encode_spliced,
    encoded_rows_bytes,
)
from offer_render.raster.composition import Composition

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
WHITE = (255, 255, 255, 255)


def renderer(base_dir: Path = FIXTURES) -> Renderer:
    policy = NetworkPolicy(offline=True, allow_local_files=True, base_dir=base_dir)
    return Renderer(RendererConfig(network=policy, cache_dir=None))


def rect(top: int, **kw: Any) -> dict[str, Any]:
    base = {"name": "t", "content": "Coffee week: -50%", "width": 280, "height": 60,
            "offset_left": 10, "offset_top": top, "padding": 4, "color": "#FFFFFF",
            "font_size": 28, "font_family": "DejaVu Sans", "font_url": None,
            "text_align": "left"}
    return base | kw


def template(width: int, height: int, *rects: dict[str, Any], bg: str = "coffee.jpg") -> dict:
    return {"width": width, "height": height, "background_url": f"backgrounds/{bg}",
            "rectangles": list(rects)}


def rows_cache() -> EncodedRowsCache:
    return BoundedCache(64 * 1024 * 1024, encoded_rows_bytes)


CASES = {
    # name: (template, render options)
    "text at the very top": (template(300, 200, rect(-6)), {}),
    "text on the last, partial MCU row": (template(301, 517, rect(470, height=47)), {}),
    "two rectangles sharing MCU rows": (
        template(400, 300, rect(100), rect(110, offset_left=150, color="#00000099")), {}),
    "text spanning everything": (
        template(300, 160, rect(0, height=160, font_size=40,
                                content="Long text that wraps onto every line of the box")), {}),
    "scale 2": (template(300, 200, rect(60)), {"scale": 2}),
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("quality", [None, 1, 4, 55, 100])
def test_spliced_jpeg_is_byte_for_byte_the_whole_image_encoded(name: str, quality: int) -> None:
    tpl, options = CASES[name]
    r = renderer()
    painted = r.paint(tpl, **options)
    cache = rows_cache()
    spliced = encode_spliced(painted.composition, quality=quality or 90, subsampling="4:2:0",
                             matte=WHITE, cache=cache)
    assert spliced is not None, "an opaque photo background must take the splicing path"
    whole = encode(painted.image, "jpeg", quality=quality)
    assert spliced == whole
    assert r.render(tpl, format="jpeg", quality=quality, **options).data == whole


def test_the_background_is_encoded_once_for_many_texts() -> None:
    r = renderer()
    cache = rows_cache()
    outputs = set()
    for i in range(5):
        painted = r.paint(template(300, 200, rect(20 + 30 * i, content=f"Offer {i}")))
        data = encode_spliced(painted.composition, quality=90, subsampling="4:2:0",
                              matte=WHITE, cache=cache)
        assert data == encode(painted.image, "jpeg")
        outputs.add(data)
    assert len(outputs) == 5
    assert len(cache) == 1
    assert (cache.misses, cache.hits) == (1, 4)


def test_every_jpeg_has_a_restart_marker_after_each_mcu_row() -> None:
    data = renderer().render(template(300, 200, rect(60)), format="jpeg").data
    assert b"\xff\xdd\x00\x04" in data  # DRI segment
    scan = data[data.index(b"\xff\xda"):]
    markers = sum(scan.count(bytes((0xFF, 0xD0 + i))) for i in range(8))
    assert markers == 200 // 16  # 13 MCU rows, a marker between each two
    assert Image.open(io.BytesIO(data)).size == (300, 200)


@pytest.mark.parametrize("background", ["none", "translucent"])
def test_canvases_with_transparency_are_flattened_and_spliced(
    background: str, tmp_path: Path
) -> None:
    (tmp_path / "backgrounds").mkdir()
    Image.new("RGBA", (200, 120), (20, 90, 160, 128)).save(tmp_path / "backgrounds" / "a.png")
    r = renderer(tmp_path)
    tpl = template(200, 120, rect(10, content="Cat"), rect(60, color="#FF000080"), bg="a.png")
    if background == "none":
        del tpl["background_url"]
    painted = r.paint(tpl)
    assert not painted.composition.opaque
    cache = rows_cache()
    spliced = encode_spliced(painted.composition, quality=90, subsampling="4:2:0",
                             matte=(255, 255, 255, 255), cache=cache)
    assert spliced is not None
    assert spliced == encode(painted.image, "jpeg")
    assert r.render(tpl, format="jpeg").data == spliced
    # flattened onto white: a transparent corner is white, the translucent blue is lighter
    corner = Image.open(io.BytesIO(spliced)).convert("RGB").getpixel((199, 119))
    assert isinstance(corner, tuple)
    if background == "none":
        assert min(corner) >= 250
    else:
        assert corner[2] > corner[0] + 60


def test_rows_coded_with_other_tables_are_never_spliced() -> None:
    painted = renderer().paint(template(300, 200, rect(60)))
    comp = painted.composition
    cache = rows_cache()
    # Remember the background as coded at quality 50, under the key for quality 90.
    other = rows_cache()
    encode_spliced(comp, quality=50, subsampling="4:2:0", matte=WHITE, cache=other)
    ((key, (wrong, _)),) = other._items.items()  # noqa: SLF001 - the one stored value
    cache.put((key[0], 90, "4:2:0", WHITE), wrong)
    assert encode_spliced(comp, quality=90, subsampling="4:2:0", matte=WHITE, cache=cache) is None


def test_a_file_that_does_not_cut_turns_splicing_off() -> None:
    comp = renderer().paint(template(300, 200, rect(60))).composition
    cache = rows_cache()
    cache.put((comp.background_key, 90, "4:2:0", WHITE), EncodedRows(b"", 0, ()))
    assert encode_spliced(comp, quality=90, subsampling="4:2:0", matte=WHITE, cache=cache) is None


@pytest.mark.parametrize("opaque", [True, False])
def test_any_band_of_rows_is_the_same_pixels_as_the_whole_image(opaque: bool) -> None:
    r = renderer()
    tpl = template(300, 200, rect(20), rect(70, content="Second line of text", font_size=20),
                   rect(120, content="Third", color="#FF000080"))
    if not opaque:
        del tpl["background_url"]
    comp: Composition = r.paint(tpl).composition
    assert comp.opaque is opaque
    whole = comp.image()
    for top, bottom in [(0, 200), (0, 1), (15, 33), (25, 95), (64, 130), (199, 200), (150, 260)]:
        expected = whole.crop((0, top, 300, min(200, bottom)))
        assert comp.rows(top, bottom).tobytes() == expected.tobytes(), (top, bottom)
    spans = comp.inked_rows()
    assert spans == sorted(spans)
    assert all(a[1] < b[0] for a, b in zip(spans, spans[1:], strict=False))
    for p in comp.placed:
        assert any(top <= p.y and p.bottom <= bottom for top, bottom in spans)
