"""The quiet collector: warm objects frozen and young collections rarer for a stretch of
work, everything restored after, nothing leaked."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from offer_render.collector import YOUNG_THRESHOLD, quiet_collector


class Node:
    """An object that can sit in a reference cycle (and be watched by a weak reference)."""

    other: Node | None = None


@pytest.fixture(autouse=True)
def clean_collector() -> Iterator[None]:
    """Each test starts with nothing frozen and Python's thresholds, and leaves it so."""
    gc.unfreeze()
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.unfreeze()
    gc.set_threshold(*saved)
    gc.enable()


def test_a_stretch_freezes_what_lives_and_restores_the_collector_after() -> None:
    with quiet_collector():
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == (700, 10, 10)


def test_nested_stretches_restore_once_the_outermost_ends() -> None:
    with quiet_collector():
        with quiet_collector():
            pass
        assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


def test_a_cycle_dropped_during_a_stretch_is_collected_after_it() -> None:
    a, b = Node(), Node()
    a.other, b.other = b, a
    watch = weakref.ref(a)
    with quiet_collector():
        del a, b
        gc.collect()
        assert watch() is not None  # frozen: a collection in the stretch skips it
    gc.collect()
    assert watch() is None


def test_a_process_that_froze_objects_itself_is_left_as_it_is() -> None:
    gc.freeze()
    frozen = gc.get_freeze_count()
    with quiet_collector():
        assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == frozen


def test_a_disabled_collector_stays_disabled_and_unfrozen() -> None:
    gc.disable()
    with quiet_collector():
        assert not gc.isenabled()
        assert gc.get_freeze_count() == 0
    assert not gc.isenabled()


def test_the_collector_is_restored_when_the_work_fails() -> None:
    msg = "boom"
    with pytest.raises(ValueError, match=msg), quiet_collector():
        raise ValueError(msg)
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == (700, 10, 10)
