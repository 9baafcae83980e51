"""Every cache of the engine is sized by one CacheLimits, registered, counted and clearable."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import fields
from typing import Any

import pytest

from offer_render import CacheLimits, Renderer, RendererConfig
from offer_render.cache import (
    BoundedCache,
    clear_process_caches,
    process_cache,
    process_caches,
    set_process_budgets,
)

TEMPLATE: dict[str, Any] = {
    "width": 320, "height": 120,
    "rectangles": [{
        "name": "Title", "width": 320, "height": 120, "padding": 4, "offset_left": 0,
        "offset_top": 0, "text_align": "left", "color": "#000", "font_size": 18,
        "font_family": "serif", "font_url": None,
        # Latin, a bundled fallback script, CJK, emoji and a filter: every font memo fills
        "content": "{{ name }} नमस्ते 你好 😀 {{ 1234.5|number }}",
    }],
}
OFFER = {"id": 1, "name": {"en": "Sale"}}


@pytest.fixture(autouse=True)
def _default_budgets_after() -> Iterator[None]:
    """Give the process-wide caches their default budgets back after each test."""
    yield
    set_process_budgets(CacheLimits().process_budgets())


def _renderer(**budgets: int) -> Renderer:
    return Renderer(RendererConfig(cache_dir=None, caches=CacheLimits(**budgets)))


def test_every_process_cache_a_render_fills_has_a_budget_field() -> None:
    # Arrange / Act: a cold render that touches every kind of font and memo
    clear_process_caches()
    _renderer().render(TEMPLATE, OFFER, format="jpeg")
    # Assert: the registry holds only budgeted caches, and the render filled them
    caches = process_caches()
    budgets = CacheLimits().process_budgets()
    assert set(caches) <= set(budgets)
    filled = {name for name, cache in caches.items() if len(cache)}
    assert {"parsed_font", "font_face", "shaping_font", "freetype_font", "family_names",
            "babel_locales", "content_template", "bitmap_strikes"} <= filled


def test_a_cache_without_a_budget_field_is_refused() -> None:
    with pytest.raises(KeyError, match="no budget"):
        process_cache("an_unbudgeted_memo", len)


def test_the_total_counts_every_budget_field_once() -> None:
    # Arrange: a distinct power of two per field, so any field left out or counted twice shows
    names = [f.name for f in fields(CacheLimits)]
    limits = CacheLimits(**{name: 1 << i for i, name in enumerate(names)})
    # Act
    total = RendererConfig(caches=limits).cache_bytes
    # Assert: the small-memo budget counts once per memo it bounds
    small = 1 << names.index("small_memo_bytes")
    expected = sum(1 << i for i in range(len(names))) - small + small * len(limits.SMALL_MEMOS)
    assert total == expected


def test_a_renderer_sizes_its_own_and_the_process_caches_from_its_limits() -> None:
    # Arrange / Act
    renderer = _renderer(layout_bytes=12345, shaping_font_bytes=23456, small_memo_bytes=3456)
    # Assert
    caches = renderer.caches.by_name()
    assert caches["layout"].max_bytes == 12345
    assert caches["shaping_font"].max_bytes == 23456
    assert caches["babel_locales"].max_bytes == 3456


def test_renders_work_with_every_cache_turned_off() -> None:
    # Arrange
    clear_process_caches()
    off = _renderer(**{f.name: 0 for f in fields(CacheLimits)})
    # Act
    cold_bytes = off.render(TEMPLATE, OFFER, format="png").data
    # Assert: nothing kept anywhere, and the bytes of a renderer with caches
    assert all(len(c) == 0 for c in off.caches.by_name().values())
    warm = _renderer()
    assert warm.render(TEMPLATE, OFFER, format="png").data == cold_bytes


def test_clearing_empties_every_process_cache() -> None:
    # Arrange
    _renderer().render(TEMPLATE, OFFER)
    assert any(len(c) for c in process_caches().values())
    # Act
    clear_process_caches()
    # Assert
    assert all(len(c) == 0 and c.size_bytes == 0 for c in process_caches().values())


def test_freetype_fonts_are_kept_per_thread_in_one_budget() -> None:
    # Arrange: no drawn layers or glyphs kept, so each thread draws with FreeType itself
    clear_process_caches()
    renderer = _renderer(layer_bytes=0, glyph_bytes=0)
    done = threading.Barrier(2)

    def render_and_wait() -> None:
        renderer.render(TEMPLATE, OFFER)
        done.wait()  # both alive until both are done: their identifiers differ

    threads = [threading.Thread(target=render_and_wait) for _ in range(2)]
    # Act
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Assert: one font object per thread for each face and size, all in the one cache
    cache = process_caches()["freetype_font"]
    keys = list(cache._items)  # noqa: SLF001 - the keys say which thread owns a font
    owners = {key[0] for key in keys}
    assert owners == {t.ident for t in threads}
    per_thread = {t: sorted(k[1:] for k in keys if k[0] == t) for t in owners}
    first, second = per_thread.values()
    assert first == second


def test_resize_drops_the_least_recently_used() -> None:
    # Arrange
    cache: BoundedCache[bytes] = BoundedCache(100, len)
    for key in "abcd":
        cache.put(key, b"x" * 25)
    cache.get("a")
    # Act
    cache.resize(50)
    # Assert: "a" was used last, "d" put last; "b" and "c" go
    assert (cache.get("b"), cache.get("c")) == (None, None)
    assert cache.get("a") is not None
    assert cache.get("d") is not None
    assert cache.size_bytes == 50
