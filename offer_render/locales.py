"""Take locale names; return them checked, or raise InvalidInputError naming the field.

One check for every place a caller names locales (the API, the command line's
``--locale`` and ``--locales``, preview, lint, batch). A locale name has the shape of
a BCP 47 language tag (RFC 5646 section 2.1): a language subtag of 2 to 8 letters,
then any number of subtags of 1 to 8 letters or digits, each after ``-``, or after
``_`` as ICU and POSIX spell them (``en``, ``pl``, ``pt-BR``, ``zh_Hant_TW``,
``sr-Latn``, ``es-419``, ``de-DE-u-co-phonebk``). Only the shape is checked, not the
registry: a well-formed tag for a language CLDR does not know renders with the
lookup chain's fallbacks (README "Merge fields"). The shape keeps path separators,
dots and spaces out, so a locale is also safe inside an output file name
(``<offer id>-<locale>.png``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from offer_render.errors import InvalidInputError

MAX_LENGTH = 35
"""Longest locale name accepted. Default: 35 characters, the length RFC 5646 section
4.4.1 asks every implementation to support (the longest tag of a language, extlang,
script, region and variant); longer names are not locales a template is written for."""

_TAG = re.compile(r"[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*")
"""RFC 5646 section 2.1's shape, simplified: language (2*3ALPHA, 4ALPHA or 5*8ALPHA, so
2 to 8 letters), then subtags of 1*8alphanum; ``_`` is accepted beside ``-``."""

EXAMPLES = "en, pl or pt-BR"


def check_locale(value: object, field: str) -> str:
    """Return ``value`` if it is a well-formed locale name; else raise naming ``field``.

    Surrounding spaces are not trimmed here: ``" en"`` is refused (lists given as
    comma-separated text are trimmed by :func:`parse_locale_list`).
    """
    if not isinstance(value, str):
        raise InvalidInputError([(field, f"must be a locale name such as {EXAMPLES}, "
                                         f"not {type(value).__name__}")])
    if not value:
        raise InvalidInputError([(field, f"must be a locale name such as {EXAMPLES}, "
                                         "not empty")])
    if len(value) > MAX_LENGTH:
        raise InvalidInputError([(field, f"{_shown(value)} is not a locale name: longer "
                                         f"than {MAX_LENGTH} characters")])
    if not _TAG.fullmatch(value):
        raise InvalidInputError([(field, f"{_shown(value)} is not a locale name: BCP 47 "
                                         "wants a language of 2-8 letters, then subtags of "
                                         "1-8 letters or digits after - or _ (such as "
                                         f"{EXAMPLES})")])
    return value


def parse_locale_list(value: str | Sequence[str], field: str) -> list[str]:
    """Return the locales of a list or of comma-separated text, checked, each once, in order.

    Text (``"en, pl,pt-BR"``, as ``--locales`` takes it) is split at commas, each
    entry trimmed, and empty entries skipped (a trailing comma is harmless); a list
    is taken as is. Entries are checked with :func:`check_locale` under
    ``field[i]`` (``locales[1]``: the second entry). A name given twice is kept
    once: it names the same images. Raises InvalidInputError naming ``field`` when
    no locale is left.
    """
    if isinstance(value, str):
        entries: Sequence[object] = [p.strip() for p in value.split(",")]
        indexed = [(i, e) for i, e in enumerate(entries) if e]
    elif isinstance(value, Sequence):
        indexed = list(enumerate(value))
    else:
        raise InvalidInputError([(field, "must be a list of locale names or comma-separated "
                                         f"text, not {type(value).__name__}")])
    if not indexed:
        raise InvalidInputError([(field, f"give at least one locale name, such as {EXAMPLES}")])
    checked = [check_locale(entry, f"{field}[{i}]") for i, entry in indexed]
    return list(dict.fromkeys(checked))


def _shown(value: str) -> str:
    """Return ``value`` quoted for a message, cut to 40 characters."""
    return repr(value if len(value) <= 40 else value[:40] + "…")
