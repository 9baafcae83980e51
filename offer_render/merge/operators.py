"""Run a template's operators within the size limits: take the operands, return the result.

The sandbox sends ``+ - * / // % **`` here through Jinja2's documented operator
interception (``SandboxedEnvironment.intercepted_binops`` and ``call_binop``), and
``range()`` and the ``format`` filter through the environment's globals and filters.
Each refuses, before doing the work, a result no rectangle could show: a string or
list past :data:`~offer_render.merge.budget.MAX_ITEMS`, an integer past
:data:`~offer_render.merge.budget.MAX_INT_BITS`, a ``%`` width past
:data:`~offer_render.merge.budget.MAX_FORMAT_WIDTH`, a range past
:data:`~offer_render.merge.budget.MAX_RANGE`.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from jinja2.exceptions import SecurityError

from offer_render.merge.budget import (
    MAX_FORMAT_WIDTH,
    MAX_INT_BITS,
    MAX_ITEMS,
    MAX_RANGE,
    check_size,
    size_of,
)

__all__ = ["BINOPS", "bounded_range", "format_filter", "safe_percent"]

MAX_EXPONENT = 1000
"""Largest absolute exponent ``**`` takes: ``2 ** 10 ** 9`` would run for minutes."""


def _is_seq(value: object) -> bool:
    return isinstance(value, str | list | tuple)


def _safe_add(left: Any, right: Any) -> Any:
    if _is_seq(left) and _is_seq(right):
        if size_of(left) + size_of(right) > MAX_ITEMS:
            msg = f"the result of '+' would be larger than {MAX_ITEMS} characters or items"
            raise SecurityError(msg)
    return operator.add(left, right)


def _safe_mul(left: Any, right: Any) -> Any:
    # Repeating a string or list, or multiplying huge integers, into something no
    # rectangle could show.
    for seq, count in ((left, right), (right, left)):
        if _is_seq(seq) and isinstance(count, int) and count > 0:
            if count > MAX_ITEMS or size_of(seq) * count > MAX_ITEMS:
                msg = "the result of '*' would be too large"
                raise SecurityError(msg)
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS:
            msg = "the result of '*' would be too large"
            raise SecurityError(msg)
    return operator.mul(left, right)


def _safe_pow(left: Any, right: Any) -> Any:
    # Exponents this large never make display text.
    if isinstance(right, int | float | Decimal) and abs(right) > MAX_EXPONENT:  # type: ignore[operator]
        msg = "the exponent of '**' is too large"
        raise SecurityError(msg)
    if isinstance(left, int) and isinstance(right, int) and right > 0:
        if left.bit_length() * right > MAX_INT_BITS:
            msg = "the result of '**' would be too large"
            raise SecurityError(msg)
    return operator.pow(left, right)


# printf-style conversion specifier (Python's "printf-style String Formatting"):
# %[(key)][flags][width][.precision][length]type
_PERCENT_SPEC = re.compile(
    r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?(.)", re.DOTALL
)


def safe_percent(fmt: Any, args: Any) -> Any:
    """Return ``fmt % args`` when ``fmt`` asks for no huge width or precision; bound the result."""
    if not isinstance(fmt, str):
        return operator.mod(fmt, args)
    for match in _PERCENT_SPEC.finditer(fmt):
        for number in match.group(1, 2):
            if number == "*" or (number and int(number) > MAX_FORMAT_WIDTH):
                msg = f"a '%' format width or precision above {MAX_FORMAT_WIDTH} is not allowed"
                raise SecurityError(msg)
    check_size(args, "the arguments of '%'")
    result = operator.mod(fmt, args)
    check_size(result, "the result of '%'")
    return result


BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": _safe_add,
    "-": operator.sub,
    "*": _safe_mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "%": safe_percent,
    "**": _safe_pow,
}
"""Every binary operator Jinja2 lets a sandbox intercept, each bounded where it can grow."""


def bounded_range(*args: Any) -> range:
    """Return ``range(*args)`` if it has at most :data:`~offer_render.merge.budget.MAX_RANGE`
    numbers (the template global ``range``)."""
    rng = range(*args)
    try:
        size = len(rng)
    except OverflowError:
        size = MAX_RANGE + 1
    if size > MAX_RANGE:
        msg = f"range() may give at most {MAX_RANGE} numbers"
        raise SecurityError(msg)
    return rng


def format_filter(value: Any, *args: Any, **kwargs: Any) -> str:
    """Jinja's ``format`` filter (``"%s"|format(x)``) with the bounds of ``%``."""
    if args and kwargs:
        msg = "can't handle positional and keyword arguments at the same time"
        raise TypeError(msg)
    return str(safe_percent(str(value), kwargs or args))
