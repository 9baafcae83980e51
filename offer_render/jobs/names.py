"""Take an offer id, a locale and a format; return the object name of the offer's file.

``offer-<id>-offer_default-base[-<locale>].<ext>``: the platform's name for an offer
file of kind ``offer_default`` and size type ``base``; ``-<locale>`` when the job names
locales. The id is made safe as one name, as batch makes its file names
(:func:`offer_render.batch.plan.output_name`): characters other than letters, digits
and ``-_.~@+=,`` are percent-encoded, so ``../x`` becomes ``..%2Fx`` and no id can
name a folder or reach outside the storage prefix. The locale is one
:func:`offer_render.locales.check_locale` accepted (letters, digits, ``-``, ``_``).
"""

from __future__ import annotations

from urllib.parse import quote

from offer_render.batch.plan import EXTENSIONS
from offer_render.errors import InvalidInputError

KIND = "offer_default"
"""The file kind the platform stores an offer's rendered image as."""
SIZE_TYPE = "base"
"""The size type of that file."""
SAFE = "-_.~@+=,"
"""Characters of an id kept as they are, besides letters and digits (batch's set)."""
MAX_ID_CHARS = 200
"""Longest id once made safe. Default: 200, so a name stays under the 255 bytes a file
name may take on Linux file systems (S3 keys take 1024)."""


def safe_id(offer_id: str) -> str:
    """Return ``offer_id`` percent-encoded for a name; raise InvalidInputError (on
    ``offer.id``) when that is longer than :data:`MAX_ID_CHARS`."""
    safe = quote(offer_id, safe=SAFE)
    if len(safe) > MAX_ID_CHARS:
        raise InvalidInputError([("offer.id", f"is {len(safe)} characters once made safe for "
                                              f"an object name; at most {MAX_ID_CHARS}")])
    return safe


def object_name(offer_id: str, locale: str | None, fmt: str) -> str:
    """Return ``offer-<id>-offer_default-base[-<locale>].<ext>`` (``fmt`` canonical)."""
    suffix = f"-{locale}" if locale else ""
    return f"offer-{safe_id(offer_id)}-{KIND}-{SIZE_TYPE}{suffix}.{EXTENSIONS[fmt]}"
