"""Plan a batch: take parsed lines and locales, yield render items (offer x locale) or failures.

Each item knows its output file name, ``<offer id>[-<locale>].<ext>``. Items are
then grouped into chunks whose offers share fonts and backgrounds, so a worker
that renders a chunk fetches and parses each resource once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from offer_render.batch.keyindex import KeyIndex
from offer_render.batch.reader import Line

EXTENSIONS = {"png": "png", "jpeg": "jpg", "webp": "webp", "avif": "avif"}
"""File extension per output format (``jpeg`` is written ``.jpg``, as ``render`` does)."""

WINDOW = 4096
"""Items read ahead and sorted by their resources before chunking. Default: 4096 (memory
stays bounded on inputs of millions of offers; grouping works within each window)."""


@dataclass(frozen=True)
class Item:
    """One image to render: which line and offer, which locale, and the output file name."""

    line: int
    offer_id: str
    locale: str | None
    name: str
    offer: Mapping[str, Any]
    expect_hash: str | None = None
    """Input hash of the existing, verified output; the worker skips the item when equal."""


@dataclass(frozen=True)
class Failure:
    """One planned item that cannot be rendered (bad line, no id, duplicate id) and why."""

    line: int
    offer_id: str | None
    locale: str | None
    error: str


def output_name(offer_id: str, locale: str | None, fmt: str) -> str:
    """Return ``<offer id>[-<locale>].<ext>`` with the id made safe as one file name.

    The locale is one :func:`offer_render.locales.check_locale` accepted (letters,
    digits, ``-`` and ``_``), so it needs no encoding.

    Characters other than letters, digits and ``-_.~@+=,`` are percent-encoded
    (so ``a/b`` becomes ``a%2Fb``), and a leading dot too, so no id names a
    hidden file, a folder or a path outside the output folder.
    """
    safe = quote(offer_id, safe="-_.~@+=,")
    if safe.startswith("."):
        safe = "%2E" + safe[1:]
    suffix = f"-{locale}" if locale else ""
    return f"{safe}{suffix}.{EXTENSIONS[fmt]}"


def offer_id_of(value: object) -> str | None:
    """Return the offer's ``id`` as text, or None when it has none usable."""
    if not isinstance(value, Mapping):
        return None
    oid = value.get("id")
    if isinstance(oid, bool) or not isinstance(oid, str | int) or str(oid).strip() == "":
        return None
    return str(oid)


def plan_items(
    lines: Iterable[Line], locales: tuple[str | None, ...], fmt: str
) -> Iterator[Item | Failure]:
    """Yield, for every line and locale, the Item to render or the Failure to record.

    Every line gives exactly ``len(locales)`` entries, so the item count is known
    from the line count. A second line with an id already seen is a Failure (the ids
    seen are kept on disk, in a :class:`KeyIndex`, so memory stays flat).
    """
    seen = KeyIndex()
    try:
        for line in lines:
            problem, oid = _check(line, seen)
            for locale in locales:
                if problem is not None:
                    yield Failure(line.number, oid, locale, problem)
                else:
                    assert oid is not None
                    assert isinstance(line.value, Mapping)
                    yield Item(line.number, oid, locale, output_name(oid, locale, fmt),
                               line.value)
    finally:
        seen.close()


def _check(line: Line, seen: KeyIndex) -> tuple[str | None, str | None]:
    if line.error is not None:
        return line.error, None
    if not isinstance(line.value, Mapping):
        return f"line {line.number}: not a JSON object (an offer)", None
    oid = offer_id_of(line.value)
    if oid is None:
        return f"line {line.number}: the offer has no id (a string or an integer)", None
    first = seen.setdefault(oid, line.number)
    if first != line.number:
        return f"line {line.number}: duplicate offer id {oid!r} (first on line {first})", oid
    return None, oid


def resource_key(template: object) -> tuple[str, tuple[str, ...]]:
    """Return what a template fetches: its background URL and its sorted font URLs."""
    if not isinstance(template, Mapping):
        return "", ()
    background = template.get("background_url")
    rects = template.get("rectangles")
    fonts = {
        r["font_url"] for r in (rects if isinstance(rects, list) else ())
        if isinstance(r, Mapping) and isinstance(r.get("font_url"), str)
    }
    return (background if isinstance(background, str) else "", tuple(sorted(fonts)))


def guided(total: int, workers: int, *, largest: int, smallest: int = 1,
           per_worker: int = 4) -> Callable[[int], int]:
    """Return a chunk-size rule: big chunks first, shrinking towards the end of the batch.

    Guided scheduling (as OpenMP's ``schedule(guided, smallest)``): a chunk holds the
    items left divided by ``workers * per_worker``, at most ``largest``, at least
    ``smallest`` (where a task has a fixed cost, as on Dask, a tail of one-item
    chunks pays it per item), so no worker is handed a long chunk while the others
    have run dry at the end.
    """

    def size(planned: int) -> int:
        return max(smallest, 1, min(largest, (total - planned) // (workers * per_worker)))

    return size


def chunked(
    entries: Iterable[Item | Failure],
    *,
    chunk_size: Callable[[int], int],
    on_failure: Callable[[Failure], None],
    key: Callable[[Item], Any],
    window: int = WINDOW,
) -> Iterator[list[Item]]:
    """Yield lists of items grouped by ``key`` within each window of ``window`` items.

    ``chunk_size(n)`` gives the size of the next chunk when ``n`` entries have
    been planned. Failures are handed to ``on_failure`` as they are met, so they
    are recorded without waiting for a chunk.
    """
    buffer: list[Item] = []
    planned = 0
    for entry in entries:
        planned += 1
        if isinstance(entry, Failure):
            on_failure(entry)
            continue
        buffer.append(entry)
        if len(buffer) >= window:
            yield from _split(buffer, planned - len(buffer), chunk_size, key)
            buffer = []
    yield from _split(buffer, planned - len(buffer), chunk_size, key)


def _split(
    items: list[Item], planned: int, size: Callable[[int], int], key: Callable[[Item], Any]
) -> Iterator[list[Item]]:
    items = sorted(items, key=key)  # stable: same resources keep input order
    start = 0
    while start < len(items):
        n = size(planned + start)
        yield items[start:start + n]
        start += n
