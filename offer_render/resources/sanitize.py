"""Pass downloaded fonts through the OpenType Sanitizer: take font bytes, return sanitized sfnt.

OTS (the sanitizer Chromium and Firefox run on every web font) parses each table,
rejects malformed fonts and re-serializes the ones it accepts, dropping tables it
does not know. The maintained binding ``opentype-sanitizer`` ships OTS as the
``ots-sanitize`` program, so each font costs one short-lived subprocess:

- OTS gets the **original** bytes, WOFF and WOFF2 included: it decodes them
  itself (with its own bounds), so neither fontTools' WOFF/WOFF2 decoder nor
  FreeType ever sees an unsanitized byte. Before that, :func:`check_unpacked_size`
  refuses a WOFF/WOFF2 whose declared or real inflated size passes
  ``Limits.max_sfnt_bytes``, without inflating it in full.
- The output is plain sfnt (or a TTC for a collection).
- The font goes in on stdin and comes back through an already unlinked temporary
  file (OTS seeks while writing, so a pipe will not do), so nothing is left on
  disk even if the process is killed.
- The program runs at most ``Limits.font_sanitize_timeout`` seconds.
- Results, rejections included, are memoized by the sha256 of the input.

Which fonts go through it: every font fetched through the :class:`Fetcher` (the
``src: url(...)`` of a stylesheet, network or local file). Bundled fonts and
fonts in configured font folders (``local()`` included) are the operator's and
are trusted.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from pathlib import Path

from offer_render.cache import process_cache
from offer_render.config import Limits
from offer_render.gil import outside_turn
from offer_render.resources.fontfile import (
    COLLECTION_MAGIC,
    SFNT_MAGICS,
    WOFF2_MAGIC,
    WOFF_MAGIC,
    check_unpacked_size,
)

REJECTED = "rejected by the OpenType Sanitizer"
"""Start of the message of a font OTS refuses (the font then falls back with a warning)."""

_MEMO = process_cache("sanitized_font", lambda result: 128 + len(result))
"""sha256 of the input -> sanitized bytes, or the rejection message (a ``str``)."""


def sanitizer_path() -> Path | None:
    """Return the path of the ``ots-sanitize`` program, or None when it is not installed."""
    try:
        import ots  # type: ignore[import-untyped]
    except ImportError:
        return None
    path = Path(ots.OTS_SANITIZE)
    return path if path.is_file() and os.access(path, os.X_OK) else None


def sanitize_font(data: bytes, *, limits: Limits) -> bytes:
    """Return ``data`` as OTS re-serialized it; raise ValueError("rejected by ...") if refused.

    Memoized by the sha256 of ``data`` (and the limits that change the answer).
    A missing sanitizer fails closed: every font is then refused.
    """
    key = (hashlib.sha256(data).hexdigest(), limits.max_sfnt_bytes)
    result = _MEMO.get_or_make(key, lambda: _sanitize_or_reason(data, limits))
    if isinstance(result, str):
        raise ValueError(result)
    return result


def _sanitize_or_reason(data: bytes, limits: Limits) -> bytes | str:
    try:
        return _run_ots(data, limits)
    except ValueError as exc:
        return str(exc)


def _run_ots(data: bytes, limits: Limits) -> bytes:
    magic = data[:4]
    if len(data) < 12:
        msg = f"not a font: only {len(data)} bytes"
        raise ValueError(msg)
    if magic not in (*SFNT_MAGICS, COLLECTION_MAGIC, WOFF_MAGIC, WOFF2_MAGIC):
        msg = f"not a font: unknown signature {magic!r}"  # an HTML error page, an image...
        raise ValueError(msg)
    if magic in (WOFF_MAGIC, WOFF2_MAGIC):
        check_unpacked_size(data, "woff" if magic == WOFF_MAGIC else "woff2",
                            limit=limits.max_sfnt_bytes)
    program = sanitizer_path()
    if program is None:
        msg = f"{REJECTED}: the sanitizer is not installed (package opentype-sanitizer)"
        raise ValueError(msg)
    timeout = limits.font_sanitize_timeout
    with tempfile.TemporaryFile(prefix="offer-render-ots-") as out:
        fd = out.fileno()
        try:
            with outside_turn():  # other threads render while it runs (offer_render.gil)
                done = subprocess.run(
                    [str(program), "/dev/stdin", f"/dev/fd/{fd}"], input=data,
                    pass_fds=(fd,), capture_output=True, timeout=timeout, check=False,
                )
        except subprocess.TimeoutExpired:
            msg = f"{REJECTED}: it took longer than {timeout:g} s"
            raise ValueError(msg) from None
        except OSError as exc:
            msg = f"{REJECTED}: the sanitizer could not run ({exc.strerror or exc})"
            raise ValueError(msg) from None
        if done.returncode != 0:
            msg = f"{REJECTED}: {_reason(done.stderr, done.returncode)}"
            raise ValueError(msg)
        out.seek(0)
        clean = out.read(limits.max_sfnt_bytes + 1)
    if not clean or len(clean) > limits.max_sfnt_bytes:
        msg = f"{REJECTED}: no usable output ({len(clean)} bytes)"
        raise ValueError(msg)
    return clean


def _reason(stderr: bytes, returncode: int) -> str:
    """Return OTS's own complaint in one line (its first ERROR lines), or the exit status."""
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    errors = [ln.removeprefix("ERROR: ") for ln in lines if ln.startswith("ERROR")] or lines
    if not errors:
        return f"exit status {returncode}"
    text = "; ".join(errors[:3])
    return text if len(text) <= 300 else text[:299] + "…"
