"""Validate an image_template, its rectangles and an offer into typed, frozen models.

Validation happens here once, at the pydantic boundary; later stages trust the
types. Limits come from :class:`~offer_render.config.Limits` through the
validation context (``{"limits": Limits(...)}``).
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from offer_render.config import Limits
from offer_render.template.colors import parse_color
from offer_render.template.textscrub import scrub_tree

TextAlign = Literal["left", "center", "right", "justify"]
VerticalAlign = Literal["top", "middle", "bottom"]
FontStyle = Literal["normal", "italic", "oblique"]
Fit = Literal["clip", "shrink"]
DECORATIONS = ("underline", "overline", "line-through")
WEIGHT_KEYWORDS = {"normal": 400, "bold": 700}
RELATIVE_WEIGHTS = ("bolder", "lighter")


def _limits(info: ValidationInfo) -> Limits:
    ctx = info.context or {}
    limits = ctx.get("limits") if isinstance(ctx, dict) else None
    return limits if isinstance(limits, Limits) else Limits()


def _plain_number(v: Any) -> Any:
    """Refuse booleans and NaN/infinity before pydantic's lax number coercion sees them."""
    if isinstance(v, bool):
        msg = "must be a number, not true or false"
        raise ValueError(msg)
    if isinstance(v, float) and not math.isfinite(v):
        msg = "must be a finite number"
        raise ValueError(msg)
    return v


def _finite(v: float) -> float:
    if not math.isfinite(v):
        msg = "must be a finite number"
        raise ValueError(msg)
    return v


class Rectangle(BaseModel):
    """One text box of a template, with the platform's keys and the engine's extensions."""

    model_config = ConfigDict(extra="allow", frozen=True, strict=False)

    name: str
    width: float = Field(gt=0)
    height: float = Field(gt=0)
    padding: float = Field(ge=0)
    offset_left: float
    offset_top: float
    text_align: TextAlign
    color: str
    font_size: float = Field(gt=0)
    font_family: str = Field(min_length=1)
    font_url: str | None
    """Stylesheet URL; null or "" means no web fonts (installed fonts only)."""
    content: str = ""
    number: int | None = None
    text_decoration: str = "none"
    font_style: FontStyle = "normal"
    font_weight: int | str = "normal"
    # engine extensions
    vertical_align: VerticalAlign = "top"
    line_height: float | None = Field(default=None, gt=0, le=10)
    """Multiplier of the font's normal line height; None means ``normal``."""
    letter_spacing: float = Field(default=0.0, ge=-100, le=1000)
    max_lines: int | None = Field(default=None, ge=1, le=10_000)
    fit: Fit = "clip"
    min_font_size: float | None = Field(default=None, gt=0)
    """Smallest size ``fit: shrink`` may reach; default: the smaller of 6 and font_size."""

    @model_validator(mode="before")
    @classmethod
    def _valid_text(cls, data: Any) -> Any:
        # Lone surrogates become U+FFFD, NULs go (textscrub); validate.py reports them.
        return scrub_tree(data)

    @field_validator("width", "height", "padding", "offset_left", "offset_top", "font_size",
                     "number", "line_height", "letter_spacing", "max_lines", "min_font_size",
                     mode="before")
    @classmethod
    def _numbers_before(cls, v: Any) -> Any:
        return _plain_number(v)

    @field_validator("content", mode="before")
    @classmethod
    def _content_null(cls, v: Any) -> Any:
        return "" if v is None else v

    @field_validator("width", "height", "padding", "offset_left", "offset_top", "font_size",
                     "letter_spacing")
    @classmethod
    def _finite_numbers(cls, v: float) -> float:
        return _finite(v)

    @field_validator("width", "height", "offset_left", "offset_top")
    @classmethod
    def _within_canvas_limit(cls, v: float, info: ValidationInfo) -> float:
        limit = _limits(info).max_canvas
        if abs(v) > limit:
            msg = f"must be at most {limit} in size"
            raise ValueError(msg)
        return v

    @field_validator("font_size")
    @classmethod
    def _font_size_limit(cls, v: float, info: ValidationInfo) -> float:
        limit = _limits(info).max_font_size
        if v > limit:
            msg = f"must be at most {limit:g}"
            raise ValueError(msg)
        return v

    @field_validator("color")
    @classmethod
    def _color(cls, v: str) -> str:
        parse_color(v)  # raises ValueError with a clear message
        return v

    @field_validator("font_url", mode="before")
    @classmethod
    def _font_url(cls, v: Any) -> Any:
        if isinstance(v, str) and not v.strip():
            return None
        return v

    @field_validator("text_decoration")
    @classmethod
    def _decoration(cls, v: str) -> str:
        tokens = v.split()
        if tokens == ["none"] or not tokens:
            return "none"
        bad = [t for t in tokens if t not in DECORATIONS]
        if bad or len(set(tokens)) != len(tokens):
            msg = "must be none, underline, overline or line-through (or several of the last three)"
            raise ValueError(msg)
        return " ".join(tokens)

    @field_validator("font_weight", mode="before")
    @classmethod
    def _weight(cls, v: Any) -> Any:
        if isinstance(v, bool):
            msg = "must be normal, bold, bolder, lighter or a number from 1 to 1000"
            raise ValueError(msg)
        if isinstance(v, str):
            s = v.strip().lower()
            if s in WEIGHT_KEYWORDS or s in RELATIVE_WEIGHTS:
                return s
            try:
                v = float(s)
            except ValueError:
                msg = "must be normal, bold, bolder, lighter or a number from 1 to 1000"
                raise ValueError(msg) from None
        if isinstance(v, int | float):
            if not (math.isfinite(v) and 1 <= v <= 1000):
                msg = "must be a number from 1 to 1000"
                raise ValueError(msg)
            return int(round(v))
        msg = "must be normal, bold, bolder, lighter or a number from 1 to 1000"
        raise ValueError(msg)

    @field_validator("min_font_size")
    @classmethod
    def _min_font_size(cls, v: float | None, info: ValidationInfo) -> float | None:
        # A field validator (not a model one) so the error's path names min_font_size;
        # font_size is declared earlier, so it is in info.data when it was valid.
        if v is None:
            return v
        _finite(v)
        font_size = info.data.get("font_size")
        if isinstance(font_size, int | float) and v > font_size:
            msg = f"must not be larger than font_size ({font_size:g})"
            raise ValueError(msg)
        return v

    @property
    def weight(self) -> int:
        """Return the numeric CSS weight (bolder/lighter relative to the inherited 400)."""
        w = self.font_weight
        if isinstance(w, int):
            return w
        if w == "bolder":
            return 700  # CSS Fonts 4 table: bolder than 400 is 700
        if w == "lighter":
            return 100  # lighter than 400 is 100
        return WEIGHT_KEYWORDS[w]

    @property
    def decorations(self) -> tuple[str, ...]:
        """Return the decoration lines asked for, empty for ``none``."""
        return () if self.text_decoration == "none" else tuple(self.text_decoration.split())

    @property
    def rgba(self) -> tuple[int, int, int, int]:
        """Return the colour as an RGBA tuple."""
        return parse_color(self.color)

    @property
    def extra_keys(self) -> tuple[str, ...]:
        """Return keys the model does not know, kept for the unknown-key warnings."""
        return tuple((self.model_extra or {}).keys())


class ImageTemplate(BaseModel):
    """The platform's image_template: canvas size, optional background and rectangles."""

    model_config = ConfigDict(extra="allow", frozen=True)

    width: int = Field(ge=1)
    height: int = Field(ge=1)
    default: bool = False
    background_url: str | None = None
    rectangles: tuple[Rectangle, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _valid_text(cls, data: Any) -> Any:
        return scrub_tree(data)

    @field_validator("width", "height", mode="before")
    @classmethod
    def _numbers_before(cls, v: Any) -> Any:
        return _plain_number(v)

    @field_validator("width", "height")
    @classmethod
    def _canvas_limit(cls, v: int, info: ValidationInfo) -> int:
        limit = _limits(info).max_canvas
        if v > limit:
            msg = f"must be at most {limit}"
            raise ValueError(msg)
        return v

    @field_validator("rectangles", mode="before")
    @classmethod
    def _rect_count(cls, v: Any, info: ValidationInfo) -> Any:
        limit = _limits(info).max_rectangles
        if isinstance(v, list | tuple) and len(v) > limit:
            msg = f"must hold at most {limit} rectangles (got {len(v)})"
            raise ValueError(msg)
        return v

    @field_validator("background_url", mode="before")
    @classmethod
    def _bg_url(cls, v: Any) -> Any:
        if isinstance(v, str) and not v.strip():
            return None
        return v

    @property
    def extra_keys(self) -> tuple[str, ...]:
        """Return keys the model does not know, kept for the unknown-key warnings."""
        return tuple((self.model_extra or {}).keys())

    def drawing_order(self) -> list[int]:
        """Return rectangle indexes in drawing order: by ``number``, ties and missing last.

        Numbered rectangles come first in ascending order; ties keep list order;
        rectangles without a number follow in list order.
        """
        def key(i: int) -> tuple[int, float, int]:
            n = self.rectangles[i].number
            return (1, 0, i) if n is None else (0, n, i)

        return sorted(range(len(self.rectangles)), key=key)


LocalizedContent = dict[str, str | None] | str | None


class Offer(BaseModel):
    """The platform's Offer model: the fields the engine reads; every other key is kept."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: int | str | None = None
    name: LocalizedContent = None
    description: LocalizedContent = None
    stores: tuple[str, ...] = ()
    collection_ids: tuple[int, ...] = ()
    image_template: ImageTemplate | None = None

    @model_validator(mode="before")
    @classmethod
    def _valid_text(cls, data: Any) -> Any:
        return scrub_tree(data)

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, v: Any) -> Any:
        if v is None or isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool)):
            return v
        msg = "must be a number or a string"
        raise ValueError(msg)

    @field_validator("name", "description", mode="before")
    @classmethod
    def _localized(cls, v: Any) -> Any:
        # One clear message instead of pydantic's one-per-union-member errors.
        if v is None or isinstance(v, str):
            return v
        if isinstance(v, dict) and all(x is None or isinstance(x, str) for x in v.values()):
            return v
        msg = 'must be a text or an object of texts by locale, like {"en": "...", "pl": "..."}'
        raise ValueError(msg)

    @field_validator("stores", mode="before")
    @classmethod
    def _stores(cls, v: Any) -> Any:
        # Stores may come as names or as store objects with a name.
        if v is None:
            return ()
        if isinstance(v, list | tuple):
            out = []
            for s in v:
                if isinstance(s, dict):
                    out.append(_store_name(s))
                else:
                    out.append(s)
            return out
        return v

    @field_validator("collection_ids", mode="before")
    @classmethod
    def _ids(cls, v: Any) -> Any:
        return () if v is None else v


def _store_name(store: dict[str, Any]) -> str:
    name = store.get("name")
    if isinstance(name, dict):
        for value in name.values():
            if isinstance(value, str):
                return value
        return ""
    return str(name) if name is not None else ""
