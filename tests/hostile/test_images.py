"""Hostile backgrounds: pixel bombs, long animations, disguised, truncated and refused formats."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageFile

from offer_render.config import Limits, NetworkPolicy
from offer_render.errors import ResourceError
from offer_render.resources.background import load_background
from offer_render.resources.fetch import PolicyFetcher
from tests.conftest import LocalServer
from tests.hostile.helpers import within

UNSUPPORTED = "not an image in a supported format (PNG, JPEG, WebP, GIF or AVIF)"


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int, height: int) -> bytes:
    """Return a PNG whose IHDR claims ``width`` x ``height`` RGBA with a tiny IDAT (a few bytes)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    idat = zlib.compress(bytes(1 + 4 * 16))  # one short row: the header is what matters
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat)
            + _chunk(b"IEND", b""))


def many_frame_gif(frames: int) -> bytes:
    """Return a 2x2 GIF with ``frames`` frames, built by hand (about 25 bytes per frame)."""
    head = b"GIF89a" + struct.pack("<HHBBB", 2, 2, 0x80, 0, 0) + b"\xff\x00\x00\x00\x00\xff"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    # graphic control (delay 1), image descriptor 2x2, LZW min size 2, data for 4 pixels of 0
    frame = (b"\x21\xf9\x04\x00\x01\x00\x00\x00" + b"\x2c" + struct.pack("<HHHHB", 0, 0, 2, 2, 0)
             + b"\x02\x02\x84\x51\x00")
    return head + loop + frame * frames + b"\x3b"


def _saved(fmt: str, size: tuple[int, int] = (32, 24), **kw: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt, **kw)
    return out.getvalue()


def _load(server: LocalServer, fetcher: PolicyFetcher, name: str, data: bytes,
          size: tuple[int, int] = (40, 30)) -> Image.Image:
    (server.served_tmp / name).write_bytes(data)
    return load_background(server.url(f"/tmp/{name}"), fetcher=fetcher, width=size[0],
                           height=size[1], limits=Limits(fetch_timeout=2.0))


def test_png_claiming_16384_squared_is_refused_before_decoding(
    http_server: LocalServer, fetcher: PolicyFetcher
) -> None:
    data = png_bomb(16384, 16384)
    assert len(data) < 200
    with within(1.0), pytest.raises(ResourceError) as err:
        _load(http_server, fetcher, "bomb16k.png", data)
    assert err.value.field == "background_url"
    assert "more pixels than the limit of 50,000,000" in err.value.reason


def test_png_over_our_pixel_limit_but_under_pillows_is_refused(
    http_server: LocalServer, fetcher: PolicyFetcher
) -> None:
    with within(1.0), pytest.raises(ResourceError, match="8000x8000 = 64,000,000 pixels"):
        _load(http_server, fetcher, "bomb8k.png", png_bomb(8000, 8000))


def test_gif_with_10000_frames_draws_its_first_frame_fast(
    http_server: LocalServer, fetcher: PolicyFetcher
) -> None:
    data = many_frame_gif(10_000)
    with within(2.0):
        image = _load(http_server, fetcher, "frames.gif", data)
    assert image.size == (40, 30)
    assert image.getpixel((20, 15)) == (255, 0, 0, 255)  # palette index 0 is red


def test_png_that_is_really_a_jpeg_is_decoded_by_content(
    http_server: LocalServer, fetcher: PolicyFetcher
) -> None:
    # Decision: formats are sniffed from the bytes, as browsers do; the name and the
    # Content-Type do not matter as long as the real format is an allowed one.
    with within(2.0):
        image = _load(http_server, fetcher, "photo-really-jpeg.png", _saved("JPEG"))
    assert image.size == (40, 30)
    r, g, b, a = image.getpixel((20, 15))  # type: ignore[misc]
    assert (r > 180, g < 60, b < 60, a) == (True, True, True, 255)


def test_png_that_is_really_a_bmp_is_refused(
    http_server: LocalServer, fetcher: PolicyFetcher
) -> None:
    with within(1.0), pytest.raises(ResourceError, match="not an image in a supported format"):
        _load(http_server, fetcher, "really-bmp.png", _saved("BMP"))


def test_truncated_jpeg_is_an_error_not_half_an_image(
    http_server: LocalServer, fetcher: PolicyFetcher
) -> None:
    full = _saved("JPEG", (400, 300), quality=95)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    with within(1.0), pytest.raises(ResourceError) as err:
        _load(http_server, fetcher, "truncated.jpg", full[: len(full) // 2], size=(400, 300))
    assert "cannot decode the JPEG data" in err.value.reason
    assert "truncated" in err.value.reason


def test_truncated_png_is_an_error(http_server: LocalServer, fetcher: PolicyFetcher) -> None:
    full = _saved("PNG", (300, 200))
    with within(1.0), pytest.raises(ResourceError, match="cannot (decode|read)"):
        _load(http_server, fetcher, "truncated.png", full[: len(full) // 2])


PSD_HEADER = b"8BPS\x00\x01" + bytes(6) + struct.pack(">HIIHH", 3, 24, 32, 8, 3) + bytes(64)
EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 32 24\nshowpage\n%%EOF\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="32" height="24"><rect width="32"/></svg>'


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("bmp", lambda: _saved("BMP")),
        ("tiff", lambda: _saved("TIFF")),
        ("psd", lambda: PSD_HEADER),
        ("ico", lambda: _saved("ICO", (32, 32))),
        ("eps", lambda: EPS),
        ("svg", lambda: SVG),
        ("random", lambda: os.urandom(4096)),
        ("empty", lambda: b""),
    ],
)
def test_format_outside_the_allowed_list_is_refused(
    http_server: LocalServer, fetcher: PolicyFetcher, name: str, make: object
) -> None:
    data = make()  # type: ignore[operator]
    with within(1.0), pytest.raises(ResourceError) as err:
        _load(http_server, fetcher, f"refused.{name}", data)
    assert err.value.reason == UNSUPPORTED
    assert str(err.value).startswith("background_url: ")


def test_background_over_the_byte_cap_is_refused(
    http_server: LocalServer, served_tmp: Path
) -> None:
    (served_tmp / "huge.png").write_bytes(_saved("PNG") + bytes(50_000))
    fetcher = PolicyFetcher(NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"})),
                            Limits(fetch_timeout=2.0), "offer-render-tests")
    with within(1.0), pytest.raises(ResourceError, match="background is larger than the limit"):
        load_background(http_server.url("/tmp/huge.png"), fetcher=fetcher, width=10, height=10,
                        limits=Limits(max_background_bytes=20_000))
