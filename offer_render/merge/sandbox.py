"""Build the Jinja2 sandbox for rectangle contents: take content, return a template of bounded work.

:class:`SandboxEnvironment` is Jinja2's ``ImmutableSandboxedEnvironment`` with every
limit a shared render service needs enforced where the work happens, so a refusal
comes before the memory or time is spent (README, "Sandbox limits"). The parts:

- :mod:`offer_render.merge.budget`: the limits, the per-rectangle :class:`Budget`
  (steps, call depth, printed characters, CPU time) and :func:`size_of`;
- :mod:`offer_render.merge.policy`: what a template may read, call and print;
- :mod:`offer_render.merge.operators`: ``+ - * / // % **``, ``range()`` and
  ``format`` within the size limits;
- :mod:`offer_render.merge.filterguard`: every filter counted and size-checked;
- :mod:`offer_render.merge.rewrite`: the parsed template rewritten so that loops,
  ``~`` and list, tuple and dict literals are counted and bounded.

This module ties them together. Jinja2 hooks it uses beyond the documented API
(``SandboxedEnvironment.call``, ``getattr`` and ``wrap_str_format``, and the
``LoopContext`` class) are listed where they are overridden;
``tests/test_sandbox.py`` fails with a message naming the one that changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

from jinja2 import Template, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment

from offer_render.merge.budget import MAX_DEPTH, check_size, current
from offer_render.merge.filterguard import guard_filter
from offer_render.merge.operators import BINOPS, bounded_range, format_filter
from offer_render.merge.policy import (
    MAP_ATTRS,
    REMOVED_FILTERS,
    allowed_attributes,
    no_lipsum,
    refuse_attribute,
)
from offer_render.merge.rewrite import HOOKS, LOOP_GUARD, guard_tree

__all__ = ["SandboxEnvironment"]


class SandboxEnvironment(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox with every operator, call, filter and loop bounded.

    Templates come in only through :meth:`from_string`, which rewrites them
    (:mod:`offer_render.merge.rewrite`); a ``loader`` is refused, since loading
    through it would compile templates without that rewrite.
    """

    # Documented operator interception (Jinja2 "Sandbox" docs, "Operator Intercepting").
    intercepted_binops = frozenset(BINOPS)

    def __init__(self, **options: Any) -> None:
        if options.get("loader") is not None:
            msg = "the template sandbox compiles strings only; a loader is not supported"
            raise ValueError(msg)
        super().__init__(**options)
        self.globals["range"] = bounded_range
        self.globals["lipsum"] = no_lipsum
        builtins = {k: v for k, v in self.filters.items() if k not in REMOVED_FILTERS}
        builtins["format"] = format_filter
        self.filters = {}
        for name, func in builtins.items():
            self.add_filter(name, func)
        self.filters.update(HOOKS)  # the rewrite's hooks count for themselves

    def add_filter(self, name: str, func: Callable[..., Any]) -> None:
        """Register filter ``func`` as ``name``, counted and size-checked like the built-ins."""
        self.filters[name] = guard_filter(name, func)

    # -- compiling (documented: parse, jinja2.nodes, from_string of a tree)

    def from_string(
        self,
        source: str | nodes.Template,
        globals: MutableMapping[str, Any] | None = None,
        template_class: type[Template] | None = None,
    ) -> Template:
        """Compile ``source`` (text or a tree from :meth:`parse`) with loops and literals
        counted; raise TemplateSyntaxError for a syntax error or an unavailable tag."""
        tree = self.parse(source) if isinstance(source, str) else source
        tree = guard_tree(tree)
        tree.set_environment(self)
        return super().from_string(tree, globals, template_class)

    # -- attributes

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """Return True if a template may read ``obj.attr``; raise SecurityError otherwise.

        Raising here rather than returning False gives the refusal at the access,
        with a message naming the attribute (Jinja2 would hand back an undefined value
        that fails only when used).
        """
        if not super().is_safe_attribute(obj, attr, value):
            refuse_attribute(obj, attr)
        allowed = allowed_attributes(obj)
        if allowed is not None and attr not in allowed:
            refuse_attribute(obj, attr)
        return True

    def wrap_str_format(self, value: Any) -> None:
        """Never wrap ``str.format``: it is refused (not on the allowlist), since a format
        spec's width (``"{:>999999999}"``) allocates at will; ``~`` and ``%`` do the job
        bounded.

        Jinja2 internal (3.1.5+): the sandbox's ``getattr`` and ``getitem`` ask this
        before :meth:`is_safe_attribute` and return its wrapper instead.
        """
        return None

    def getattr(self, obj: Any, attribute: str) -> Any:
        """Return ``obj.attribute``; on a mapping, data wins over methods not on the
        allowlist (``offer.extras.copy`` is the key ``"copy"``).

        Jinja2 internal: compiled templates look up every ``a.b`` through this method.
        """
        if isinstance(obj, Mapping) and attribute not in MAP_ATTRS:
            try:
                return obj[attribute]
            except (TypeError, LookupError):
                pass
        return super().getattr(obj, attribute)

    # -- operators

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Run an intercepted operator within the size limits (:mod:`.operators`)."""
        bounded = BINOPS.get(operator)
        if bounded is None:  # Jinja2's docs: always fall back to the super method
            return super().call_binop(context, operator, left, right)
        return bounded(left, right)

    # -- calls

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Call ``__obj`` for a template: count the call and its nesting, bound its result.

        A recursive loop's ``loop(children)`` iterates ``children`` through the loop
        counter too. Jinja2 internal: compiled sandboxed templates make every call
        through this method (the double underscores keep Jinja2's signature, so a
        keyword argument named ``context`` or ``obj`` passes through).
        """
        budget = current()
        if isinstance(__obj, LoopContext) and args:
            args = (HOOKS[LOOP_GUARD](args[0]), *args[1:])
        if budget is None:
            return super().call(__context, __obj, *args, **kwargs)
        budget.step()
        budget.depth += 1
        try:
            if budget.depth > MAX_DEPTH:
                msg = f"calls nested more than {MAX_DEPTH} deep (does a macro call itself?)"
                raise SecurityError(msg)
            result = super().call(__context, __obj, *args, **kwargs)
        finally:
            budget.depth -= 1
        check_size(result, "the result of a call")
        return result
