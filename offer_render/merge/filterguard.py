"""Bound a template filter's work: take a filter function, return one that counts and size-checks.

Every filter the sandbox registers (Jinja2's built-ins and the locale filters) is
wrapped by :func:`guard_filter`, which counts the application as a step, refuses
an input or result past :data:`~offer_render.merge.budget.MAX_ITEMS`, turns lazy
results (``map``, ``select``, ...) into lists item by item within that bound, and,
for the built-ins whose result can grow far past their input (``indent``,
``replace``, ``center``, ``batch``, ``slice``, ``wordwrap``, ``tojson``), checks the
arguments before the filter runs. Filters reached indirectly (``map('center')``)
go through ``Environment.filters`` too, so they are guarded the same way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from jinja2 import Environment
from jinja2.exceptions import SecurityError
from jinja2.nodes import EvalContext
from jinja2.runtime import Context

from offer_render.merge.budget import (
    MAX_FORMAT_WIDTH,
    MAX_ITEMS,
    MAX_RANGE,
    check_size,
    counted,
    size_of,
    step,
)
from offer_render.merge.policy import is_engine_object

__all__ = ["guard_filter"]

_PASSED = (Context, EvalContext, Environment)
"""What Jinja2 passes first to a filter marked ``pass_context``, ``pass_eval_context`` or
``pass_environment`` (its documented decorators); never a template's own value."""

_WORDWRAP_MAX_CHARS = 20_000
"""Longest text ``wordwrap`` takes: textwrap cuts long words in quadratic time (about
30 ms for 20,000 characters at width 1)."""

_TOJSON_MAX_INDENT = 16


def _collect(result: Iterator[Any], name: str) -> list[Any]:
    """Materialise a lazy filter result, item by item, within the size bound."""
    out: list[Any] = []
    total = 1
    for item in counted(result):
        total += size_of(item)
        if total > MAX_ITEMS:
            msg = f"the result of filter {name!r} would be larger than {MAX_ITEMS} items"
            raise SecurityError(msg)
        out.append(item)
    return out


def _int_arg(value: Any, limit: int, what: str) -> None:
    if isinstance(value, int) and value > limit:
        msg = f"{what} may be at most {limit}"
        raise SecurityError(msg)


def _pre_indent(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    text = str(args[0]) if args else ""
    width = args[1] if len(args) > 1 else kwargs.get("width", 4)
    _int_arg(width, MAX_FORMAT_WIDTH, "indent width")
    pad = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    if len(text) + (text.count("\n") + 1) * pad > MAX_ITEMS:
        msg = f"the result of filter 'indent' would be larger than {MAX_ITEMS} characters"
        raise SecurityError(msg)


def _pre_replace(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    if len(args) < 3:
        return
    text, old, new = (str(a) for a in args[:3])
    hits = text.count(old) if old else len(text) + 1
    if len(text) + hits * max(0, len(new) - len(old)) > MAX_ITEMS:
        msg = f"the result of filter 'replace' would be larger than {MAX_ITEMS} characters"
        raise SecurityError(msg)


def _pre_center(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    _int_arg(args[1] if len(args) > 1 else kwargs.get("width"), MAX_ITEMS, "center width")


def _pre_batch(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    count = args[1] if len(args) > 1 else kwargs.get("linecount")
    fill = args[2] if len(args) > 2 else kwargs.get("fill_with")
    _int_arg(count, MAX_ITEMS, "batch size")
    if fill is not None and isinstance(count, int) and count * size_of(fill) > MAX_ITEMS:
        msg = f"the result of filter 'batch' would be larger than {MAX_ITEMS} items"
        raise SecurityError(msg)


def _pre_slice(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    _int_arg(args[1] if len(args) > 1 else kwargs.get("slices"), MAX_RANGE, "slice count")


def _pre_wordwrap(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    if args and len(str(args[0])) > _WORDWRAP_MAX_CHARS:
        msg = f"filter 'wordwrap' takes at most {_WORDWRAP_MAX_CHARS} characters"
        raise SecurityError(msg)


def _pre_tojson(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    _int_arg(args[1] if len(args) > 1 else kwargs.get("indent"), _TOJSON_MAX_INDENT,
             "tojson indent")


_PRECHECKS: dict[str, Callable[[tuple[Any, ...], dict[str, Any]], None]] = {
    "indent": _pre_indent,
    "replace": _pre_replace,
    "center": _pre_center,
    "batch": _pre_batch,
    "slice": _pre_slice,
    "wordwrap": _pre_wordwrap,
    "tojson": _pre_tojson,
}

_CHEAP_FILTERS = frozenset({"attr", "count", "d", "default", "first", "last", "length"})
"""Filters whose cost does not depend on their input's size: not measured."""


def guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap filter ``func``: count it, bound its input and result, materialise lazy results.

    ``functools.wraps`` copies ``func``'s attributes, so Jinja2 still passes the
    context, eval context or environment first when ``func`` asks for it; that
    argument is recognised by its type and left out of the measuring.
    """
    precheck = _PRECHECKS.get(name)
    measure = name not in _CHEAP_FILTERS

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        step()
        values = args[1:] if args and isinstance(args[0], _PASSED) else args
        if measure:
            check_size((values, kwargs), f"the input of filter {name!r}")
        if precheck is not None:
            precheck(values, kwargs)
        result = func(*args, **kwargs)
        if isinstance(result, Iterator) and not is_engine_object(result):
            return _collect(result, name)  # a loop object stays itself, not its items
        if measure:
            check_size(result, f"the result of filter {name!r}")
        return result

    return guarded
