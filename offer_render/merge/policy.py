"""Say what a template may reach: take an object (and an attribute), return whether it may be used.

Jinja2's ``ImmutableSandboxedEnvironment`` already refuses ``_private`` and internal
attributes and methods that mutate lists, dicts and sets. On top of that, strings,
numbers, lists, tuples, dicts and sets expose only an allowlist of read-only methods
(no ``str.format``, whose width field allocates at will, nor ``center``, ``zfill``,
``to_bytes`` and the like); other objects (a caller's ``date``, ``UUID``) keep the
sandbox's default. Functions and the engine's own objects cannot be printed;
``lipsum()``, the ``random`` filter (output must be reproducible), ``include``,
``import`` and ``extends`` are not available.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any, NoReturn

from jinja2 import nodes
from jinja2.exceptions import SecurityError

from offer_render.merge.budget import MAX_ITEMS, MAX_NESTING, current, size_of

__all__ = [
    "MAP_ATTRS",
    "NOT_AVAILABLE",
    "REMOVED_FILTERS",
    "allowed_attributes",
    "check_printable",
    "is_engine_object",
    "no_lipsum",
    "refuse_attribute",
]

_STR_ATTRS = frozenset({
    "capitalize", "casefold", "count", "endswith", "find", "index", "isalnum", "isalpha",
    "isascii", "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric", "isprintable",
    "isspace", "istitle", "isupper", "lower", "lstrip", "partition", "removeprefix",
    "removesuffix", "rfind", "rindex", "rpartition", "rsplit", "rstrip", "split", "splitlines",
    "startswith", "strip", "swapcase", "title", "upper",
})
_NUM_ATTRS = frozenset({"real", "imag", "numerator", "denominator", "conjugate", "bit_length",
                        "bit_count", "is_integer", "as_integer_ratio"})
_SEQ_ATTRS = frozenset({"count", "index"})
MAP_ATTRS = frozenset({"get", "items", "keys", "values"})
"""The methods a template may call on a dict; any other ``d.name`` reads the key ``name``."""
_SET_ATTRS = frozenset({"isdisjoint", "issubset", "issuperset"})

NOT_AVAILABLE: dict[type[nodes.Node], str] = {
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from ... import",
    nodes.Extends: "extends",
}
"""Tags refused when a template is compiled: offer templates have no other templates to load."""

REMOVED_FILTERS = frozenset({"random"})
"""Built-in filters taken out of the environment."""


def allowed_attributes(obj: object) -> frozenset[str] | None:
    """Return the attributes a template may read on ``obj``, or None for the sandbox's default."""
    if isinstance(obj, str):
        return _STR_ATTRS
    if isinstance(obj, int | float):
        return _NUM_ATTRS
    if isinstance(obj, list | tuple):
        return _SEQ_ATTRS
    if isinstance(obj, Mapping):
        return MAP_ATTRS
    if isinstance(obj, set | frozenset):
        return _SET_ATTRS
    return None


def refuse_attribute(obj: Any, attribute: str) -> NoReturn:
    """Raise the sandbox's refusal of ``attribute`` on ``obj``."""
    msg = f"access to attribute {attribute!r} of a {type(obj).__name__!r} value is not allowed"
    raise SecurityError(msg)


def is_engine_object(value: object) -> bool:
    """Return whether ``value`` is one of the template engine's own objects, not data.

    A module, or an instance of a class Jinja2 itself defines: ``self``
    (TemplateReference), ``loop`` (LoopContext), ``namespace()``, ``cycler()``,
    ``joiner()``, macros, blocks. Told by the class's module rather than a list of
    Jinja2's class names, which are not part of its documented API and may move.
    """
    if isinstance(value, types.ModuleType):
        return True
    module = type(value).__module__
    return module == "jinja2" or module.startswith("jinja2.")


def check_printable(value: object) -> None:
    """Raise SecurityError unless ``value`` is data small enough to print; count it.

    Functions, classes, modules and the engine's own objects are not data: printing
    them would show engine internals. What is printed counts against the
    rectangle's :data:`~offer_render.merge.budget.MAX_PRINTED`.
    """
    if callable(value) or is_engine_object(value):
        msg = f"a function or engine object ({type(value).__name__}) cannot be printed as text"
        raise SecurityError(msg)
    size = size_of(value)
    if size > MAX_ITEMS:
        msg = (f"a value to print is larger than {MAX_ITEMS} characters or items "
               f"(or nested more than {MAX_NESTING} deep)")
        raise SecurityError(msg)
    budget = current()
    if budget is not None:
        budget.add_printed(size)


def no_lipsum(*args: Any, **kwargs: Any) -> NoReturn:
    """Refuse ``lipsum()`` (the template global it replaces writes up to megabytes of text)."""
    msg = "lipsum() is not available in offer templates"
    raise SecurityError(msg)
