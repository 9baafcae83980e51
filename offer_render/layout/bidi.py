"""Resolve bidi embedding levels of a paragraph (UAX #9) with FriBiDi, the library raqm uses.

Takes a paragraph's text; returns one level per character and the base
direction found from the first strong character (``dir="auto"``, rules P2 and
P3), left-to-right when there is none. FriBiDi is loaded from the system through
ctypes: Pillow's raqm layout needs the same library, so it is always present
where text can be shaped at all.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache

from offer_render.errors import RenderError

_PAR_LTR = 0x110  # FRIBIDI_PAR_LTR: strong | letter
_PAR_RTL = 0x111  # FRIBIDI_PAR_RTL: strong | letter | rtl
_PAR_ON = 0x40  # FRIBIDI_PAR_ON: neutral, i.e. find the direction from the text


@cache
def _fribidi() -> ctypes.CDLL:
    name = ctypes.util.find_library("fribidi") or "libfribidi.so.0"
    try:
        lib = ctypes.CDLL(name)
    except OSError as exc:
        msg = f"FriBiDi is not installed ({exc}); install libfribidi0"
        raise RenderError(msg) from None
    u32p = ctypes.POINTER(ctypes.c_uint32)
    lib.fribidi_get_bidi_types.argtypes = [u32p, ctypes.c_int, u32p]
    lib.fribidi_get_bidi_types.restype = None
    lib.fribidi_get_bracket_types.argtypes = [u32p, ctypes.c_int, u32p, u32p]
    lib.fribidi_get_bracket_types.restype = None
    lib.fribidi_get_par_embedding_levels_ex.argtypes = [
        u32p, u32p, ctypes.c_int, u32p, ctypes.POINTER(ctypes.c_int8)
    ]
    lib.fribidi_get_par_embedding_levels_ex.restype = ctypes.c_int8
    return lib


def embedding_levels(text: str, base: str | None = None) -> tuple[list[int], str]:
    """Return the embedding level of every character of ``text`` and the paragraph direction.

    ``base`` forces ``"ltr"`` or ``"rtl"``; None finds it from the first strong
    character. Odd levels are right-to-left.
    """
    n = len(text)
    if n == 0:
        return [], base or "ltr"
    lib = _fribidi()
    chars = (ctypes.c_uint32 * n)(*map(ord, text))
    types = (ctypes.c_uint32 * n)()
    brackets = (ctypes.c_uint32 * n)()
    levels = (ctypes.c_int8 * n)()
    lib.fribidi_get_bidi_types(chars, n, types)
    lib.fribidi_get_bracket_types(chars, n, types, brackets)
    par = ctypes.c_uint32({"ltr": _PAR_LTR, "rtl": _PAR_RTL}.get(base or "", _PAR_ON))
    if lib.fribidi_get_par_embedding_levels_ex(types, brackets, n, ctypes.byref(par), levels) == 0:
        msg = "FriBiDi could not resolve the text's directions"
        raise RenderError(msg)
    return list(levels), "rtl" if par.value & 1 else "ltr"
