"""The guided chunk-size rule: big chunks first, shrinking to the smallest allowed at the end."""

from __future__ import annotations

import pytest

from offer_render.batch.plan import guided


def sizes(total: int, workers: int, **bounds: int) -> list[int]:
    """Return the chunk sizes the rule gives for ``total`` items, as the planner takes them."""
    rule, planned, out = guided(total, workers, **bounds), 0, []
    while planned < total:
        out.append(min(rule(planned), total - planned))
        planned += out[-1]
    return out


@pytest.mark.parametrize(("largest", "smallest"), [(32, 1), (128, 8), (4, 4)])
def test_chunks_stay_within_bounds_and_shrink(largest: int, smallest: int) -> None:
    got = sizes(4800, 2, largest=largest, smallest=smallest)
    assert sum(got) == 4800
    assert max(got) == largest
    assert all(smallest <= n <= largest for n in got[:-1])  # the last one takes what is left
    assert got[:-1] == sorted(got[:-1], reverse=True)


def test_a_smallest_chunk_cuts_the_tail_of_single_items() -> None:
    plain = sizes(4800, 2, largest=128)
    floored = sizes(4800, 2, largest=128, smallest=8)
    assert plain.count(1) > 8
    assert 1 not in floored[:-1]
    assert len(floored) < len(plain)
