"""Fetch bytes by URL under the network policy: the one I/O interface the resources stage uses.

PLACEHOLDER: the Fetcher protocol and Fetched result are the contract; the HTTP
and local-file implementations are written by the fetch work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Fetched:
    """Bytes fetched from ``url`` (the final URL, after redirects; ``file://`` for files)."""

    url: str
    data: bytes
    content_type: str | None = None


class Fetcher(Protocol):
    """Fetch one resource or raise :class:`~offer_render.errors.ResourceError`."""

    def fetch(self, url: str, *, max_bytes: int, what: str) -> Fetched:
        """Return the bytes at ``url``, at most ``max_bytes`` of them.

        ``what`` names the resource for messages (``"stylesheet"``, ``"font"``,
        ``"background"``). Relative paths and ``file://`` URLs are allowed only
        when the policy allows local files.
        """
        ...
