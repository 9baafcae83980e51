"""Encode PNG in bands of rows: take an image, or a composition and a cache; return PNG bytes.

The engine writes every PNG the same way, so that a band can be encoded once and
reused: the image is cut into bands of :data:`BAND_ROWS` rows; in each band the
first row is filtered ``Sub`` (it never reads the band above) and the others
``Up``; each band is deflated on its own (a fresh window, ending on a sync flush,
the last band with the final block) into its own IDAT chunk. The zlib header and
the Adler-32 of the whole stream sit in two small IDAT chunks of their own, the
checksum combined from the bands' checksums. A band's chunk therefore depends only
on its own pixels, so for a canvas whose background is known the engine keeps the
background's chunks and re-encodes only the bands ink touches. The file is the same,
byte for byte, whether it was spliced or encoded whole (tested).

Filtering is done with Pillow's channel operations (no per-byte Python). Against
Pillow's own PNG writer at the same zlib level, a 1080x1080 photo encodes in about
half the time for a file about 4% larger; a flat colour is a few KB larger.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from PIL import Image, ImageChops

from offer_render.cache import BoundedCache
from offer_render.raster.composition import Composition

BAND_ROWS = 16
"""Rows per band. Default: 16: fine enough that a line of text re-encodes little more than
its own rows, coarse enough that the per-band costs (a sync flush, a chunk header, the
unfiltered first row) add under 5% to a photo."""

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ADLER_BASE = 65521


@dataclass(frozen=True)
class Band:
    """One band of rows, encoded: its IDAT chunk, and the Adler-32 and length of its
    filtered bytes (for the checksum of the whole stream)."""

    chunk: bytes
    adler: int
    length: int


EncodedBands = tuple[Band, ...]
EncodedBandsCache = BoundedCache[EncodedBands]


def encoded_bands_bytes(value: EncodedBands) -> int:
    """Return the memory cached bands hold (for the cache's budget)."""
    return 64 + sum(80 + len(band.chunk) for band in value)


def encode_png(image: Image.Image, *, level: int) -> bytes:
    """Return ``image`` (RGB or RGBA) as the engine's PNG, deflated at zlib ``level``."""
    return _assemble(image.width, image.height, image.mode, level,
                     _encode_bands(image, 0, image.height, level))


def encode_png_spliced(
    comp: Composition,
    *,
    level: int,
    cache: EncodedBandsCache,
    admit: Callable[[Hashable], bool] | None = None,
) -> bytes | None:
    """Return ``comp`` as PNG, reusing its background's bands from ``cache``.

    Returns None when the background is not known by a key, or its bands are not
    cached and ``admit`` says no (a background met for the first time); encode the
    whole image then, for the same bytes.
    """
    if comp.base_key is None:
        return None
    height = comp.height
    cached = cache.get_or_admit(
        (comp.base_key, level), lambda: _encode_bands(comp.base(), 0, height, level), admit
    )
    if cached is None:
        return None
    bands = list(cached)
    for first, last in comp.inked_bands(BAND_ROWS):
        strip = comp.rows(first * BAND_ROWS, last * BAND_ROWS)
        bands[first:last] = _encode_bands(strip, first * BAND_ROWS, height, level)
    mode = comp.background.mode if comp.background is not None else "RGBA"
    return _assemble(comp.width, height, mode, level, tuple(bands))


def _encode_bands(rows: Image.Image, top: int, height: int, level: int) -> EncodedBands:
    """Return the bands of ``rows``, which are the image's rows from ``top`` (a band start)."""
    out = []
    for y in range(0, rows.height, BAND_ROWS):
        band = rows.crop((0, y, rows.width, min(rows.height, y + BAND_ROWS)))
        data = _filtered(band)
        last = top + y + BAND_ROWS >= height
        deflate = zlib.compressobj(level, zlib.DEFLATED, -15)
        body = deflate.compress(data) + deflate.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)
        out.append(Band(_chunk(b"IDAT", body), zlib.adler32(data), len(data)))
    return tuple(out)


def _filtered(band: Image.Image) -> bytes:
    """Return the band's scanlines, each with its filter byte: Sub for the first, Up after."""
    bpp = len(band.getbands())
    width, rows = band.width * bpp, band.height
    raw = Image.frombytes("L", (width, rows), band.tobytes())
    out = Image.new("L", (width + 1, rows), 2)  # filter type 2: Up
    if rows > 1:
        above = Image.new("L", (width, rows), 0)
        above.paste(raw.crop((0, 0, width, rows - 1)), (0, 1))
        out.paste(ImageChops.subtract_modulo(raw, above), (1, 0))
    first = raw.crop((0, 0, width, 1))
    left = Image.new("L", (width, 1), 0)
    left.paste(first.crop((0, 0, width - bpp, 1)), (bpp, 0))
    out.paste(ImageChops.subtract_modulo(first, left), (1, 0))
    out.putpixel((0, 0), 1)  # filter type 1: Sub
    return out.tobytes()


def _assemble(width: int, height: int, mode: str, level: int, bands: EncodedBands) -> bytes:
    """Return the PNG file: signature, header, zlib header, the bands, checksum, end."""
    color_type = 2 if mode == "RGB" else 6
    adler = 1
    for band in bands:
        adler = _adler32_combine(adler, band.adler, band.length)
    return b"".join((
        _SIGNATURE,
        _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)),
        _chunk(b"IDAT", zlib.compress(b"", level)[:2]),
        *(band.chunk for band in bands),
        _chunk(b"IDAT", struct.pack(">I", adler)),
        _chunk(b"IEND", b""),
    ))


def _chunk(tag: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(data, zlib.crc32(tag))
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)


def _adler32_combine(adler1: int, adler2: int, length2: int) -> int:
    """Return the Adler-32 of A + B from those of A and B and the length of B (zlib's
    ``adler32_combine``, which Python's zlib module does not expose)."""
    rem = length2 % _ADLER_BASE
    sum1 = adler1 & 0xFFFF
    sum2 = (rem * sum1) % _ADLER_BASE
    sum1 += (adler2 & 0xFFFF) + _ADLER_BASE - 1
    sum2 += ((adler1 >> 16) & 0xFFFF) + ((adler2 >> 16) & 0xFFFF) + _ADLER_BASE - rem
    sum1 %= _ADLER_BASE
    sum2 %= _ADLER_BASE
    return (sum2 << 16) | sum1
