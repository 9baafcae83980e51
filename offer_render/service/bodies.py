"""Take a request body's bytes; return the call it asks for, or raise naming what is wrong.

Each endpoint's body is a pydantic model (they also give ``/openapi.json`` its
schemas). Parsing happens in the render worker, beside the render, so the service's
event loop only moves bytes. The messages are the command line's: JSON that does not
parse is :class:`BodyNotJson` (the service answers 400, ``body: is not valid JSON:
line 1 column 2: ...``); a body of the wrong shape is an InvalidInputError with one
problem per field (422), an unknown key with the closest known one as a hint. The
values the engine itself checks (format, quality, scale, locale, template, offer)
are left to the engine, so they read exactly as they do on the command line.
"""

from __future__ import annotations

import difflib
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from offer_render.errors import InvalidInputError

BODY = "body"
"""How messages name the request body."""

MAX_PREVIEW_CELLS = 100
"""Most offers x locales one preview draws. Default: 100 (each cell is a render)."""

M = TypeVar("M", bound="Body")


class BodyNotJson(InvalidInputError):
    """The body is not JSON at all (HTTP 400), as opposed to JSON of the wrong shape (422)."""


class Body(BaseModel):
    """A request body: a JSON object with only the keys its model names."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    @classmethod
    def parse(cls: type[M], raw: bytes) -> M:
        """Return the model of ``raw``; raise BodyNotJson or InvalidInputError."""
        data = _json(raw)
        if not isinstance(data, dict):
            raise InvalidInputError([(BODY, f"must be a JSON object, got {_kind(data)}")])
        unknown = [key for key in data if key not in cls.model_fields]
        if unknown:
            raise InvalidInputError([(key, _unknown(key, list(cls.model_fields)))
                                     for key in unknown])
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            from offer_render.template.validate import errors_to_problems

            raise InvalidInputError(errors_to_problems(exc.errors(), data)) from None


class RenderBody(Body):
    """``POST /v1/render``: one image of a template filled with an offer's data."""

    template: dict[str, Any] | None = Field(
        None, description="The image_template; default: the offer's own image_template.")
    offer: dict[str, Any] | None = Field(
        None, description="The offer (the platform's Offer model) whose data fills the "
                          "placeholders.")
    collections: list[dict[str, Any]] | None = Field(
        None, description="Collections, for {{collection}}.")
    context: dict[str, Any] | None = Field(None, description="Extra merge fields.")
    locale: str | None = Field(None, description="Render locale, e.g. en, pl, pt-BR.")
    format: str = Field("png", description="png, jpeg (jpg), webp or avif.")
    quality: int | None = Field(None, description="1 to 100, for jpeg, webp and avif.")
    scale: float = Field(1.0, description="2 gives an @2x image.")
    strict: bool = Field(False, description="Unknown keys, placeholders and fonts are errors.")


class PreviewBody(Body):
    """``POST /v1/preview``: a contact sheet of the template for sample offers and locales."""

    template: dict[str, Any] = Field(
        description="The image_template (or an offer holding one).")
    offers: list[dict[str, Any]] = Field(
        default_factory=list, description="Sample offers, one row each; default: the "
                                          "template's own data if it is an offer, else none.")
    locales: list[str] | None = Field(
        None, description="One column each; default: every locale the offers have, else en.")
    debug: bool = Field(False, description="Draw the layout overlay (boxes, lines, clipping).")


class LintBody(Body):
    """``POST /v1/lint``: findings about risky choices in a template."""

    template: dict[str, Any] = Field(
        description="The image_template (or an offer holding one).")
    offers: list[dict[str, Any]] = Field(
        default_factory=list, description="Sample offers to check with, besides lint's own "
                                          "worst-case data.")
    locales: list[str] | None = Field(
        None, description="Locales to check; default: every locale the offers have, else en.")


def _json(raw: bytes) -> Any:
    from offer_render.template.validate import parse_json_bytes

    try:
        return parse_json_bytes(raw, BODY)
    except InvalidInputError as exc:
        raise BodyNotJson(exc.problems) from None


def _kind(value: object) -> str:
    names = {list: "a list", str: "a string", bool: "true or false", type(None): "null"}
    return names.get(type(value), "a number")


def _unknown(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    return f"unknown key ({hint}the body takes {', '.join(known)})"
