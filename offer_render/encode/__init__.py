"""Encode stage: take the rasterized RGBA image and return PNG, JPEG, WebP or AVIF bytes."""

from offer_render.encode.encoders import FORMATS, MIME_TYPES, encode, normalize_format

__all__ = ["FORMATS", "MIME_TYPES", "encode", "normalize_format"]
