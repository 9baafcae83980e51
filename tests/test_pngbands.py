"""PNG written in bands: spliced output is byte for byte the whole image encoded, and exact."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageOps

from offer_render.cache import BoundedCache
from offer_render.encode import encode
from offer_render.encode.pngbands import (
    EncodedBandsCache,
    _adler32_combine,
    encode_png,
    encode_png_spliced,
    encoded_bands_bytes,
)
from tests.test_jpegsplice import CASES, FIXTURES, rect, renderer, template


def bands_cache() -> EncodedBandsCache:
    return BoundedCache(64 * 1024 * 1024, encoded_bands_bytes)


def transparent_background(tmp_path: Path) -> Path:
    (tmp_path / "backgrounds").mkdir(exist_ok=True)
    image = Image.new("RGBA", (300, 200), (20, 90, 160, 128))
    image.paste((200, 40, 40, 0), (0, 0, 150, 100))
    image.save(tmp_path / "backgrounds" / "a.png")
    return tmp_path


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("level", [0, 1, 6, 9])
def test_spliced_png_is_byte_for_byte_the_whole_image_encoded(name: str, level: int) -> None:
    tpl, options = CASES[name]
    r = renderer()
    painted = r.paint(tpl, **options)
    spliced = encode_png_spliced(painted.composition, level=level, cache=bands_cache())
    assert spliced is not None
    whole = encode(painted.image, "png", png_compress_level=level)
    assert spliced == whole
    decoded = Image.open(io.BytesIO(whole))
    assert decoded.mode == painted.image.mode
    assert decoded.tobytes() == painted.image.tobytes()


@pytest.mark.parametrize("background", ["none", "translucent"])
def test_canvases_with_transparency_splice_too(background: str, tmp_path: Path) -> None:
    r = renderer(transparent_background(tmp_path))
    tpl = template(300, 200, rect(10, content="Cat"), rect(120, color="#FF000080"),
                   bg="a.png")
    if background == "none":
        del tpl["background_url"]
    painted = r.paint(tpl)
    assert painted.image.mode == "RGBA"
    spliced = encode_png_spliced(painted.composition, level=1, cache=bands_cache())
    assert spliced == encode(painted.image, "png")
    assert Image.open(io.BytesIO(spliced)).tobytes() == painted.image.tobytes()
    assert r.render(tpl, format="png").data == spliced


def test_the_background_is_encoded_once_for_many_texts() -> None:
    r = renderer()
    cache = bands_cache()
    for i in range(5):
        painted = r.paint(template(300, 200, rect(20 + 30 * i, content=f"Offer {i}")))
        data = encode_png_spliced(painted.composition, level=1, cache=cache)
        assert data == encode(painted.image, "png")
    assert len(cache) == 1
    assert (cache.misses, cache.hits) == (1, 4)


@pytest.mark.parametrize("size", [(1, 1), (1, 40), (40, 1), (17, 33), (3, 16), (5, 17)])
@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_any_size_decodes_to_the_same_pixels(size: tuple[int, int], mode: str) -> None:
    image = Image.effect_noise(size, 80).convert(mode)
    if mode == "RGBA":
        image.putalpha(Image.effect_noise(size, 100))
    decoded = Image.open(io.BytesIO(encode_png(image, level=1)))
    decoded.load()
    assert (decoded.mode, decoded.size) == (mode, size)
    assert decoded.tobytes() == image.tobytes()


def test_a_photo_costs_little_more_than_pillows_own_png() -> None:
    photo = ImageOps.fit(Image.open(FIXTURES / "backgrounds" / "coffee.jpg").convert("RGB"),
                         (600, 400))
    ours = encode_png(photo, level=1)
    pillows = io.BytesIO()
    photo.save(pillows, "PNG", compress_level=1)
    assert len(ours) < 1.1 * len(pillows.getvalue())


@given(st.binary(max_size=5000), st.binary(max_size=70000))
def test_adler32_combine_matches_zlib(a: bytes, b: bytes) -> None:
    assert _adler32_combine(zlib.adler32(a), zlib.adler32(b), len(b)) == zlib.adler32(a + b)


@pytest.mark.parametrize("fmt", ["png", "jpeg"])
def test_a_background_met_once_is_not_coded_for_the_cache(fmt: str) -> None:
    r = renderer()
    splice = r.caches.splice
    cache = splice.png_bands if fmt == "png" else splice.jpeg_rows
    first = r.render(template(300, 200, rect(20, content="Once")), format=fmt).data
    assert len(cache) == 0  # a one-off background: the whole image was encoded
    second = r.render(template(300, 200, rect(60, content="Twice")), format=fmt).data
    assert len(cache) == 1  # met again: its bands are coded and kept
    third = r.render(template(300, 200, rect(20, content="Once")), format=fmt).data
    assert third == first  # spliced or whole, the same bytes
    assert second != first
