"""Test load_background over the real test server: cover-fit, orientation, colour, limits."""

from __future__ import annotations

import io
import struct
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PIL import Image, ImageChops, ImageStat

from offer_render.config import Limits
from offer_render.errors import ResourceError
from offer_render.resources.background import cover_fit, load_background
from offer_render.resources.fetch import PolicyFetcher

if TYPE_CHECKING:
    from conftest import LocalServer

Serve = Callable[[bytes, str], str]

RED, GREEN, BLUE = (255, 0, 0, 255), (0, 255, 0, 255), (0, 0, 255, 255)


@pytest.fixture
def serve(http_server: LocalServer, served_tmp: Path) -> Serve:
    """Return ``serve(data, name) -> url``: write bytes into the served folder, give their URL."""

    def put(data: bytes, name: str) -> str:
        (served_tmp / name).write_bytes(data)
        return http_server.url(f"/tmp/{name}")

    return put


def encoded(im: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **params)
    return out.getvalue()


def half(data: bytes) -> bytes:
    """Return the first half of ``data``: headers intact, pixel data cut off."""
    return data[: len(data) // 2]


def px(im: Image.Image, x: int, y: int) -> tuple[int, ...]:
    """Return the pixel at (x, y) as a tuple of channel values."""
    value = im.getpixel((x, y))
    assert isinstance(value, tuple)
    return tuple(int(v) for v in value)


def close_to(got: tuple[int, ...], want: tuple[int, ...], tol: int = 2) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(got, want, strict=True))


def bands(size: tuple[int, int], horizontal: bool) -> Image.Image:
    """Return an image in three bands red | green | blue, the middle one 35 % wide (or tall)."""
    w, h = size
    im = Image.new("RGBA", size, GREEN)
    long = w if horizontal else h
    cut1, cut2 = round(long * 0.325), round(long * 0.675)
    first = (0, 0, cut1, h) if horizontal else (0, 0, w, cut1)
    last = (cut2, 0, w, h) if horizontal else (0, cut2, w, h)
    im.paste(RED, first)
    im.paste(BLUE, last)
    return im


# --- geometry -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "horizontal", "target"),
    [
        ((400, 100), True, (50, 50)),  # 4:1 into a square: only the centre band shows
        ((100, 400), False, (60, 60)),  # 1:4 into a square
        ((400, 100), True, (30, 31)),  # odd target
    ],
)
def test_cover_fit_keeps_the_centre(
    serve: Serve,
    fetcher: PolicyFetcher,
    source: tuple[int, int],
    horizontal: bool,
    target: tuple[int, int],
) -> None:
    url = serve(encoded(bands(source, horizontal), "PNG"), f"bands-{source[0]}-{target[1]}.png")

    got = load_background(url, fetcher=fetcher, width=target[0], height=target[1], limits=Limits())

    assert got.size == target
    assert got.mode == "RGBA"
    colors = got.getcolors()
    assert colors is not None
    assert all(isinstance(c, tuple) and close_to(c, GREEN) for _, c in colors), colors


def test_cover_fit_scales_up_and_crops_the_long_side() -> None:
    # 20x10 red|blue halves into 40x40: scale 4, 10 source columns kept, centred.
    im = Image.new("RGBA", (20, 10), RED)
    im.paste(BLUE, (10, 0, 20, 10))

    got = cover_fit(im, 40, 40)

    assert got.size == (40, 40)
    assert close_to(px(got, 2, 20), RED)
    assert close_to(px(got, 37, 20), BLUE)


def test_exact_size_is_untouched() -> None:
    im = bands((30, 20), True)

    assert cover_fit(im, 30, 20) is im


def test_photo_fixtures_load(http_server: LocalServer, fetcher: PolicyFetcher) -> None:
    for name in ("coffee.jpg", "chelsea.png"):
        url = http_server.url(f"/backgrounds/{name}")

        got = load_background(url, fetcher=fetcher, width=320, height=100, limits=Limits())

        assert got.size == (320, 100)
        assert got.mode == "RGBA"
        assert got.getchannel("A").getextrema() == (255, 255)


def test_big_jpeg_draft_matches_full_decode(
    http_server: LocalServer, fetcher: PolicyFetcher
) -> None:
    # coffee.jpg is 600x400; into 100x60 libjpeg may decode at 1/2 (300x200 >= 2x target).
    url = http_server.url("/backgrounds/coffee.jpg")
    full = Image.open(Path(__file__).parent.parent / "fixtures/backgrounds/coffee.jpg")

    got = load_background(url, fetcher=fetcher, width=100, height=60, limits=Limits())
    reference = cover_fit(full.convert("RGBA"), 100, 60)

    diff = ImageStat.Stat(ImageChops.difference(got, reference).convert("L")).mean[0]
    assert diff < 2.0


# --- orientation, colour, frames, modes ----------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_exif_orientation_6_applied(serve: Serve, fetcher: PolicyFetcher, fmt: str) -> None:
    # Stored 40x20, red left half, blue right half; orientation 6 = rotate 90 degrees
    # clockwise for display, so it shows 20x40 with red on top.
    stored = Image.new("RGB", (40, 20), RED[:3])
    stored.paste(BLUE[:3], (20, 0, 40, 20))
    exif = Image.Exif()
    exif[0x0112] = 6
    url = serve(encoded(stored, fmt, exif=exif.tobytes(), quality=95), f"orient6.{fmt.lower()}")

    got = load_background(url, fetcher=fetcher, width=20, height=40, limits=Limits())

    assert got.size == (20, 40)
    assert close_to(px(got, 10, 5), RED, tol=12)
    assert close_to(px(got, 10, 35), BLUE, tol=12)


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _tag_xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + bytes(4) + _s15(x) + _s15(y) + _s15(z)


def adobe_rgb_like_profile() -> bytes:
    """Build a real ICC v2 matrix/TRC display profile with Adobe RGB (1998) primaries.

    Colorants are the Bradford D50-adapted Adobe RGB primaries; each channel has a
    pure gamma curve of 563/256 (about 2.2), as in Adobe's specification.
    """
    desc_text = b"Adobe RGB (1998) primaries, test profile\0"
    desc = (
        b"desc" + bytes(4) + struct.pack(">I", len(desc_text)) + desc_text
        + bytes(8)  # Unicode language code and count
        + bytes(3) + bytes(67)  # ScriptCode code, count and buffer
    )
    curve = b"curv" + bytes(4) + struct.pack(">IH", 1, 563) + bytes(2)
    tags = [
        (b"desc", desc),
        (b"wtpt", _tag_xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", _tag_xyz(0.6097559, 0.3111242, 0.0194811)),
        (b"gXYZ", _tag_xyz(0.2052401, 0.6256560, 0.0608902)),
        (b"bXYZ", _tag_xyz(0.1492240, 0.0632197, 0.7448387)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for sig, data in tags:
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data + bytes(-len(data) % 4)
    size = offset + len(body)
    header = (
        struct.pack(">I", size) + b"lcms" + struct.pack(">I", 0x02100000)
        + b"mntr" + b"RGB " + b"XYZ " + bytes(12) + b"acsp" + bytes(4)
        + bytes(4 + 4 + 4 + 8) + struct.pack(">I", 0)
        + _s15(0.9642) + _s15(1.0) + _s15(0.8249)
        + bytes(4 + 16 + 28)
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


def adobe_to_srgb(rgb: tuple[int, int, int]) -> tuple[int, ...]:
    """Convert an Adobe RGB (1998) colour to sRGB by the published matrices (D65 both sides)."""
    lin = [(c / 255) ** (563 / 256) for c in rgb]
    to_xyz = [
        (0.5767309, 0.1855540, 0.1881852),
        (0.2973769, 0.6273491, 0.0752741),
        (0.0270343, 0.0706872, 0.9911085),
    ]
    to_srgb = [
        (3.2404542, -1.5371385, -0.4985314),
        (-0.9692660, 1.8760108, 0.0415560),
        (0.0556434, -0.2040259, 1.0572252),
    ]
    xyz = [sum(m * v for m, v in zip(row, lin, strict=True)) for row in to_xyz]
    out = []
    for row in to_srgb:
        v = min(1.0, max(0.0, sum(m * c for m, c in zip(row, xyz, strict=True))))
        v = 12.92 * v if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055
        out.append(round(v * 255))
    return tuple(out)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_icc_profile_converted_to_srgb(serve: Serve, fetcher: PolicyFetcher, fmt: str) -> None:
    colour = (60, 170, 90)
    tagged = Image.new("RGB", (16, 16), colour)
    data = encoded(tagged, fmt, icc_profile=adobe_rgb_like_profile(), quality=100)
    url = serve(data, f"adobe.{fmt.lower()}")

    got = load_background(url, fetcher=fetcher, width=16, height=16, limits=Limits())

    want = adobe_to_srgb(colour)
    assert want != colour  # the conversion is visible: sRGB needs a more saturated green
    assert close_to(px(got, 8, 8)[:3], want, tol=3), (px(got, 8, 8), want)


def test_icc_profile_keeps_alpha(serve: Serve, fetcher: PolicyFetcher) -> None:
    tagged = Image.new("RGBA", (8, 8), (60, 170, 90, 100))
    url = serve(encoded(tagged, "PNG", icc_profile=adobe_rgb_like_profile()), "adobe-alpha.png")

    got = load_background(url, fetcher=fetcher, width=8, height=8, limits=Limits())

    assert px(got, 4, 4)[3] == 100


def test_broken_icc_profile_is_ignored(serve: Serve, fetcher: PolicyFetcher) -> None:
    plain = Image.new("RGB", (8, 8), (60, 170, 90))
    url = serve(encoded(plain, "PNG", icc_profile=b"not a profile at all"), "badicc.png")

    got = load_background(url, fetcher=fetcher, width=8, height=8, limits=Limits())

    assert px(got, 4, 4) == (60, 170, 90, 255)


def test_gif_first_frame_only(serve: Serve, fetcher: PolicyFetcher) -> None:
    frames = [Image.new("RGB", (10, 10), c[:3]) for c in (RED, GREEN, BLUE)]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    url = serve(data, "anim.gif")

    got = load_background(url, fetcher=fetcher, width=10, height=10, limits=Limits())

    assert got.getcolors() == [(100, RED)]


def test_animated_webp_first_frame_only(serve: Serve, fetcher: PolicyFetcher) -> None:
    frames = [Image.new("RGB", (10, 10), c[:3]) for c in (BLUE, RED)]
    data = encoded(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    url = serve(data, "anim.webp")

    got = load_background(url, fetcher=fetcher, width=10, height=10, limits=Limits())

    assert px(got, 5, 5) == BLUE


def test_palette_transparency_kept(serve: Serve, fetcher: PolicyFetcher) -> None:
    im = Image.new("P", (10, 10), 0)
    im.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    im.paste(1, (5, 0, 10, 10))
    url = serve(encoded(im, "PNG", transparency=1), "palette.png")

    got = load_background(url, fetcher=fetcher, width=10, height=10, limits=Limits())

    assert px(got, 2, 5) == RED
    assert px(got, 8, 5)[3] == 0


def test_sixteen_bit_grey_scaled_not_clipped(serve: Serve, fetcher: PolicyFetcher) -> None:
    url = serve(encoded(Image.new("I;16", (4, 4), 32896), "PNG"), "grey16.png")

    got = load_background(url, fetcher=fetcher, width=4, height=4, limits=Limits())

    assert close_to(px(got, 1, 1), (128, 128, 128, 255), tol=1)


def test_avif_background(serve: Serve, fetcher: PolicyFetcher) -> None:
    url = serve(encoded(Image.new("RGB", (16, 16), (200, 40, 40)), "AVIF", quality=100), "a.avif")

    got = load_background(url, fetcher=fetcher, width=8, height=8, limits=Limits())

    assert close_to(px(got, 4, 4), (200, 40, 40, 255), tol=6)


# --- refusals ---------------------------------------------------------------------


def png_header_only(width: int, height: int) -> bytes:
    """Return a PNG whose IHDR claims ``width`` x ``height`` and whose IDAT is garbage."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"garbage")
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("size", "message"),
    [
        ((8000, 8000), "8000x8000 = 64,000,000 pixels, more than the limit of 50,000,000"),
        ((20000, 20000), "more pixels than the limit of 50,000,000"),  # Pillow's check first
    ],
)
def test_oversize_refused_before_decode(
    serve: Serve, fetcher: PolicyFetcher, size: tuple[int, int], message: str
) -> None:
    # The IDAT is garbage: had the decoder run, the error would be a decode error.
    url = serve(png_header_only(*size), f"huge-{size[0]}.png")
    start = time.monotonic()

    with pytest.raises(ResourceError, match=message) as info:
        load_background(url, fetcher=fetcher, width=100, height=100, limits=Limits())

    assert info.value.field == "background_url"
    assert info.value.url == url
    assert time.monotonic() - start < 1.0


def test_pixel_limit_is_configurable(serve: Serve, fetcher: PolicyFetcher) -> None:
    url = serve(encoded(Image.new("RGB", (20, 20)), "PNG"), "twenty.png")

    with pytest.raises(ResourceError, match="400 pixels, more than the limit of 399"):
        load_background(
            url, fetcher=fetcher, width=10, height=10, limits=Limits(max_background_pixels=399)
        )


def test_byte_limit_applies(http_server: LocalServer, fetcher: PolicyFetcher) -> None:
    url = http_server.url("/backgrounds/chelsea.png")

    with pytest.raises(ResourceError, match="background is larger than the limit of 1,000 bytes"):
        load_background(
            url, fetcher=fetcher, width=10, height=10, limits=Limits(max_background_bytes=1000)
        )


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.png", b"hello, I am text", "not an image in a supported format"),
        ("empty.png", b"", "not an image in a supported format"),
        ("pic.tiff", encoded(Image.new("RGB", (4, 4)), "TIFF"), "not an image in a supported"),
        ("pic.bmp", encoded(Image.new("RGB", (4, 4)), "BMP"), "not an image in a supported"),
        (
            "truncated.png",
            half(encoded(Image.effect_noise((64, 64), 50).convert("RGB"), "PNG")),
            "cannot decode the PNG data",
        ),
        (
            "truncated.jpg",
            half(encoded(Image.effect_noise((64, 64), 50).convert("RGB"), "JPEG")),
            "cannot decode the JPEG data",
        ),
    ],
)
def test_undecodable_refused(
    serve: Serve, fetcher: PolicyFetcher, name: str, data: bytes, message: str
) -> None:
    url = serve(data, name)

    with pytest.raises(ResourceError, match=message) as info:
        load_background(url, fetcher=fetcher, width=10, height=10, limits=Limits())

    assert info.value.field == "background_url"
    assert "\n" not in str(info.value)


def test_fetch_failure_names_the_field(http_server: LocalServer, fetcher: PolicyFetcher) -> None:
    url = http_server.url("/status/404")

    with pytest.raises(ResourceError, match=r"^background_url: .*/status/404: HTTP 404") as info:
        load_background(url, fetcher=fetcher, width=10, height=10, limits=Limits())

    assert info.value.field == "background_url"
