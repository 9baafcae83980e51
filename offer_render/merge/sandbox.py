"""Build the Jinja2 sandbox for rectangle contents: take content, return a template of bounded work.

Jinja2's ``ImmutableSandboxedEnvironment`` already refuses ``_private`` and
internal attributes and calls that mutate lists, dicts and sets. This module
adds what a shared render service needs on top (SPEC 5), each limit enforced
where the work happens, so a refusal comes before the memory or time is spent:

- **Sizes.** No string or container a template builds may exceed
  :data:`MAX_ITEMS` characters or items (counted through nesting, shared parts
  counted each time, so a doubling structure is caught). Checked on every
  operator (``+ - * / // % **`` and ``~``), every list/tuple/dict literal,
  every call's result and every filter's input and result. Integers stay under
  :data:`MAX_INT_BITS`; ``%`` refuses widths and precisions over
  :data:`MAX_FORMAT_WIDTH`.
- **Work.** Loop iterations, calls and filter applications together are at
  most :data:`MAX_STEPS` per rectangle; ``range()`` gives at most
  :data:`MAX_RANGE` numbers; calls (macros, ``caller()``, recursive loops,
  ``self.block()``) nest at most :data:`MAX_DEPTH` deep; characters printed
  anywhere (including into macros and ``{% set %}`` blocks, where the
  renderer's output cap does not reach) are at most :data:`MAX_PRINTED`.
- **Time.** A backstop: a rectangle may use :data:`MAX_CPU_SECONDS` of its
  thread's CPU time (checked every few steps). Thread CPU time, not wall time,
  so a busy service does not fail slow-but-honest templates.
- **Reach.** Strings, numbers, lists and dicts expose only an allowlist of
  read-only methods: no ``str.format`` (its width field allocates at will),
  ``center``, ``zfill``, ``to_bytes`` and the like. ``lipsum()``, the
  ``random`` filter (output must be reproducible), ``include``, ``import`` and
  ``extends`` are not available. Functions and engine objects (``cycler``,
  ``namespace()``, ``loop``, ``self``) cannot be printed.

How loops are counted: the parsed template is rewritten before compiling so
that every ``{% for %}`` iterates through a counting generator (the hidden
``_loop_guard`` filter), and the code generator routes ``~`` and container
literals through the environment; calls already go through
``SandboxedEnvironment.call``. All counters live in a :class:`Budget` held in a
context variable, so concurrent renders in many threads never share one.
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
import time
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import Any, NoReturn, cast

from jinja2 import Undefined, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.runtime import Context, LoopContext, TemplateReference
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Cycler, Joiner, Namespace

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
    "SandboxEnvironment",
    "check_printable",
    "running",
    "size_of",
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


def _step() -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.step()


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


def _check_size(value: object, what: str) -> None:
    if size_of(value) > MAX_ITEMS:
        msg = (f"{what} would be larger than {MAX_ITEMS} characters or items "
               f"(or nested more than {MAX_NESTING} deep)")
        raise SecurityError(msg)


_ENGINE_OBJECTS = (types.ModuleType, TemplateReference, LoopContext, Namespace, Cycler, Joiner)


def check_printable(value: object) -> None:
    """Raise SecurityError unless ``value`` is data small enough to print; count it.

    Functions, classes, modules and the engine's own objects (``self``, ``loop``,
    ``namespace()``, ``cycler()``, ``joiner()``) are not data: printing them would
    show engine internals.
    """
    if callable(value) or isinstance(value, _ENGINE_OBJECTS):
        msg = f"a function or engine object ({type(value).__name__}) cannot be printed as text"
        raise SecurityError(msg)
    size = size_of(value)
    if size > MAX_ITEMS:
        msg = (f"a value to print is larger than {MAX_ITEMS} characters or items "
               f"(or nested more than {MAX_NESTING} deep)")
        raise SecurityError(msg)
    budget = _BUDGET.get()
    if budget is not None:
        budget.add_printed(size)


# ---------------------------------------------------------------- operators

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
    # 2 ** 10 ** 9 would run for minutes; exponents this large never make display text.
    if isinstance(right, int | float | Decimal) and abs(right) > 1000:  # type: ignore[operator]
        msg = "the exponent of '**' is too large"
        raise SecurityError(msg)
    if isinstance(left, int) and isinstance(right, int) and right > 0:
        if left.bit_length() * right > MAX_INT_BITS:
            msg = "the result of '**' would be too large"
            raise SecurityError(msg)
    return operator.pow(left, right)


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
    _check_size(args, "the arguments of '%'")
    result = operator.mod(fmt, args)
    _check_size(result, "the result of '%'")
    return result


_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": _safe_add,
    "-": operator.sub,
    "*": _safe_mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "%": safe_percent,
    "**": _safe_pow,
}


def bounded_range(*args: Any) -> range:
    """Return ``range(*args)`` if it has at most :data:`MAX_RANGE` numbers."""
    rng = range(*args)
    try:
        size = len(rng)
    except OverflowError:
        size = MAX_RANGE + 1
    if size > MAX_RANGE:
        msg = f"range() may give at most {MAX_RANGE} numbers"
        raise SecurityError(msg)
    return rng


def _no_lipsum(*args: Any, **kwargs: Any) -> NoReturn:
    msg = "lipsum() is not available in offer templates"
    raise SecurityError(msg)


# ---------------------------------------------------------------- filters

def _counted(iterable: Iterable[Any], static_chars: int = 0) -> Iterator[Any]:
    """Yield ``iterable``'s items, counting each (and the loop body's fixed text) in the budget."""
    budget = _BUDGET.get()
    for item in iterable:
        if budget is not None:
            budget.step()
            if static_chars:
                budget.add_printed(static_chars)
        yield item


def _loop_guard(value: Any, static_chars: int = 0) -> Iterator[Any]:
    if type(static_chars) is not int or static_chars < 0:  # a template's own count
        # A negative count would pay back printed characters and let a {% set %} block
        # grow without bound; map('_loop_guard', ...) reaches this filter by name.
        msg = ("filter '_loop_guard' is the sandbox's own loop counter; "
               "its argument must be a whole number of characters, 0 or more")
        raise SecurityError(msg)
    if isinstance(value, Undefined):
        return iter(value)  # records the name, as iterating it directly would
    return _counted(value, static_chars)


def _collect(result: Iterator[Any], name: str) -> list[Any]:
    """Materialise a lazy filter result, item by item, within the size bound."""
    out: list[Any] = []
    total = 1
    for item in _counted(result):
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
    # textwrap cuts long words in quadratic time; 20,000 characters take ~30 ms at width 1.
    if args and len(str(args[0])) > 20_000:
        msg = "filter 'wordwrap' takes at most 20000 characters"
        raise SecurityError(msg)


def _pre_tojson(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    _int_arg(args[1] if len(args) > 1 else kwargs.get("indent"), 16, "tojson indent")


_PRECHECKS: dict[str, Callable[[tuple[Any, ...], dict[str, Any]], None]] = {
    "indent": _pre_indent,
    "replace": _pre_replace,
    "center": _pre_center,
    "batch": _pre_batch,
    "slice": _pre_slice,
    "wordwrap": _pre_wordwrap,
    "tojson": _pre_tojson,
}

# Filters whose cost does not depend on their input's size: not measured.
_CHEAP_FILTERS = frozenset({"attr", "count", "d", "default", "first", "last", "length"})
_REMOVED_FILTERS = frozenset({"random"})


def _format_filter(value: Any, *args: Any, **kwargs: Any) -> str:
    """Jinja's ``format`` filter (``"%s"|format(x)``) with the bounds of ``%``."""
    if args and kwargs:
        msg = "can't handle positional and keyword arguments at the same time"
        raise TypeError(msg)
    return str(safe_percent(str(value), kwargs or args))


def guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap filter ``func``: count it, bound its input and result, materialise lazy results."""
    skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0
    precheck = _PRECHECKS.get(name)
    measure = name not in _CHEAP_FILTERS

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _step()
        values = args[skip:]
        if measure:
            _check_size((values, kwargs), f"the input of filter {name!r}")
        if precheck is not None:
            precheck(values, kwargs)
        result = func(*args, **kwargs)
        if isinstance(result, Iterator) and not isinstance(result, LoopContext):
            return _collect(result, name)
        if measure:
            _check_size(result, f"the result of filter {name!r}")
        return result

    return guarded


# ---------------------------------------------------------------- attributes

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
_MAP_ATTRS = frozenset({"get", "items", "keys", "values"})
_SET_ATTRS = frozenset({"isdisjoint", "issubset", "issuperset"})


def _allowed_attributes(obj: object) -> frozenset[str] | None:
    """Return the attributes a template may read on ``obj``, or None for the sandbox's default."""
    if isinstance(obj, str):
        return _STR_ATTRS
    if isinstance(obj, int | float):
        return _NUM_ATTRS
    if isinstance(obj, list | tuple):
        return _SEQ_ATTRS
    if isinstance(obj, Mapping):
        return _MAP_ATTRS
    if isinstance(obj, set | frozenset):
        return _SET_ATTRS
    return None


# ---------------------------------------------------------------- code generation

class _CodeGenerator(CodeGenerator):
    """Route ``~`` and list, tuple and dict literals through the environment's size checks."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.guarded_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        if node.ctx != "load":  # an assignment target such as {% for k, v in ... %}
            super().visit_Tuple(node, frame)
            return
        self.write("environment.guarded_literal(")
        super().visit_Tuple(node, frame)
        self.write(")")

    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        self.write("environment.guarded_literal(")
        super().visit_List(node, frame)
        self.write(")")

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self.write("environment.guarded_literal(")
        super().visit_Dict(node, frame)
        self.write(")")


_NOT_AVAILABLE = {
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from ... import",
    nodes.Extends: "extends",
}


class SandboxEnvironment(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox with every operator, call, filter and loop bounded."""

    intercepted_binops = frozenset(_BINOPS)
    code_generator_class = _CodeGenerator

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals["range"] = bounded_range
        self.globals["lipsum"] = _no_lipsum
        builtins = {k: v for k, v in self.filters.items() if k not in _REMOVED_FILTERS}
        builtins["format"] = _format_filter
        self.filters = {}
        for name, func in builtins.items():
            self.add_filter(name, func)
        self.filters["_loop_guard"] = _loop_guard  # counts per item itself; never materialised

    def add_filter(self, name: str, func: Callable[..., Any]) -> None:
        """Register filter ``func`` as ``name``, counted and size-checked like the built-ins."""
        self.filters[name] = guard_filter(name, func)

    # -- refusals and allowlists

    def unsafe_undefined(self, obj: Any, attribute: str) -> NoReturn:
        msg = f"access to attribute {attribute!r} of a {type(obj).__name__!r} value is not allowed"
        raise SecurityError(msg)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        allowed = _allowed_attributes(obj)
        return allowed is None or attr in allowed

    def wrap_str_format(self, value: Any) -> None:
        # str.format is refused outright (see is_safe_attribute): a format spec's width
        # ("{:>999999999}") allocates at will, and `~` or `%` do the same job bounded.
        return None

    def getattr(self, obj: Any, attribute: str) -> Any:
        # Data wins over methods not on the allowlist: offer.extras.copy is the key "copy".
        if isinstance(obj, Mapping) and attribute not in _MAP_ATTRS:
            try:
                return obj[attribute]
            except (TypeError, LookupError):
                pass
        return super().getattr(obj, attribute)

    # -- operators and literals

    def call_binop(self, context: Context, operator_: str, left: Any, right: Any) -> Any:
        return _BINOPS[operator_](left, right)

    def guarded_concat(self, parts: tuple[Any, ...]) -> str:
        """Return the parts of ``a ~ b ~ ...`` joined as text, if that stays within the bound."""
        total = 0
        for part in parts:
            total += 0 if isinstance(part, Undefined) else size_of(part)
            if total > MAX_ITEMS:
                msg = f"the result of '~' would be larger than {MAX_ITEMS} characters"
                raise SecurityError(msg)
        return "".join(str(part) for part in parts)

    def guarded_literal(self, value: Any) -> Any:
        """Return a list, tuple or dict literal's value if it stays within the bound."""
        _check_size(value, "a list, tuple or dict")
        return value

    # -- calls

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _BUDGET.get()
        if isinstance(__obj, LoopContext) and args:  # loop(children) in a recursive loop
            args = (_loop_guard(args[0]), *args[1:])
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
        _check_size(result, "the result of a call")
        return result

    # -- parsing

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        for node in tree.find_all(tuple(_NOT_AVAILABLE)):
            tag = _NOT_AVAILABLE[type(node)]
            msg = f"'{{% {tag} %}}' is not available in offer templates"
            raise TemplateSyntaxError(msg, node.lineno, name, filename)
        for hook in tree.find_all(nodes.Filter):
            if hook.name == "_loop_guard":  # the rewrite's own, added below
                msg = f"No filter named {hook.name!r}."  # as Jinja2 says for an unknown one
                raise TemplateSyntaxError(msg, hook.lineno, name, filename)
        for loop in tree.find_all(nodes.For):
            static = sum(
                len(data.data)
                for part in (*loop.body, *loop.else_)
                for data in (part, *part.find_all(nodes.TemplateData))
                if isinstance(data, nodes.TemplateData)
            )
            loop.iter = nodes.Filter(
                loop.iter, "_loop_guard", [nodes.Const(static)], [], None, None,
                lineno=loop.iter.lineno,
            )
        tree.set_environment(self)
        return tree
