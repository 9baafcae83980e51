"""Take one template, sample offers and locales; return a contact sheet and each cell's report.

Cells run offer by offer, and within an offer locale by locale; by default there
is one column per locale, so each row is one offer. Every cell is the render
(with the debug overlay when asked) scaled to a common cell size, on a
checkerboard so transparent canvases show as such, with ``offer id · locale``
written under it (and the number of warnings, when there are any).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from offer_render.api import Renderer
from offer_render.config import BUNDLED_FONTS_DIR
from offer_render.diagnostics import RenderWarning
from offer_render.layout.tree import LayoutTree
from offer_render.preview.overlay import draw_overlay
from offer_render.preview.samples import Sample
from offer_render.report import build_report
from offer_render.result import Painted

MARGIN = 16
"""Space around and between cells, in sheet pixels."""
LABEL_SIZE = 14
"""Font size of the cell labels, in sheet pixels."""
SHEET_BACKGROUND = (0xEE, 0xEE, 0xEE, 255)
LABEL_COLOUR = (0x22, 0x22, 0x22, 255)
WARNING_COLOUR = (0xB3, 0x59, 0x00, 255)
CHECKER = ((0xFF, 0xFF, 0xFF, 255), (0xD8, 0xD8, 0xD8, 255))
CHECKER_SIZE = 8
DEFAULT_MAX_CELL_WIDTH = 800
"""Cells wider than this are scaled down by default, so a sheet of big canvases stays usable."""


@dataclass(frozen=True)
class SheetCell:
    """One render on the sheet: its label, the offer and locale, warnings and render report."""

    label: str
    """``offer id · locale``, as written under the cell."""
    offer: str
    locale: str
    warnings: tuple[RenderWarning, ...]
    report: dict[str, Any] = field(repr=False)
    tree: LayoutTree = field(repr=False)


@dataclass(frozen=True)
class Sheet:
    """A contact sheet: the image, the cells in reading order, the grid shape and cell size."""

    image: Image.Image
    cells: tuple[SheetCell, ...]
    columns: int
    cell_size: tuple[int, int]
    """Size of every cell's image, in sheet pixels (label not included)."""


def cell_label(offer: str, locale: str) -> str:
    """Return the label written under a cell: ``offer id · locale``."""
    return f"{offer} · {locale}"


def build_sheet(
    renderer: Renderer,
    template: Any,
    samples: Sequence[Sample],
    locales: Sequence[str],
    *,
    debug: bool = False,
    columns: int | None = None,
    cell_width: int | None = None,
    scale: float = 1,
) -> Sheet:
    """Render ``template`` for every sample and locale and lay the renders out as a grid.

    ``template`` is template JSON (or an offer holding one) or an ImageTemplate.
    ``columns`` defaults to the number of locales; ``cell_width`` to the render's
    width, at most ``DEFAULT_MAX_CELL_WIDTH``. ``scale`` is the render scale
    (2 gives sharper cells and overlay). Raises OfferRenderError as
    :meth:`Renderer.paint` does.
    """
    if not samples or not locales:
        msg = "a contact sheet needs at least one sample and one locale"
        raise ValueError(msg)
    cells: list[SheetCell] = []
    images: list[Image.Image] = []
    for sample in samples:
        for locale in locales:
            painted = renderer.paint(template, sample.offer, locale=locale, scale=scale)
            cells.append(_cell(sample.label, locale, painted))
            images.append(draw_overlay(painted) if debug else painted.image)
    image, size, cols = compose_sheet(
        images, [c.label for c in cells], [len(c.warnings) for c in cells],
        columns=columns or len(locales), cell_width=cell_width,
    )
    return Sheet(image, tuple(cells), cols, size)


def _cell(offer: str, locale: str, painted: Painted) -> SheetCell:
    report = build_report(
        painted.tree, painted.warnings, fmt="png", locale=locale,
        css_width=painted.template.width, css_height=painted.template.height,
    )
    return SheetCell(
        cell_label(offer, locale), offer, locale, tuple(painted.warnings), report, painted.tree
    )


def compose_sheet(
    images: Sequence[Image.Image],
    labels: Sequence[str],
    warning_counts: Sequence[int] | None = None,
    *,
    columns: int,
    cell_width: int | None = None,
) -> tuple[Image.Image, tuple[int, int], int]:
    """Lay ``images`` out in a grid of ``columns`` with a label under each; return the sheet.

    Every image is scaled to one cell size: ``cell_width`` wide (default: the
    widest image, at most DEFAULT_MAX_CELL_WIDTH) and as tall as the tallest
    image at that width. Returns the sheet (RGB), the cell size and the columns
    actually used (never more than the number of images).
    """
    if not images:
        msg = "no images to lay out"
        raise ValueError(msg)
    if columns < 1:
        msg = "columns must be at least 1"
        raise ValueError(msg)
    counts = list(warning_counts or [0] * len(images))
    cols = min(columns, len(images))
    rows = -(-len(images) // cols)
    widest = max(im.width for im in images)
    cw = cell_width or min(widest, DEFAULT_MAX_CELL_WIDTH)
    ch = max(1, max(round(im.height * cw / im.width) for im in images))
    font = _font(LABEL_SIZE)
    label_h = 2 * (LABEL_SIZE + 4) + 4
    sheet_w = MARGIN + cols * (cw + MARGIN)
    sheet_h = MARGIN + rows * (ch + label_h + MARGIN)
    sheet = Image.new("RGBA", (sheet_w, sheet_h), SHEET_BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    for i, (im, label) in enumerate(zip(images, labels, strict=True)):
        col, row = i % cols, i // cols
        x = MARGIN + col * (cw + MARGIN)
        y = MARGIN + row * (ch + label_h + MARGIN)
        fitted = _fit(im, cw, ch)
        ox, oy = x + (cw - fitted.width) // 2, y + (ch - fitted.height) // 2
        sheet.alpha_composite(_checkerboard(fitted.size), (ox, oy))
        sheet.alpha_composite(fitted, (ox, oy))
        draw.text((x + cw / 2, y + ch + 4), label, font=font, fill=LABEL_COLOUR, anchor="ma")
        if counts[i]:
            note = f"{counts[i]} warning" + ("s" if counts[i] != 1 else "")
            draw.text((x + cw / 2, y + ch + 8 + LABEL_SIZE), note, font=font,
                      fill=WARNING_COLOUR, anchor="ma")
    return sheet.convert("RGB"), (cw, ch), cols


def _fit(image: Image.Image, width: int, height: int) -> Image.Image:
    """Return ``image`` (as RGBA) scaled to fit ``width`` x ``height``, aspect kept."""
    image = image.convert("RGBA") if image.mode != "RGBA" else image
    ratio = min(width / image.width, height / image.height)
    size = (max(1, round(image.width * ratio)), max(1, round(image.height * ratio)))
    if size == image.size:
        return image
    return image.resize(size, Image.Resampling.LANCZOS)


def _checkerboard(size: tuple[int, int]) -> Image.Image:
    board = Image.new("RGBA", size, CHECKER[0])
    draw = ImageDraw.Draw(board)
    for y in range(0, size[1], CHECKER_SIZE):
        for x in range((y // CHECKER_SIZE) % 2 * CHECKER_SIZE, size[0], 2 * CHECKER_SIZE):
            draw.rectangle((x, y, x + CHECKER_SIZE - 1, y + CHECKER_SIZE - 1), fill=CHECKER[1])
    return board


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(BUNDLED_FONTS_DIR / "DejaVuSans.ttf"), size)
