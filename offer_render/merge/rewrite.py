"""Prepare a parsed template for the sandbox: take its syntax tree, return it with work counted.

The rewrite uses only Jinja2's documented syntax tree (``jinja2.nodes``, see the
"AST" section of Jinja2's extension docs) and compiles through
``Environment.from_string``, which takes a tree as well as a string. It:

- refuses ``include``, ``import``, ``from ... import`` and ``extends``
  (:data:`~offer_render.merge.policy.NOT_AVAILABLE`) with a syntax error naming
  the tag and line;
- makes every ``{% for %}`` iterate through the hidden :data:`LOOP_GUARD` filter,
  which counts each iteration as a step and the loop body's fixed text as printed;
- sends the parts of every ``a ~ b ~ ...`` through :data:`CONCAT_GUARD`, and every
  list, tuple and dict literal through :data:`LITERAL_GUARD`, which refuse a result
  past :data:`~offer_render.merge.budget.MAX_ITEMS`.

The hooks are filters because Jinja2 compiles a filter as a direct call, while
calls written in a template go through the sandbox's call counting. A template that
names one (``x|_loop_guard``) gets the syntax error of an unknown filter. Filters
named by a string (``map('_loop_guard')``) are looked up only as the template runs:
the hooks only count and check there, and :data:`LOOP_GUARD` refuses a count of
printed characters that is not a whole number of 0 or more, since a negative one
would pay back characters printed and let a ``{% set %}`` block grow without bound.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from jinja2 import TemplateSyntaxError, Undefined, nodes
from jinja2.exceptions import SecurityError

from offer_render.merge.budget import MAX_ITEMS, check_size, counted, size_of
from offer_render.merge.policy import NOT_AVAILABLE

__all__ = ["CONCAT_GUARD", "HOOKS", "LITERAL_GUARD", "LOOP_GUARD", "guard_tree"]

LOOP_GUARD = "_loop_guard"
CONCAT_GUARD = "_concat_guard"
LITERAL_GUARD = "_literal_guard"


def _loop_guard(value: Any, static_chars: int = 0) -> Iterator[Any]:
    """Iterate ``value``, counting each item and ``static_chars`` printed per item."""
    if type(static_chars) is not int or static_chars < 0:  # a template's own count
        msg = (f"filter {LOOP_GUARD!r} is the sandbox's own loop counter; "
               "its argument must be a whole number of characters, 0 or more")
        raise SecurityError(msg)
    if isinstance(value, Undefined):
        return iter(value)  # records the name, as iterating it directly would
    return counted(value, static_chars)


def _concat_guard(parts: tuple[Any, ...]) -> str:
    """Return the parts of ``a ~ b ~ ...`` joined as text, if that stays within the bound."""
    total = 0
    for part in parts:
        total += 0 if isinstance(part, Undefined) else size_of(part)
        if total > MAX_ITEMS:
            msg = f"the result of '~' would be larger than {MAX_ITEMS} characters"
            raise SecurityError(msg)
    return "".join(str(part) for part in parts)


def _literal_guard(value: Any) -> Any:
    """Return a list, tuple or dict literal's value if it stays within the bound."""
    check_size(value, "a list, tuple or dict")
    return value


HOOKS: dict[str, Callable[..., Any]] = {
    LOOP_GUARD: _loop_guard,
    CONCAT_GUARD: _concat_guard,
    LITERAL_GUARD: _literal_guard,
}
"""The hidden filters the rewritten tree calls, by name (registered unwrapped: each
counts for itself)."""


def guard_tree(tree: nodes.Template) -> nodes.Template:
    """Refuse unavailable tags in ``tree``, then rewrite it in place; return it.

    Call once per tree: a tree rewritten twice would count its loops twice.
    """
    for node in tree.find_all(tuple(NOT_AVAILABLE)):
        msg = f"'{{% {NOT_AVAILABLE[type(node)]} %}}' is not available in offer templates"
        raise TemplateSyntaxError(msg, node.lineno)
    for hook in tree.find_all(nodes.Filter):
        if hook.name in HOOKS:
            msg = f"No filter named {hook.name!r}."  # as Jinja2 says for an unknown filter
            raise TemplateSyntaxError(msg, hook.lineno)
    _rewrite_children(tree)
    return tree


def _rewrite_children(node: nodes.Node) -> None:
    """Rewrite ``node``'s children, deepest first, replacing them in their fields."""
    for field, value in node.iter_fields():
        if isinstance(value, nodes.Node):
            setattr(node, field, _rewrite(value))
        elif isinstance(value, list):
            setattr(node, field, [
                _rewrite(item) if isinstance(item, nodes.Node) else item for item in value
            ])


def _rewrite(node: nodes.Node) -> nodes.Node:
    _rewrite_children(node)
    if isinstance(node, nodes.For):
        node.iter = _hook(LOOP_GUARD, node.iter, _static_chars(node))
        return node
    if isinstance(node, nodes.Concat):
        return _hook(CONCAT_GUARD, nodes.Tuple(node.nodes, "load", lineno=node.lineno))
    if isinstance(node, nodes.Tuple) and node.ctx != "load":
        return node  # an assignment target: {% for k, v in ... %}, {% set a, b = ... %}
    if isinstance(node, nodes.List | nodes.Dict | nodes.Tuple):
        return _hook(LITERAL_GUARD, node)
    return node


def _hook(name: str, node: nodes.Node, *args: int) -> nodes.Filter:
    """Return ``node | name(*args)``."""
    consts: list[nodes.Expr] = [nodes.Const(arg, lineno=node.lineno) for arg in args]
    return nodes.Filter(node, name, consts, [], None, None, lineno=node.lineno)


def _static_chars(loop: nodes.For) -> int:
    """Return the characters of fixed text in ``loop``'s body and else branch (nested
    loops' text included), which every iteration may print without a ``{{ }}``."""
    return sum(
        len(data.data)
        for part in (*loop.body, *loop.else_)
        for data in (part, *part.find_all(nodes.TemplateData))
        if isinstance(data, nodes.TemplateData)
    )
