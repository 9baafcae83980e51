"""Encode the rendered image: take an RGBA Pillow image and a format name, return the file's bytes.

Every encoder is set up so that the same pixels give the same bytes, on every
run and every machine: no timestamps, no metadata (EXIF, ICC, XMP, DPI), fixed
encoder settings and, for AVIF, a fixed thread count. JPEG files carry a restart
marker after every row of MCUs, and PNG files are deflated in independent bands of
rows, so that a canvas can be encoded by re-encoding only the rows text touches
(:mod:`offer_render.encode.jpegsplice`, :mod:`offer_render.encode.pngbands`) and
still give the same bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, features

from offer_render.cache import BoundedCache, Doorkeeper
from offer_render.encode.jpegsplice import (
    EncodedRowsCache,
    encode_spliced,
    encoded_rows_bytes,
    flatten,
    save_jpeg,
)
from offer_render.encode.pngbands import (
    EncodedBandsCache,
    encode_png,
    encode_png_spliced,
    encoded_bands_bytes,
)
from offer_render.errors import InvalidInputError, RenderError
from offer_render.raster.composition import Composition

FORMATS = ("png", "jpeg", "webp", "avif")
"""Output formats, in the order they are offered. Default format: png."""

MIME_TYPES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "avif": "image/avif",
}

_ALIASES = {"jpg": "jpeg", "jpe": "jpeg", "jfif": "jpeg"}

PNG_COMPRESS_LEVEL = 1
"""zlib level for PNG. Default: 1: on a 1080x1080 photo background it encodes in a third
of level 6's time for a file about 17% larger; text-only images barely differ.
Overridable per call and in ``RendererConfig.png_compress_level``. PNG files are
written in bands of rows (:mod:`offer_render.encode.pngbands`), not by Pillow."""

JPEG_QUALITY = 90
"""JPEG quality. Default: 90, where text edges stay clean; the usual 75 rings visibly
around small text on flat colours."""

JPEG_SUBSAMPLING = "4:2:0"
"""JPEG chroma subsampling. Default: 4:2:0, what browsers, libjpeg and most sites use and
the smallest file; coloured text edges are slightly softer than with 4:4:4."""

JPEG_BACKGROUND = (255, 255, 255, 255)
"""What transparent pixels are flattened onto for JPEG. Default: white, what a browser
shows behind a transparent page."""

WEBP_QUALITY = 90
"""Lossy WebP quality. Default: 90, matching JPEG_QUALITY for sharp text."""

WEBP_METHOD = 4
"""libwebp effort, 0 (fast) to 6 (small). Default: 4, libwebp's own default balance."""

AVIF_QUALITY = 80
"""AVIF quality, 0 to 100. Default: 80; AVIF at 80 looks like JPEG at about 90 and is
much smaller."""

AVIF_SPEED = 6
"""libavif encoder speed, 0 (slow, small) to 10 (fast). Default: 6, Pillow's and libavif's
usual trade-off: a canvas-sized image encodes in well under a second."""

AVIF_THREADS = 1
"""Encoder threads for AVIF. Default: 1, because libaom's output bytes depend on its thread
count; a fixed count keeps output byte-identical across machines with different CPUs."""

SEEN_BACKGROUNDS = 4096
"""Backgrounds the splice doorkeeper remembers. Default: 4096 keys (a few hundred KB)."""


def normalize_format(name: str) -> str:
    """Return the canonical format name for ``name`` (``"JPG"`` -> ``"jpeg"``).

    Raises :class:`InvalidInputError` on the ``format`` field for anything else.
    """
    key = str(name).strip().lower().lstrip(".")
    key = _ALIASES.get(key, key)
    if key not in FORMATS:
        raise InvalidInputError([("format", "must be one of png, jpeg, webp, avif")])
    return key


@dataclass(frozen=True)
class SpliceCaches:
    """What splicing keeps: backgrounds coded as JPEG rows and as PNG bands, and a
    doorkeeper so that a background met once (a one-off photo) is not coded twice:
    the first render with it encodes the whole image, later ones splice."""

    jpeg_rows: EncodedRowsCache
    png_bands: EncodedBandsCache
    seen: Doorkeeper

    @classmethod
    def with_budgets(cls, jpeg_rows_bytes: int, png_bands_bytes: int) -> SpliceCaches:
        """Return empty caches bounded to the given bytes."""
        return cls(
            BoundedCache(jpeg_rows_bytes, encoded_rows_bytes),
            BoundedCache(png_bands_bytes, encoded_bands_bytes),
            Doorkeeper(SEEN_BACKGROUNDS),
        )


def encode_composition(
    comp: Composition,
    fmt: str,
    *,
    quality: int | None = None,
    png_compress_level: int = PNG_COMPRESS_LEVEL,
    splice: SpliceCaches | None = None,
) -> bytes:
    """Return the finished canvas ``comp`` encoded as ``fmt``, as :func:`encode` would.

    With ``splice``, JPEG and PNG output re-encode only the rows that ink touches and
    reuse the background's other rows, coded once; the bytes are the same as
    :func:`encode` of ``comp.image()`` gives.
    """
    fmt = normalize_format(fmt)
    _check_quality(quality)
    if fmt == "png" and splice is not None:
        spliced = encode_png_spliced(comp, level=png_compress_level, cache=splice.png_bands,
                                     admit=splice.seen.seen_before)
        if spliced is not None:
            return spliced
    if fmt == "jpeg" and splice is not None:
        try:
            data = encode_spliced(
                comp, quality=quality or JPEG_QUALITY, subsampling=JPEG_SUBSAMPLING,
                matte=JPEG_BACKGROUND, cache=splice.jpeg_rows, admit=splice.seen.seen_before,
            )
        except (OSError, ValueError) as e:
            msg = f"cannot encode the image as jpeg: {e}"
            raise RenderError(msg) from None
        if data is not None:
            return data
    return encode(
        comp.image(), fmt, quality=quality, opaque=comp.opaque,
        png_compress_level=png_compress_level,
    )


def encode(
    image: Image.Image,
    fmt: str,
    *,
    quality: int | None = None,
    opaque: bool = False,
    png_compress_level: int = PNG_COMPRESS_LEVEL,
) -> bytes:
    """Return ``image`` encoded as ``fmt`` (any name :func:`normalize_format` accepts).

    ``quality`` (1..100) applies to JPEG, WebP and AVIF; PNG is lossless and ignores
    it. The image should be RGBA, or RGB when it has no transparency; other modes
    are converted first. ``opaque`` says the caller knows no pixel is transparent, so
    JPEG skips flattening onto white.
    """
    fmt = normalize_format(fmt)
    _check_quality(quality)
    im = _bare_rgba(image)
    out = io.BytesIO()
    try:
        if fmt == "png":
            return encode_png(im, level=png_compress_level)
        elif fmt == "jpeg":
            if im.mode == "RGB" or not opaque:
                flat = flatten(im, JPEG_BACKGROUND)
            else:
                flat = im.convert("RGB")  # known opaque: no compositing needed
            save_jpeg(flat, out, quality=quality or JPEG_QUALITY, subsampling=JPEG_SUBSAMPLING)
        elif fmt == "webp":
            im.save(
                out,
                "WEBP",
                quality=quality or WEBP_QUALITY,
                method=WEBP_METHOD,
                lossless=False,
            )
        else:
            _require_avif()
            im.save(
                out,
                "AVIF",
                quality=quality or AVIF_QUALITY,
                speed=AVIF_SPEED,
                max_threads=AVIF_THREADS,
            )
    except (OSError, ValueError) as e:
        msg = f"cannot encode the image as {fmt}: {e}"
        raise RenderError(msg) from None
    return out.getvalue()


def _check_quality(quality: int | None) -> None:
    if quality is not None and (
        isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 100
    ):
        raise InvalidInputError([("quality", "must be an integer from 1 to 100")])


def _bare_rgba(image: Image.Image) -> Image.Image:
    """Return ``image`` as RGBA (or RGB) with no ``info`` (Pillow would write ICC/EXIF/DPI)."""
    im = image if image.mode in ("RGBA", "RGB") else image.convert("RGBA")
    if im.info:
        if im is image:
            im = im.copy()
        im.info = {}
    return im


def _require_avif() -> None:
    if not features.check("avif"):
        msg = (
            "AVIF output needs a Pillow built with libavif (Pillow >= 11.3 wheels have it); "
            "this Pillow has no AVIF encoder"
        )
        raise RenderError(msg)
