"""Tell URLs from paths and resolve references: take a reference and a base, return a URL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin, urlsplit

NETWORK_SCHEMES = ("http", "https")
"""The only schemes that reach the network."""


def resolve_url(ref: str, base: str | None) -> str:
    """Return ``ref`` resolved against ``base`` (a URL, a ``file://`` URL or a plain path).

    A ``ref`` with its own scheme is returned unchanged; with no ``base`` the
    ``ref`` is returned unchanged (a relative path is then resolved by the
    fetcher against ``NetworkPolicy.base_dir``). A relative ``ref`` against a
    plain-path ``base`` is taken relative to that file's folder.
    """
    ref = ref.strip()
    if has_scheme(ref) or base is None:
        return ref
    if has_scheme(base):
        return urljoin(base, ref)
    if Path(ref).is_absolute():
        return ref
    return str(Path(base).parent / ref)


def has_scheme(ref: str) -> bool:
    """Say whether ``ref`` starts with a URL scheme (a Windows drive letter is not one)."""
    try:
        return len(urlsplit(ref).scheme) > 1
    except ValueError:
        return False


def network_scheme(url: str) -> bool:
    """Say whether ``url`` is an ``http`` or ``https`` URL (an unparsable one is not)."""
    try:
        return urlsplit(url.strip()).scheme.lower() in NETWORK_SCHEMES
    except ValueError:
        return False
