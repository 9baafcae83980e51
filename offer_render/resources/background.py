"""Load a template's background: take its URL and the canvas size, return a cover-fitted RGBA image.

Drawn as a browser draws ``background-size: cover; background-position: center``
on a box of ``width`` x ``height`` device pixels: EXIF orientation applied, the
embedded colour profile converted to sRGB, first frame only. Any failure is a
:class:`~offer_render.errors.ResourceError` on the ``background_url`` field.

The format is sniffed from the bytes, as browsers do: a ``.png`` that is really a
JPEG is drawn; one that is really a BMP (or any format outside :data:`DECODERS`)
is refused. A truncated file is an error, never half an image
(``ImageFile.LOAD_TRUNCATED_IMAGES`` stays False).
"""

from __future__ import annotations

import io
import math

from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

from offer_render.cache import BoundedCache
from offer_render.config import Limits
from offer_render.errors import ResourceError
from offer_render.resources.fetch import Fetcher
from offer_render.resources.types import FittedBackground

FIELD = "background_url"

DECODERS = ["PNG", "JPEG", "WEBP", "GIF", "AVIF"]
"""Pillow plugins a background may be decoded with. Default: PNG, JPEG, WebP,
GIF, AVIF; nothing else (no TIFF, BMP, PSD... with their larger attack surface)."""

RESAMPLE = Image.Resampling.LANCZOS
"""Filter for the cover scaling. Default: Lanczos, close to what Chromium's high-quality
image scaling (Skia's mipmaps + cubic) gives for photos, and never blurry on downscales."""

REDUCING_GAP = 3.0
"""Pillow's two-step resize factor for big downscales. Default: 3.0, which Pillow documents
as indistinguishable from a single Lanczos pass, and several times faster on huge photos."""

_ORIENTATION_TAG = 0x0112
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


BackgroundCache = BoundedCache[FittedBackground]


def background_size(value: FittedBackground) -> int:
    """Return the bytes a fitted background holds (for cache budgets)."""
    image = value.image
    return 64 + image.width * image.height * len(image.getbands())


def load_background(
    url: str, *, fetcher: Fetcher, width: int, height: int, limits: Limits
) -> Image.Image:
    """Fetch and decode the image at ``url`` and return it cover-fitted to ``width`` x ``height``.

    ``width`` and ``height`` are device pixels (the caller has applied the scale).
    The result is an RGBA image of exactly that size.
    """
    fitted = fit_background(url, fetcher=fetcher, width=width, height=height, limits=limits)
    return fitted.image.convert("RGBA") if fitted.image.mode != "RGBA" else fitted.image


def fit_background(
    url: str,
    *,
    fetcher: Fetcher,
    width: int,
    height: int,
    limits: Limits,
    cache: BackgroundCache | None = None,
) -> FittedBackground:
    """Return the background at ``url`` fitted to ``width`` x ``height`` device pixels.

    With ``cache``, the same bytes at the same size give the same (shared, not to be
    modified) image without decoding again.
    """
    if width < 1 or height < 1:
        raise ResourceError(url, f"canvas {width}x{height} has no area", field=FIELD)
    try:
        fetched = fetcher.fetch(url, max_bytes=limits.max_background_bytes, what="background")
    except ResourceError as e:
        raise ResourceError(url, e.reason, field=FIELD, transient=e.transient,
                            refused=e.refused) from None

    key = (fetched.digest, width, height)

    def decode_and_fit() -> FittedBackground:
        try:
            image = _decode(fetched.data, width, height, limits)
        except _Refusal as e:
            raise ResourceError(url, e.reason, field=FIELD) from None
        fitted = cover_fit(image, width, height)
        fitted.info = {}
        if fitted.getchannel("A").getextrema()[0] == 255:
            # No transparency: keep three channels, so the canvas composes and encodes
            # without an alpha channel to carry or to flatten.
            return FittedBackground(fitted.convert("RGB"), opaque=True, key=key)
        return FittedBackground(fitted, opaque=False, key=key)

    if cache is None:
        return decode_and_fit()
    return cache.get_or_make(key, decode_and_fit)


def cover_fit(image: Image.Image, width: int, height: int) -> Image.Image:
    """Return ``image`` (RGBA) scaled to cover ``width`` x ``height``, centred and cropped.

    The scale is ``max(width / w, height / h)``; the crop box is computed in source
    pixels with fractional edges, so the centre stays exact on odd sizes.
    """
    w, h = image.size
    if (w, h) == (width, height):
        return image
    scale = max(width / w, height / h)
    crop_w, crop_h = width / scale, height / scale
    left, top = (w - crop_w) / 2, (h - crop_h) / 2
    box = (left, top, left + crop_w, top + crop_h)
    return image.resize((width, height), RESAMPLE, box=box, reducing_gap=REDUCING_GAP)


class _Refusal(Exception):  # noqa: N818 - internal, becomes a ResourceError
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _decode(data: bytes, width: int, height: int, limits: Limits) -> Image.Image:
    """Decode ``data`` into an upright sRGB RGBA image (first frame), within the pixel limit."""
    try:
        im = Image.open(io.BytesIO(data), formats=DECODERS)
    except UnidentifiedImageError:
        msg = "not an image in a supported format (PNG, JPEG, WebP, GIF or AVIF)"
        raise _Refusal(msg) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own check (MAX_IMAGE_PIXELS) fired first; the warning is caught too in
        # case the caller's warning filters turn it into an exception.
        raise _Refusal(_too_many_pixels(None, limits)) from None
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        msg = f"cannot read the image header: {_one_line(e)}"
        raise _Refusal(msg) from None

    w, h = im.size
    if w < 1 or h < 1:
        msg = f"image has no pixels ({w}x{h})"
        raise _Refusal(msg)
    if w * h > limits.max_background_pixels:
        raise _Refusal(_too_many_pixels((w, h), limits))

    icc = im.info.get("icc_profile")
    try:
        if im.format == "JPEG":
            _draft_jpeg(im, width, height)
        im.seek(0)  # first frame of an animation
        im.load()
        upright = ImageOps.exif_transpose(im)
        return _to_srgb_rgba(upright, icc if isinstance(icc, bytes) else None)
    except MemoryError:
        raise
    except Exception as e:  # noqa: BLE001 - hostile input: any decoder failure is a clean refusal
        msg = f"cannot decode the {im.format or 'image'} data: {_one_line(e)}"
        raise _Refusal(msg) from None


def _draft_jpeg(im: ImageFile.ImageFile, width: int, height: int) -> None:
    """Let libjpeg decode a big JPEG at 1/2, 1/4 or 1/8 size while it stays >= 2x the target.

    2x keeps the final Lanczos pass with enough source pixels that the result is
    indistinguishable from a full decode, at a fraction of the time and memory.
    """
    w, h = im.size
    orientation = im.getexif().get(_ORIENTATION_TAG, 1)
    if orientation in (5, 6, 7, 8):  # rotated a quarter turn: the box is measured sideways
        width, height = height, width
    scale = max(width / w, height / h)
    need = (math.ceil(w * scale * 2), math.ceil(h * scale * 2))
    if need[0] < w and need[1] < h:
        im.draft(None, need)


def _to_srgb_rgba(im: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert any decoded mode to RGBA, through the embedded ICC profile when it is usable."""
    if im.mode.startswith("I"):
        # 16-bit greyscale PNG: scale to 8 bits (Pillow's plain conversion would clip).
        im = (im if im.mode == "I" else im.convert("I")).point(lambda v: v / 257, "L")
    if im.mode in ("P", "PA", "1", "LA", "La", "RGBa", "F"):
        im = im.convert("RGBA")  # keeps palette transparency
    if icc:
        converted = _apply_profile(im, icc)
        if converted is not None:
            im = converted
    return im if im.mode == "RGBA" else im.convert("RGBA")


def _apply_profile(im: Image.Image, icc: bytes) -> Image.Image | None:
    """Return ``im`` converted from profile ``icc`` to sRGB, or ``None`` if the profile is unusable.

    Alpha is set aside and put back unchanged; a broken or mismatched profile is
    ignored (the pixels are then taken as sRGB, as browsers do).
    """
    alpha = im.getchannel("A") if im.mode in ("RGBA", "LA") else None
    base = {"RGBA": "RGB", "LA": "L"}.get(im.mode, im.mode)
    if base not in ("RGB", "L", "CMYK"):
        return None
    source = im.convert(base) if base != im.mode else im
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        out = ImageCms.profileToProfile(
            source,
            profile,
            _SRGB,
            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
            outputMode="RGB",
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None
    if out is None:
        return None
    out = out.convert("RGBA")
    if alpha is not None:
        out.putalpha(alpha)
    return out


def _too_many_pixels(size: tuple[int, int] | None, limits: Limits) -> str:
    limit = f"{limits.max_background_pixels:,}"
    if size is None:
        return f"image has more pixels than the limit of {limit}"
    w, h = size
    return f"image is {w}x{h} = {w * h:,} pixels, more than the limit of {limit}"


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text[:200] if text else type(e).__name__
