"""Pick one text out of a LocalizedContent (``{"en": ..., "pl": ...}``) for a render locale."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

__all__ = ["localize", "normalize_locale"]


def normalize_locale(locale: str) -> str:
    """Return ``locale`` lower-cased with ``_`` read as ``-`` (``pt_BR`` -> ``pt-br``)."""
    return locale.strip().replace("_", "-").lower()


def localize(value: object, locale: str, default_locale: str) -> str:
    """Return the text of ``value`` for ``locale`` by the README's lookup chain (Merge fields).

    Order: the exact locale (``pt-BR``; case and ``_``/``-`` do not matter), its
    language (``pt``), another region of that language (``pt-PT``, a user's
    expectation the spec leaves open), then the same steps for ``default_locale``,
    then ``en``, then the first non-empty value. Empty and null values count as
    missing at every step. A plain string is itself; None is "".
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if not isinstance(value, Mapping):
        return str(value)
    texts: dict[str, str] = {}
    for key, text in value.items():
        s = _text(text)
        if s and isinstance(key, str):
            texts.setdefault(normalize_locale(key), s)
    if not texts:
        return ""
    for candidate in _chain(locale, default_locale):
        if candidate in texts:
            return texts[candidate]
        if candidate.endswith("-*"):
            lang = candidate[:-2]
            for key, text in texts.items():
                if key.split("-", 1)[0] == lang:
                    return text
    return next(iter(texts.values()))


def _chain(locale: str, default_locale: str) -> Iterator[str]:
    for loc in (locale, default_locale, "en"):
        norm = normalize_locale(loc or "")
        if not norm:
            continue
        lang = norm.split("-", 1)[0]
        yield norm
        yield lang
        yield f"{lang}-*"


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    return ""
