"""Run each rectangle's content as a sandboxed Jinja2 template over an offer's data; return texts.

Content is compiled, never the data: offer values arrive as variables, so text in
an offer that looks like markup or like a template is drawn literally. Output is
plain text (autoescape off), because it is drawn, never parsed as HTML.

Variables: ``name``, ``description``, ``stores``, ``collection`` (the platform's
four), ``offer`` (the whole offer as plain JSON-like data, extras included),
``locale`` and the caller's ``context``, which cannot shadow the engine's names.
``<<identifier>>`` and ``<<dotted.path>>`` are read as ``{{identifier}}``.
Locale-aware filters come from :mod:`offer_render.merge.filters`; the sandbox and
its limits from :mod:`offer_render.merge.sandbox`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from jinja2 import (
    ChainableUndefined,
    Template,
    TemplateSyntaxError,
    Undefined,
    UndefinedError,
    nodes,
)
from jinja2.exceptions import SecurityError

from offer_render.cache import process_cache
from offer_render.config import Limits
from offer_render.diagnostics import Diagnostics
from offer_render.errors import InvalidInputError
from offer_render.merge.budget import MAX_CONTENT_CHARS, running
from offer_render.merge.filters import FILTERS, FilterError, use_locale
from offer_render.merge.localize import localize
from offer_render.merge.policy import check_printable
from offer_render.merge.sandbox import SandboxEnvironment
from offer_render.template.models import ImageTemplate, Offer

__all__ = ["merge_texts", "rewrite_aliases"]

PLATFORM_FIELDS = ("name", "description", "stores", "collection")
ENGINE_NAMES = (*PLATFORM_FIELDS, "offer", "locale")

_ALIAS = re.compile(r"<<\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*>>")

# Undefined values that reached the output, recorded per render (per thread/task).
_SEEN: ContextVar[list[tuple[object, str | None]] | None] = ContextVar("_SEEN", default=None)


class _RecordingUndefined(ChainableUndefined):
    """Render as "" and remember the name when printed or iterated.

    Chainable, so ``{{unknown.attr}}`` is empty rather than an error. Only output
    counts as use: ``{% if x is defined %}``, ``{% if x %}`` and ``x | default(..)``
    are normal ways to handle optional data and record nothing.
    """

    __slots__ = ()

    def _record(self) -> None:
        seen = _SEEN.get()
        if seen is not None:
            seen.append((self._undefined_obj, self._undefined_name))

    def __str__(self) -> str:
        self._record()
        return ""

    def __iter__(self) -> Iterator[Any]:
        self._record()
        return iter(())


def _finalize(value: Any) -> Any:
    # A null offer field prints as nothing, not as "None"; functions and engine objects
    # are refused, and every printed value counts against the rectangle's budget.
    if value is None:
        return ""
    if isinstance(value, Undefined):
        return value
    check_printable(value)
    return value


_ENV = SandboxEnvironment(
    autoescape=False,
    undefined=_RecordingUndefined,
    finalize=_finalize,
    keep_trailing_newline=True,
)
for _name, _filter in FILTERS.items():
    _ENV.add_filter(_name, _filter)


def rewrite_aliases(content: str) -> str:
    """Return ``content`` with every ``<<name>>`` / ``<<a.b>>`` written as ``{{name}}``."""
    return _ALIAS.sub(r"{{\1}}", content)


COMPILED_BYTES = 8 * 1024
"""Estimated memory of one compiled content (its module's code objects). Default:
8 KiB: tracemalloc measured 2.7 to 3.5 KiB on the 41 contents of ``fixtures/``; loops
and conditions take more."""

_COMPILED = process_cache("content_template", lambda _template: COMPILED_BYTES)
"""Rectangle content -> its compiled Jinja2 template."""


def _compile(content: str) -> Template:
    template: Template = _COMPILED.get_or_make(
        content, lambda: _ENV.from_string(rewrite_aliases(content))
    )
    return template


def merge_texts(
    template: ImageTemplate,
    offer: Offer | None,
    *,
    locale: str,
    default_locale: str,
    context: Mapping[str, object] | None,
    collections: Sequence[Mapping[str, object]] | None,
    limits: Limits,
    diag: Diagnostics,
) -> tuple[str, ...]:
    """Return one merged text per rectangle of ``template`` (list order).

    Unknown placeholders render empty and are reported as ``unknown_placeholder``
    (an error in strict mode); with no offer, the offer's own fields are simply empty
    and not reported. A text longer than ``limits.max_text_chars`` is cut and reported
    as ``text_truncated``. Syntax errors and sandbox refusals raise InvalidInputError
    naming the rectangle.
    """
    variables = _variables(offer, locale, default_locale, context, collections)
    paths: _PathIndex | None = None  # built on the first unknown name only
    texts: list[str] = []
    with use_locale(locale, default_locale) as choice:
        for i, rect in enumerate(template.rectangles):
            where = f"rectangles[{i}].content"
            label = f"rectangle {rect.name!r}"
            text, seen = _render(rect.content, variables, where, label, limits.max_text_chars + 1)
            reported: set[str] = set()
            for obj, name in seen:
                paths = paths or _PathIndex(variables)
                placeholder = paths.name_of(obj, name)
                if placeholder in reported:
                    continue
                reported.add(placeholder)
                if offer is None and placeholder.split(".", 1)[0] in (*PLATFORM_FIELDS, "offer"):
                    continue  # previewing a template without data is normal
                diag.warn(
                    "unknown_placeholder",
                    f"{label}: unknown placeholder {{{{{placeholder}}}}}",
                    where,
                    rect=i,
                )
            if (offer is not None and not variables["collection"]
                    and _uses(rect.content, "collection")):
                diag.warn(
                    "collection_missing",
                    f"{label}: {{{{collection}}}} is empty: none of the offer's collection_ids "
                    f"{list(offer.collection_ids)} matches a collection given to the renderer",
                    where,
                    rect=i,
                )
            if len(text) > limits.max_text_chars:
                text = text[: limits.max_text_chars]
                diag.warn(
                    "text_truncated",
                    f"{label}: merged text is longer than {limits.max_text_chars} characters; "
                    f"cut to {limits.max_text_chars}",
                    where,
                    rect=i,
                )
            texts.append(text)
    if choice.fallback is not None:
        diag.warn(
            "unknown_locale",
            f"locale {locale!r} is not known to Babel; dates and numbers are formatted "
            f"for {choice.fallback!r}",
            "locale",
        )
    return tuple(texts)


def _render(
    content: str, variables: Mapping[str, object], where: str, label: str, cap: int
) -> tuple[str, list[tuple[object, str | None]]]:
    """Render ``content``, stopping once ``cap`` characters are out; return text and undefineds."""
    if len(content) > MAX_CONTENT_CHARS:
        msg = f"{label}: content is longer than {MAX_CONTENT_CHARS} characters"
        raise InvalidInputError([(where, msg)])
    try:
        compiled = _compile(content)
    except TemplateSyntaxError as e:
        line = f" (line {e.lineno})" if e.lineno and "\n" in content else ""
        msg = f"template syntax error: {e.message}{line} in {label}"
        raise InvalidInputError([(where, msg)]) from None
    except RecursionError:
        msg = f"{label}: template is nested too deeply to compile"
        raise InvalidInputError([(where, msg)]) from None
    except SecurityError as e:  # pragma: no cover - the sandbox checks at run time
        raise _refused(where, label, e) from None
    seen: list[tuple[object, str | None]] = []
    token = _SEEN.set(seen)
    parts: list[str] = []
    size = 0
    try:
        with running():
            for chunk in compiled.generate(variables):
                parts.append(chunk)
                size += len(chunk)
                if size >= cap:
                    break  # bounded output: the rest would be cut anyway
    except SecurityError as e:
        raise _refused(where, label, e) from None
    except FilterError as e:
        raise InvalidInputError([(where, f"{label}: {e}")]) from None
    except UndefinedError as e:
        raise InvalidInputError([(where, f"{label}: template error: {e.message}")]) from None
    except RecursionError:
        msg = f"{label}: refused by the template sandbox: values or calls nested too deeply"
        raise InvalidInputError([(where, msg)]) from None
    except MemoryError:
        msg = f"{label}: refused by the template sandbox: the template needs too much memory"
        raise InvalidInputError([(where, msg)]) from None
    except Exception as e:  # noqa: BLE001 - any runtime failure of user content is bad input
        detail = str(e) or type(e).__name__
        raise InvalidInputError(
            [(where, f"{label}: template error: {type(e).__name__}: {detail}")]
        ) from None
    finally:
        _SEEN.reset(token)
    return "".join(parts), seen


def _refused(where: str, label: str, e: SecurityError) -> InvalidInputError:
    return InvalidInputError([(where, f"{label}: refused by the template sandbox: {e}")])


def _variables(
    offer: Offer | None,
    locale: str,
    default_locale: str,
    context: Mapping[str, object] | None,
    collections: Sequence[Mapping[str, object]] | None,
) -> dict[str, object]:
    variables: dict[str, object] = {
        key: value
        for key, value in (context or {}).items()
        if isinstance(key, str) and key not in ENGINE_NAMES
    }
    if offer is None:
        variables.update(dict.fromkeys(PLATFORM_FIELDS, ""))
        variables["offer"] = {}
    else:
        variables["name"] = localize(offer.name, locale, default_locale)
        variables["description"] = localize(offer.description, locale, default_locale)
        variables["stores"] = ", ".join(s for s in offer.stores if s)
        variables["collection"] = _collection_title(offer, collections, locale, default_locale)
        variables["offer"] = offer.model_dump(mode="json")
    variables["locale"] = locale
    return variables


def _collection_title(
    offer: Offer,
    collections: Sequence[Mapping[str, object]] | None,
    locale: str,
    default_locale: str,
) -> str:
    """Return the title of the offer's first collection (collection_ids order) that is known."""
    by_id: dict[str, Mapping[str, object]] = {}
    for col in collections or ():
        if isinstance(col, Mapping) and col.get("id") is not None:
            by_id.setdefault(str(col["id"]), col)
    for cid in offer.collection_ids:
        found = by_id.get(str(cid))
        if found is not None:
            return localize(found.get("title"), locale, default_locale)
    return ""


def _uses(content: str, name: str) -> bool:
    if name not in content:
        return False
    try:
        ast = _ENV.parse(rewrite_aliases(content))
    except TemplateSyntaxError:
        return False
    return any(n.name == name for n in ast.find_all(nodes.Name))


class _PathIndex:
    """Name the container an undefined value was looked up on (``offer.extras``)."""

    def __init__(self, variables: Mapping[str, object]) -> None:
        self._paths: dict[int, str] = {}
        self._keep: list[object] = []  # keep ids stable while the index lives
        for key, value in variables.items():
            self._walk(value, key, depth=0)

    def _walk(self, value: object, path: str, depth: int) -> None:
        if depth > 8 or not isinstance(value, dict | list):
            return
        self._paths.setdefault(id(value), path)
        self._keep.append(value)
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in items:
            sub = f"{path}.{key}" if isinstance(key, str) else f"{path}[{key}]"
            self._walk(child, sub, depth + 1)

    def name_of(self, obj: object, name: str | None) -> str:
        """Return the dotted placeholder for attribute ``name`` of ``obj`` (a bare name when
        ``obj`` is no container of the variables, Jinja2's missing sentinel included)."""
        label = name if name is not None else "?"
        base = self._paths.get(id(obj))
        return f"{base}.{label}" if base else label
