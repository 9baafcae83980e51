"""Carry one render's time budget to every fetch it makes: take seconds, give the time left.

The offers service must not wait on a slow font host longer than its own deadline
(README, "Deadlines"); each fetch already has a total deadline of its own
(``Limits.fetch_timeout``), but a template with several fonts could add them up.
:func:`render_deadline` sets a budget for everything fetched inside it, in this
thread (a context variable, so threads do not share it); the fetcher cuts each
fetch to what is left, and refuses to start one when nothing is. What is cached
and fresh is used without any network, whatever the budget.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from offer_render.errors import InvalidInputError

_DEADLINE: ContextVar[float | None] = ContextVar("offer_render_deadline", default=None)


@contextmanager
def render_deadline(seconds: float | None) -> Iterator[None]:
    """Within the block, give every fetch at most ``seconds`` in total (None: no budget).

    Nested budgets keep the earlier end.
    """
    if seconds is None:
        yield
        return
    end = time.monotonic() + seconds
    outer = _DEADLINE.get()
    token = _DEADLINE.set(end if outer is None else min(outer, end))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def check_deadline(seconds: object, default: float | None) -> float | None:
    """Return the budget of one call: ``seconds``, or ``default`` when None.

    Raise :class:`~offer_render.errors.InvalidInputError` on the ``deadline`` field
    unless it is a number of seconds greater than 0.
    """
    if seconds is None:
        return default
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
        raise InvalidInputError([("deadline", "must be a number of seconds greater than 0")])
    return float(seconds)


def time_left() -> float | None:
    """Return the seconds left of the current render's budget, or None without one."""
    end = _DEADLINE.get()
    return None if end is None else end - time.monotonic()
