"""Encode stage: take the drawn image or its composition, return PNG, JPEG, WebP or AVIF bytes."""

from offer_render.encode.encoders import (
    FORMATS,
    MIME_TYPES,
    encode,
    encode_composition,
    normalize_format,
)

__all__ = ["FORMATS", "MIME_TYPES", "encode", "encode_composition", "normalize_format"]
