"""Turn raw JSON (a template, or an offer holding one) into validated models, or clear errors.

Every pydantic error becomes a ``(path, message)`` pair such as
``("rectangles[2].font_size", "must be greater than 0")`` and all of them are raised
together in one :class:`~offer_render.errors.InvalidInputError`. Unknown keys are not
errors: they are reported through :class:`~offer_render.diagnostics.Diagnostics` with
the closest known key as a suggestion (strict mode turns them into errors there).
Lone surrogates and NULs in any string are fixed and reported as ``text_replaced``
warnings (see :mod:`offer_render.template.textscrub`).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from offer_render.config import Limits
from offer_render.diagnostics import Diagnostics
from offer_render.errors import InvalidInputError
from offer_render.template.models import ImageTemplate, Offer, Rectangle
from offer_render.template.textscrub import scrub_tree

__all__ = [
    "check_output_size",
    "check_unknown_keys",
    "errors_to_problems",
    "load_json_file",
    "parse_offer",
    "parse_template",
]

# Messages by pydantic error type; ``None`` means "derive from pydantic's own message".
_MESSAGES: dict[str, str] = {
    "missing": "is required",
    "int_from_float": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "finite_number": "must be a finite number",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "none_required": "must be null",
}
# Location segments pydantic adds for union members and wrapped validators, not fields.
_TAG = re.compile(r"^(?:str|int|float|bool|none|.*\[.*\])$")


def load_json_file(path: Path) -> object:
    """Read ``path`` and return the parsed JSON; raise InvalidInputError with one clear line."""
    where = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInputError([(where, "file not found")]) from None
    except IsADirectoryError:
        raise InvalidInputError([(where, "is a folder, not a JSON file")]) from None
    except OSError as e:
        raise InvalidInputError([(where, f"cannot be read: {e.strerror or e}")]) from None
    return parse_json_bytes(raw, where)


def parse_json_bytes(raw: bytes, where: str) -> object:
    """Return the JSON value of ``raw``; raise InvalidInputError naming ``where`` (a file,
    ``<stdin>``, a request body) in one clear line."""
    try:
        # json.loads on bytes detects UTF-8/16/32 and skips a UTF-8 byte order mark.
        return json.loads(raw)
    except json.JSONDecodeError as e:
        msg = f"is not valid JSON: line {e.lineno} column {e.colno}: {e.msg}"
        raise InvalidInputError([(where, msg)]) from None
    except UnicodeDecodeError:
        raise InvalidInputError([(where, "is not valid JSON: not UTF-8 text")]) from None
    except RecursionError:
        raise InvalidInputError([(where, "is not valid JSON: nested too deeply")]) from None


def parse_template(data: object, *, limits: Limits, diag: Diagnostics) -> ImageTemplate:
    """Validate ``data`` (an image_template, or an offer holding one) into an ImageTemplate.

    When ``data`` is an offer (it has an ``image_template`` key), its template is used
    and every path is prefixed with ``image_template.``. Unknown keys in the template
    and its rectangles are reported to ``diag`` as ``unknown_key`` warnings.
    """
    prefix = ""
    if not isinstance(data, dict):
        msg = f"must be a JSON object (an image_template or an offer), got {_json_type(data)}"
        raise InvalidInputError([("", f"the template {msg}")])
    if "image_template" in data:
        prefix = "image_template"
        data = data["image_template"]
        if data is None:
            raise InvalidInputError(
                [("image_template", "is null: this offer has no template to render")]
            )
        if not isinstance(data, dict):
            raise InvalidInputError(
                [("image_template", f"must be an object, got {_json_type(data)}")]
            )
    data = _scrub(data, diag, prefix)
    try:
        template = ImageTemplate.model_validate(data, context={"limits": limits})
    except ValidationError as e:
        raise InvalidInputError(errors_to_problems(e.errors(), data, prefix=prefix)) from None
    check_unknown_keys(template, diag, prefix=prefix)
    return template


def parse_offer(data: object, *, limits: Limits, diag: Diagnostics) -> Offer:
    """Validate ``data`` into an Offer; unknown offer keys are kept, not reported.

    Unknown keys inside the offer's ``image_template`` are not reported here either
    (:func:`parse_template` does it, and reporting twice would duplicate warnings);
    call :func:`check_unknown_keys` with ``prefix="image_template"`` if needed.
    """
    if not isinstance(data, dict):
        raise InvalidInputError([("", f"the offer must be a JSON object, got {_json_type(data)}")])
    data = _scrub(data, diag, "", skip="image_template")
    try:
        return Offer.model_validate(data, context={"limits": limits})
    except ValidationError as e:
        raise InvalidInputError(errors_to_problems(e.errors(), data)) from None


def check_scale(scale: object, *, limits: Limits) -> float:
    """Return ``scale`` unchanged; raise InvalidInputError unless it is a number, 0 < scale
    <= the limit (an int stays an int: the report prints ``"scale": 1``)."""
    limit = limits.max_scale
    if (isinstance(scale, bool) or not isinstance(scale, int | float)
            or not (0 < scale <= limit)):
        raise InvalidInputError([("scale", f"must be greater than 0 and at most {limit:g}")])
    return scale


def check_output_size(template: ImageTemplate, scale: float, *, limits: Limits) -> tuple[int, int]:
    """Return the device size ``template`` at ``scale`` gives; raise InvalidInputError if unusable.

    Call it before anything allocates pixels: an image of 0 px either way cannot be
    encoded, and one over ``limits.max_output_pixels`` is refused (4096 x 4096 at
    scale 4 is 1 GiB of RGBA).
    """
    width, height = round(template.width * scale), round(template.height * scale)
    if width < 1 or height < 1:
        msg = (f"gives an empty {width}x{height} image for the {template.width}x"
               f"{template.height} canvas")
        raise InvalidInputError([("scale", msg)])
    if width * height > limits.max_output_pixels:
        msg = (f"gives a {width}x{height} image, more than the limit of "
               f"{limits.max_output_pixels:,} pixels")
        raise InvalidInputError([("scale", msg)])
    return width, height


def _scrub(data: Any, diag: Diagnostics, prefix: str, *, skip: str | None = None) -> Any:
    """Return ``data`` with invalid text fixed (textscrub), warning ``text_replaced`` per string.

    Paths under ``skip`` are fixed silently (the template inside an offer is
    reported by :func:`parse_template`, so it is not reported twice).
    """
    found: list[tuple[str, str]] = []
    data = scrub_tree(data, prefix, found)
    for path, what in found:
        if skip and (path == skip or path.startswith((f"{skip}.", f"{skip}["))):
            continue
        match = _RECT_INDEX.search(path)
        diag.warn("text_replaced", f"not valid Unicode text: {what}", path,
                  rect=int(match.group(1)) if match else None)
    return data


_RECT_INDEX = re.compile(r"(?:^|\.)rectangles\[(\d+)\]")


def check_unknown_keys(template: ImageTemplate, diag: Diagnostics, *, prefix: str = "") -> None:
    """Report every key the template or a rectangle does not know, suggesting the closest."""
    base = f"{prefix}." if prefix else ""
    _warn_unknown(template.extra_keys, _known(ImageTemplate), diag, base, rect=None)
    rect_known = _known(Rectangle)
    for i, rect in enumerate(template.rectangles):
        _warn_unknown(rect.extra_keys, rect_known, diag, f"{base}rectangles[{i}].", rect=i)


def errors_to_problems(
    errors: Iterable[ErrorDetails], data: object = None, *, prefix: str = ""
) -> list[tuple[str, str]]:
    """Convert pydantic errors into ``(path, message)`` pairs that read as rules.

    ``data`` is the validated input; with it, a missing key whose near-namesake is
    present (``font_sise`` for ``font_size``) gets a hint in its message.
    """
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    for err in errors:
        loc = [p for p in err["loc"] if not (isinstance(p, str) and _TAG.match(p))]
        path = _format_path(loc, prefix)
        if path in seen:  # union members report one error each; keep the first
            continue
        seen.add(path)
        message = _message(err)
        if err["type"] == "missing" and loc and isinstance(loc[-1], str):
            hint = _typo_hint(_lookup(data, loc[:-1]), loc[-1])
            if hint:
                message = f"{message} ({hint})"
        problems.append((path, message))
    return problems


def _message(err: ErrorDetails) -> str:
    kind = err["type"]
    fixed = _MESSAGES.get(kind)
    if fixed is not None:
        return fixed
    ctx = err.get("ctx") or {}
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        got = err.get("input")
        return f"must be one of {', '.join(choices)} (got {_short(got)})"
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    bounds = {
        "greater_than": ("must be greater than", "gt"),
        "greater_than_equal": ("must be at least", "ge"),
        "less_than": ("must be less than", "lt"),
        "less_than_equal": ("must be at most", "le"),
    }
    if kind in bounds:
        words, key = bounds[kind]
        return f"{words} {_num(ctx.get(key))}"
    msg = err["msg"]
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if msg.startswith("Input should be"):
        msg = "must be" + msg[len("Input should be") :]
    return msg


def _num(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _format_path(loc: Sequence[int | str], prefix: str = "") -> str:
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _lookup(data: object, loc: Sequence[int | str]) -> object:
    for part in loc:
        if isinstance(part, int) and isinstance(data, list | tuple) and 0 <= part < len(data):
            data = data[part]
        elif isinstance(part, str) and isinstance(data, Mapping):
            data = data.get(part)
        else:
            return None
    return data


def _typo_hint(obj: object, missing: str) -> str:
    if not isinstance(obj, Mapping):
        return ""
    known = {*_known(ImageTemplate), *_known(Rectangle), *_known(Offer)}
    keys = [k for k in obj if isinstance(k, str) and k not in known]
    close = difflib.get_close_matches(missing, keys, n=1, cutoff=0.75)
    return f"found '{close[0]}': a typo?" if close else ""


def _known(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _warn_unknown(
    keys: Iterable[str], known: Sequence[str], diag: Diagnostics, base: str, *, rect: int | None
) -> None:
    for key in keys:
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        diag.warn("unknown_key", f"unknown key '{key}'{hint}", f"{base}{key}", rect=rect)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
