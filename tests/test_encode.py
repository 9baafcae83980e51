"""Test the encoders: each format round-trips, JPEG is flattened on white, bytes are stable."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from offer_render.encode import FORMATS, encode, normalize_format
from offer_render.errors import InvalidInputError

PIL_NAMES = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP", "avif": "AVIF"}


def sample(size: tuple[int, int] = (64, 48)) -> Image.Image:
    """Return an RGBA image with a gradient, a half-transparent band and a clear corner."""
    grad = Image.linear_gradient("L").resize(size)
    im = Image.merge("RGBA", (grad, grad.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                              Image.new("L", size, 80), Image.new("L", size, 255)))
    im.paste((200, 30, 30, 128), (0, 10, size[0], 20))
    im.paste((0, 0, 0, 0), (0, 0, 8, 8))
    return im


def decode(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_size_and_format(fmt: str) -> None:
    data = encode(sample(), fmt)

    im = decode(data)
    assert im.format == PIL_NAMES[fmt]
    assert im.size == (64, 48)
    assert im.mode == ("RGB" if fmt == "jpeg" else "RGBA")


@pytest.mark.parametrize("fmt", FORMATS)
def test_byte_identical_twice(fmt: str) -> None:
    first = encode(sample((300, 200)), fmt)
    second = encode(sample((300, 200)), fmt)

    assert first == second


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_metadata_written(fmt: str) -> None:
    im = sample()
    im.info["icc_profile"] = b"profile that must not be written"
    im.info["exif"] = b"Exif\0\0junk"
    im.info["dpi"] = (300, 300)

    data = encode(im, fmt)

    assert b"profile that must not be written" not in data
    out = decode(data)
    assert "icc_profile" not in out.info or not out.info["icc_profile"]
    assert not out.getexif()
    assert "dpi" not in out.info
    assert im.info["dpi"] == (300, 300)  # the caller's image is left alone


def test_png_is_lossless() -> None:
    im = sample()

    assert decode(encode(im, "png")).tobytes() == im.tobytes()


def test_jpeg_flattened_onto_white() -> None:
    im = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    im.paste((0, 0, 255, 255), (16, 0, 32, 32))

    out = decode(encode(im, "jpeg"))

    r, g, b = out.getpixel((4, 16))  # type: ignore[misc]
    assert min(r, g, b) >= 250  # transparent became white, not black
    r, g, b = out.getpixel((28, 16))  # type: ignore[misc]
    assert b >= 240
    assert r <= 10


def test_jpeg_half_transparent_blends_with_white() -> None:
    im = Image.new("RGBA", (16, 16), (0, 0, 0, 128))

    r, g, b = decode(encode(im, "jpeg")).getpixel((8, 8))  # type: ignore[misc]

    assert all(abs(v - 127) <= 3 for v in (r, g, b))


def test_quality_changes_lossy_output() -> None:
    im = Image.effect_noise((96, 96), 60).convert("RGBA")

    for fmt in ("jpeg", "webp", "avif"):
        low, high = encode(im, fmt, quality=20), encode(im, fmt, quality=95)
        assert len(low) < len(high), fmt


def test_png_ignores_quality() -> None:
    assert encode(sample(), "png", quality=10) == encode(sample(), "png")


def test_opaque_rgb_stays_rgb_and_other_modes_become_rgba() -> None:
    rgb = Image.new("RGB", (8, 8), (10, 20, 30))
    grey = Image.new("L", (8, 8), 77)

    out = decode(encode(rgb, "png"))
    out_grey = decode(encode(grey, "png"))

    assert out.mode == "RGB"  # an opaque canvas needs no alpha channel
    assert out.getpixel((1, 1)) == (10, 20, 30)
    assert out_grey.mode == "RGBA"
    assert out_grey.getpixel((1, 1)) == (77, 77, 77, 255)


@pytest.mark.parametrize(
    ("name", "canonical"),
    [("png", "png"), ("PNG", "png"), ("jpg", "jpeg"), ("JPEG", "jpeg"), (" Jpg ", "jpeg"),
     (".webp", "webp"), ("AVIF", "avif")],
)
def test_normalize_format(name: str, canonical: str) -> None:
    assert normalize_format(name) == canonical


@pytest.mark.parametrize("name", ["bmp", "gif", "", "pngx", "tiff"])
def test_unknown_format_message(name: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        normalize_format(name)

    assert info.value.problems == (("format", "must be one of png, jpeg, webp, avif"),)
    assert str(info.value) == "format: must be one of png, jpeg, webp, avif"


@pytest.mark.parametrize("quality", [0, 101, -5, True])
def test_bad_quality_refused(quality: int) -> None:
    with pytest.raises(InvalidInputError, match="quality: must be an integer from 1 to 100"):
        encode(sample(), "jpeg", quality=quality)
