"""Count one rectangle's template work: take steps, printed characters and values; return sizes.

The limits every other sandbox module enforces live here, with the :class:`Budget`
that counts loop iterations, calls, filters and printed characters of one rectangle,
and :func:`size_of`, which measures what a template built. A passed limit raises
:class:`~jinja2.exceptions.SecurityError`, which the merge stage reports as a refusal
naming the rectangle (README, "Sandbox limits").

The budget is held in a context variable that :func:`running` sets per rectangle,
so concurrent renders in many threads never share one; outside :func:`running`
(compile-time constant folding, direct use of the environment) nothing is counted.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast

from jinja2.exceptions import SecurityError

__all__ = [
    "MAX_CONTENT_CHARS",
    "MAX_CPU_SECONDS",
    "MAX_DEPTH",
    "MAX_FORMAT_WIDTH",
    "MAX_INT_BITS",
    "MAX_ITEMS",
    "MAX_NESTING",
    "MAX_PRINTED",
    "MAX_RANGE",
    "MAX_STEPS",
    "Budget",
    "check_size",
    "counted",
    "current",
    "running",
    "size_of",
    "step",
]

MAX_ITEMS = 100_000
"""Largest string (characters) or container (items, through nesting) a template may build."""
MAX_RANGE = 10_000
"""Most numbers one ``range()`` may give."""
MAX_STEPS = 100_000
"""Most loop iterations + calls + filter applications in one rectangle."""
MAX_DEPTH = 32
"""Deepest nesting of calls (macros calling macros, recursive loops)."""
MAX_PRINTED = 1_000_000
"""Most characters one rectangle may print, counting output captured by macros and blocks."""
MAX_INT_BITS = 10_000
"""Largest integer ``*`` and ``**`` may produce (about 3,000 decimal digits)."""
MAX_FORMAT_WIDTH = 1_000
"""Largest width or precision in a ``%`` format."""
MAX_CPU_SECONDS = 1.0
"""Thread CPU time one rectangle may use; a backstop behind the counted limits."""
MAX_CONTENT_CHARS = 100_000
"""Longest rectangle ``content`` the engine compiles."""
MAX_NESTING = 50
"""Deepest nesting of lists, tuples and dicts a template may build or print."""

_TIME_CHECK_EVERY = 64
"""Steps between two reads of the thread's CPU clock (reading it costs about a step)."""


class Budget:
    """Count one rectangle's work; raise SecurityError when a limit is passed."""

    __slots__ = ("_tick", "deadline", "depth", "printed", "steps")

    def __init__(self) -> None:
        self.steps = 0
        self.depth = 0
        self.printed = 0
        self._tick = 0
        self.deadline = time.thread_time() + MAX_CPU_SECONDS

    def step(self) -> None:
        """Count one loop iteration, call or filter application."""
        self.steps += 1
        if self.steps > MAX_STEPS:
            msg = (f"the template ran more than {MAX_STEPS} loop iterations, calls and filters "
                   "(an endless loop?)")
            raise SecurityError(msg)
        self._tick += 1
        if self._tick >= _TIME_CHECK_EVERY:
            self._tick = 0
            if time.thread_time() > self.deadline:
                msg = f"the template ran longer than {MAX_CPU_SECONDS:g} s"
                raise SecurityError(msg)

    def add_printed(self, count: int) -> None:
        """Count ``count`` characters of output (or captured output)."""
        self.printed += count
        if self.printed > MAX_PRINTED:
            msg = f"the template printed more than {MAX_PRINTED} characters"
            raise SecurityError(msg)


_BUDGET: ContextVar[Budget | None] = ContextVar("_BUDGET", default=None)


@contextmanager
def running() -> Iterator[Budget]:
    """Give the code inside a fresh :class:`Budget` (one per rectangle render)."""
    budget = Budget()
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)


def current() -> Budget | None:
    """Return the budget of the rectangle being rendered, None outside :func:`running`."""
    return _BUDGET.get()


def step() -> None:
    """Count one step in the current budget, if there is one."""
    budget = _BUDGET.get()
    if budget is not None:
        budget.step()


def counted(iterable: Iterable[Any], static_chars: int = 0) -> Iterator[Any]:
    """Yield ``iterable``'s items, counting each (and ``static_chars`` printed) in the budget.

    The budget is read at the first item, not when the generator is made, so a
    generator made while compiling counts in the render that runs it.
    """
    budget = _BUDGET.get()
    for item in iterable:
        if budget is not None:
            budget.step()
            if static_chars:
                budget.add_printed(static_chars)
        yield item


# ---------------------------------------------------------------- sizes

_VIEWS: tuple[type, ...] = (type({}.keys()), type({}.values()), type({}.items()))
_CONTAINERS = (list, tuple, set, frozenset, *_VIEWS)
_NESTED = (Mapping, *_CONTAINERS)


class _TooBig(Exception):
    pass


def size_of(value: object, limit: int = MAX_ITEMS) -> int:
    """Return ``value``'s size in characters and items, through nesting; stop once past ``limit``.

    Shared parts count every time they appear (that is what printing or comparing
    them costs) but are measured once. Strings count their length, integers about
    their decimal digits, containers one plus their contents, anything else one.
    Nesting deeper than :data:`MAX_NESTING` counts as past the limit.
    """
    try:
        return _size(value, 0, limit, {})
    except _TooBig:
        return limit + 1


def _scalar_size(v: object) -> int | None:
    if isinstance(v, str):
        return len(v) or 1
    if isinstance(v, bool) or v is None or isinstance(v, float):
        return 1
    if isinstance(v, int):
        return 1 + v.bit_length() // 3
    return None


def _size(v: object, depth: int, limit: int, memo: dict[int, int]) -> int:
    size = _scalar_size(v)
    if size is not None:
        return size
    if isinstance(v, range):
        try:
            return 1 + len(v)
        except OverflowError:
            raise _TooBig from None
    if not isinstance(v, _NESTED):
        return 1
    known = memo.get(id(v))
    if known is not None:
        return known
    if depth >= MAX_NESTING:
        raise _TooBig
    total = 1
    children: Iterable[Any] = (
        itertools.chain.from_iterable(v.items()) if isinstance(v, Mapping)
        else cast(Iterable[Any], v)
    )
    for child in children:
        size = _scalar_size(child)
        total += size if size is not None else _size(child, depth + 1, limit, memo)
        if total > limit:
            raise _TooBig
    memo[id(v)] = total
    return total


def check_size(value: object, what: str) -> None:
    """Raise SecurityError naming ``what`` if ``value`` is past :data:`MAX_ITEMS` or too deep."""
    if size_of(value) > MAX_ITEMS:
        msg = (f"{what} would be larger than {MAX_ITEMS} characters or items "
               f"(or nested more than {MAX_NESTING} deep)")
        raise SecurityError(msg)
