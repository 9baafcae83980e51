"""Lay out one rectangle: take its model, merged text, font stack and scale; return a RectBox.

The box is CSS's absolutely positioned, border-box, padded, overflow-hidden
box. Text is processed as ``white-space: pre-line``, broken per UAX #14 with
``overflow-wrap: anywhere``, aligned, optionally cut to ``max_lines`` with an
ellipsis, or shrunk to fit (``fit: shrink``, by binary search over sizes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from offer_render.layout.bidi import embedding_levels
from offer_render.layout.itemize import Piece, assign_faces, face_for_cluster, make_pieces
from offer_render.layout.linebreak import SOFT_HYPHEN, Line, Paragraph, break_paragraph
from offer_render.layout.measure import VMetrics, half_leading, vertical_metrics
from offer_render.layout.script import cursive_graphemes
from offer_render.layout.segment import break_opportunities, grapheme_boundaries
from offer_render.layout.shaping import em_advances
from offer_render.layout.tree import Box, Decoration, GlyphRun, LineBox, RectBox
from offer_render.layout.whitespace import pre_line_paragraphs
from offer_render.resources.types import FontFace, FontStack
from offer_render.template.models import Rectangle

ELLIPSIS = "\u2026"
HYPHEN = "\u2010"
SHRINK_STEP = 0.25
"""Granularity of the ``fit: shrink`` search, in CSS px. Default: 0.25."""
DEFAULT_MIN_FONT_SIZE = 6.0
"""Smallest size ``fit: shrink`` reaches when ``min_font_size`` is absent. Default: 6 px
(Chromium's minimum logical font size)."""
_EPSILON = 1 / 64


@dataclass(frozen=True)
class _Prepared:
    """A paragraph with everything that does not depend on the font size."""

    text: str
    base: str
    graphemes: list[int]
    opportunities: list[int]
    pieces: list[Piece]
    """Drawing pieces: one face and level, split at wrap opportunities."""
    ems: list[float]
    """Each character's advance in ems, shaped per item (one face and level)."""
    unspaced: list[bool] | None
    """Per grapheme: letter spacing skips it (a cursive script); None without spacing."""


@dataclass
class _Segment:
    """A drawable stretch of one line: text, face, bidi level and advance width."""

    text: str
    face: FontFace
    level: int
    width: float

    @property
    def direction(self) -> str:
        return "rtl" if self.level % 2 else "ltr"


@dataclass
class _DraftLine:
    """A line before positioning: logical text, segments in logical order, metrics."""

    text: str
    segments: list[_Segment]
    base: str
    last_in_paragraph: bool
    above: float = 0.0
    below: float = 0.0

    @property
    def width(self) -> float:
        return sum(s.width for s in self.segments)


@dataclass
class _Draft:
    """A whole text laid out at one size, before positioning."""

    size: float
    lines: list[_DraftLine]
    cut: bool

    @property
    def height(self) -> float:
        return sum(line.above + line.below for line in self.lines)

    @property
    def width(self) -> float:
        return max((line.width for line in self.lines), default=0.0)


def prepare(
    text: str, stack: FontStack, language: str | None, *, spaced: bool = False
) -> tuple[list[_Prepared], list[str]]:
    """Return the paragraphs ready for breaking, and the characters no face covers.

    ``spaced`` says the rectangle has letter spacing, so cursive graphemes are marked
    and common ligatures are off.
    """
    prepared = []
    missing: list[str] = []
    for par in pre_line_paragraphs(text):
        graphemes = grapheme_boundaries(par, language)
        opportunities = break_opportunities(par, language)
        faces, holes = assign_faces(par, graphemes, stack)
        missing.extend(par[i] for i in holes)
        levels, base = embedding_levels(par)
        pieces = make_pieces(par, faces, levels, opportunities) if par else []
        ems: list[float] = []
        for item in make_pieces(par, faces, levels, []) if par else []:
            ems.extend(em_advances(par, item.start, item.end, item.face, item.direction,
                                   language, ligatures=not spaced))
        unspaced = cursive_graphemes(par, graphemes) if spaced else None
        prepared.append(_Prepared(par, base, graphemes, opportunities, pieces, ems, unspaced))
    return prepared, missing


class RectangleLayout:
    """Lay out one rectangle's text at any size; the size search calls :meth:`draft`."""

    def __init__(
        self,
        rect: Rectangle,
        stack: FontStack,
        paragraphs: list[_Prepared],
        *,
        scale: float,
        language: str | None,
        content_width: float,
    ) -> None:
        self.rect = rect
        self.stack = stack
        self.paragraphs = paragraphs
        self.scale = scale
        self.language = language
        self.content_width = content_width

    def draft(self, size: float) -> _Draft:
        """Return the text broken into lines at ``size`` device px, max_lines applied."""
        spacing = self.rect.letter_spacing * self.scale
        lines: list[_DraftLine] = []
        owners: list[tuple[Paragraph, Line, str]] = []
        for prep in self.paragraphs:
            advances = [em * size for em in prep.ems]
            hyphen = self._hyphen_width(size, spacing) if SOFT_HYPHEN in prep.text else 0.0
            par = Paragraph(
                prep.text, prep.pieces, prep.graphemes, prep.opportunities, advances, spacing,
                prep.unspaced, hyphen,
            )
            broken = break_paragraph(par, self.content_width)
            owners.extend((par, line, prep.base) for line in broken)
        cut = False
        max_lines = self.rect.max_lines
        if max_lines is not None and len(owners) > max_lines:
            owners = owners[:max_lines]
            cut = True
        for i, (par, line, base) in enumerate(owners):
            if cut and i == len(owners) - 1:
                lines.append(self._ellipsis_line(par, line, base, size))
            else:
                segments = self._segments(par, line.start, line.visible_end)
                text = par.text[line.start : line.visible_end].replace(SOFT_HYPHEN, "")
                if line.hyphen:
                    char, face = self._hyphen()
                    level = next(p.level for p in par.pieces if p.start < line.end <= p.end)
                    segments.append(_Segment(char, face, level, par.hyphen_width))
                    text += char
                lines.append(_DraftLine(text, segments, base, line.last_in_paragraph))
        for draft_line in lines:
            self._vertical(draft_line, size)
        return _Draft(size, lines, cut)

    def _segments(self, par: Paragraph, start: int, end: int) -> list[_Segment]:
        out: list[_Segment] = []
        for p in par.pieces:
            a, b = max(start, p.start), min(end, p.end)
            if a >= b:
                continue
            if par.letter_spacing:
                out.extend(
                    _Segment(par.text[s:e], p.face, p.level, w) for s, e, w in par.clusters(a, b)
                )
            else:
                out.append(_Segment(par.text[a:b], p.face, p.level, par.width(a, b)))
        return out

    def _hyphen(self) -> tuple[str, FontFace]:
        """Return the hyphen a line breaking at a soft hyphen shows, and its face.

        U+2010 HYPHEN when the primary face has it, else U+002D HYPHEN-MINUS, drawn with
        the first face of the stack that has it (Blink's ``ComputedStyle::HyphenString``).
        """
        char = HYPHEN if self.stack.primary.covers(ord(HYPHEN)) else "-"
        return char, face_for_cluster(char, self.stack) or self.stack.primary

    def _hyphen_width(self, size: float, spacing: float) -> float:
        """Return the width of :meth:`_hyphen` at ``size`` device px, letter spacing added."""
        char, face = self._hyphen()
        return em_advances(char, 0, 1, face, "ltr", self.language)[0] * size + spacing

    def _ellipsis_line(
        self, par: Paragraph, line: Line, base: str, size: float
    ) -> _DraftLine:
        """Return ``line`` shortened so that an ellipsis fits after it."""
        face = next((f for f in self.stack.faces if f.covers(ord(ELLIPSIS))), self.stack.primary)
        ell_em = em_advances(ELLIPSIS, 0, 1, face, base, self.language)[0]
        ell_width = ell_em * size + par.letter_spacing
        end = line.visible_end
        bounds = [g for g in par.graphemes if line.start <= g <= end]
        for g in reversed(bounds):
            end = par.trim_end(line.start, g)
            if par.width(line.start, end) + ell_width <= self.content_width + _EPSILON:
                break
        segments = self._segments(par, line.start, end)
        segments.append(_Segment(ELLIPSIS, face, 1 if base == "rtl" else 0, ell_width))
        text = par.text[line.start : end] + ELLIPSIS
        return _DraftLine(text, segments, base, True)

    def _vertical(self, line: _DraftLine, size: float) -> None:
        """Set the line's extent above and below its baseline from every face on it."""
        primary = vertical_metrics(self.stack.primary, size)
        if self.rect.line_height is None:
            def height_of(m: VMetrics) -> float:
                return m.line_spacing
        else:
            fixed = self.rect.line_height * primary.line_spacing

            def height_of(m: VMetrics) -> float:
                return fixed

        faces = {id(s.face): s.face for s in line.segments}
        metrics = [primary] + [
            vertical_metrics(f, size) for f in faces.values() if f is not self.stack.primary
        ]
        extents = [half_leading(m, height_of(m)) for m in metrics]
        line.above = max(a for a, _ in extents)
        line.below = max(b for _, b in extents)

    def fits(self, draft: _Draft, content_height: float) -> bool:
        """Return whether ``draft`` fits the content box: no cut, no overflow either way."""
        return (
            not draft.cut
            and draft.height <= content_height + _EPSILON
            and draft.width <= self.content_width + _EPSILON
        )


def shrink_size(layout: RectangleLayout, high: float, low: float, content_height: float) -> _Draft:
    """Return the draft at the largest size in ``[low, high]`` that fits, by binary search.

    Sizes are searched on a grid of :data:`SHRINK_STEP` CSS px. When even ``low``
    does not fit, the draft at ``low`` is returned (and reported as overflowing).
    """
    step = SHRINK_STEP * layout.scale
    first = layout.draft(high)
    if layout.fits(first, content_height) or high <= low:
        return first
    # Candidate sizes are low + k * step for k in 0..steps; find the largest k that fits.
    steps = int(math.floor((high - low) / step + 1e-9))
    lo, hi = 0, steps
    best: _Draft | None = None
    while lo <= hi:
        mid = (lo + hi) // 2
        draft = layout.draft(low + mid * step)
        if layout.fits(draft, content_height):
            best = draft
            lo = mid + 1
        else:
            hi = mid - 1
    return best if best is not None else layout.draft(low)


def layout_rectangle(
    rect: Rectangle,
    index: int,
    text: str,
    stack: FontStack,
    *,
    scale: float,
    language: str | None,
) -> tuple[RectBox, list[str]]:
    """Return the laid-out rectangle and the characters no face could draw."""
    s = scale
    width = max(rect.width, 2 * rect.padding) * s
    height = max(rect.height, 2 * rect.padding) * s
    box = Box(rect.offset_left * s, rect.offset_top * s, width, height)
    pad = rect.padding * s
    content = Box(box.x + pad, box.y + pad, width - 2 * pad, height - 2 * pad)
    paragraphs, missing = prepare(text, stack, language, spaced=bool(rect.letter_spacing))
    layout = RectangleLayout(
        rect, stack, paragraphs, scale=s, language=language, content_width=content.width
    )
    size = rect.font_size * s
    if rect.fit == "shrink":
        low = (rect.min_font_size or min(DEFAULT_MIN_FONT_SIZE, rect.font_size)) * s
        draft = shrink_size(layout, size, low, content.height)
    else:
        draft = layout.draft(size)
    lines = _position(rect, stack, draft, content, s, language)
    top = lines[0].box.y if lines else content.y
    bottom = lines[-1].box.bottom if lines else content.y
    left = min((ln.box.x for ln in lines), default=content.x)
    right = max((ln.box.right for ln in lines), default=content.x)
    overflow = max(
        0.0, bottom - content.bottom, content.y - top, right - content.right, content.x - left
    )
    clipped = bool(lines) and (
        top < box.y - _EPSILON
        or bottom > box.bottom + _EPSILON
        or left < box.x - _EPSILON
        or right > box.right + _EPSILON
    )
    used: dict[int, FontFace] = {}
    fallbacks: dict[int, list[str]] = {}
    for line in lines:
        for run in line.runs:
            used.setdefault(id(run.face), run.face)
            if run.face.family != stack.primary.family and run.text.strip():
                fallbacks.setdefault(id(run.face), []).append(run.text.strip())
    rect_box = RectBox(
        index=index,
        name=rect.name,
        number=rect.number,
        box=box,
        content=content,
        lines=tuple(lines),
        font_size=draft.size,
        text=text,
        faces=tuple(used.values()),
        overflow_px=overflow,
        clipped=clipped,
        cut=draft.cut,
        fallbacks=tuple(
            ("".join(dict.fromkeys("".join(chars))), used[k]) for k, chars in fallbacks.items()
        ),
    )
    return rect_box, missing


def _position(
    rect: Rectangle,
    stack: FontStack,
    draft: _Draft,
    content: Box,
    scale: float,
    language: str | None,
) -> list[LineBox]:
    """Place the draft's lines in the content box: vertical and horizontal alignment."""
    free = content.height - draft.height
    y = content.y + {"top": 0.0, "middle": free / 2, "bottom": free}[rect.vertical_align]
    primary = vertical_metrics(stack.primary, draft.size)
    out = []
    for line in draft.lines:
        line_height = line.above + line.below
        baseline = float(round(y + line.above))  # glyphs sit on whole device pixels vertically
        visual = _visual_order(line)
        x, gaps = _horizontal(rect.text_align, line, visual, content)
        runs = []
        for i, seg in enumerate(visual):
            runs.append(
                GlyphRun(
                    text=seg.text,
                    face=seg.face,
                    size=draft.size,
                    x=x,
                    baseline=baseline,
                    width=seg.width,
                    direction=seg.direction,
                    language=language,
                    color=rect.rgba,
                    ligatures=not rect.letter_spacing,
                )
            )
            x += seg.width
            if gaps and i + 1 < len(visual) and _expands(seg, visual[i + 1]):
                x += gaps
        start = runs[0].x if runs else x
        end = runs[-1].x + runs[-1].width if runs else x
        decorations = _decorations(rect, primary, baseline, start, end, draft.size, scale)
        out.append(
            LineBox(
                box=Box(start, y, end - start, line_height),
                baseline=baseline,
                text=line.text,
                runs=tuple(runs),
                decorations=decorations,
            )
        )
        y += line_height
    return out


def _horizontal(
    align: str, line: _DraftLine, visual: list[_Segment], content: Box
) -> tuple[float, float]:
    """Return the line's starting x and the space to add at each expansion opportunity."""
    free = content.width - line.width
    if align == "justify":
        if line.last_in_paragraph or free <= 0:
            align = "right" if line.base == "rtl" else "left"  # text-align-last: start
        else:
            count = sum(_expands(a, b) for a, b in zip(visual, visual[1:], strict=False))
            if count:
                return content.x, free / count
            align = "right" if line.base == "rtl" else "left"
    offset = {"left": 0.0, "center": free / 2, "right": free}[align]
    return content.x + offset, 0.0


def _expands(left: _Segment, right: _Segment) -> bool:
    """Return whether justification may widen the gap between two neighbouring segments.

    As Chromium's ``text-justify: auto``: at word spaces, and on either side of a CJK
    ideograph, kana or CJK punctuation (Chinese and Japanese justify between characters).
    """
    return (
        left.text.endswith(" ") or right.text.startswith(" ")
        or _is_cjk(left.text[-1]) or _is_cjk(right.text[0])
    )


def _is_cjk(ch: str) -> bool:
    """Return whether ``ch`` is a CJK ideograph, kana, bopomofo or CJK punctuation."""
    cp = ord(ch)
    return (
        0x2E80 <= cp <= 0x2FDF  # radicals
        or 0x3000 <= cp <= 0x31FF  # CJK symbols and punctuation, kana, bopomofo
        or 0x3400 <= cp <= 0x4DBF  # extension A
        or 0x4E00 <= cp <= 0x9FFF  # unified ideographs
        or 0xF900 <= cp <= 0xFAFF  # compatibility ideographs
        or 0xFF00 <= cp <= 0xFF60  # fullwidth forms
        or 0x20000 <= cp <= 0x3FFFF  # supplementary ideographs
    )


def _visual_order(line: _DraftLine) -> list[_Segment]:
    """Return the segments in visual order (UAX #9 rule L2 over the segments' levels)."""
    levels = [seg.level for seg in line.segments]
    order = list(range(len(line.segments)))
    for level in range(max(levels, default=0), 0, -1):
        i = 0
        while i < len(order):
            if levels[order[i]] >= level:
                j = i
                while j < len(order) and levels[order[j]] >= level:
                    j += 1
                order[i:j] = reversed(order[i:j])
                i = j
            else:
                i += 1
    return [line.segments[k] for k in order]


def _decorations(
    rect: Rectangle,
    primary: VMetrics,
    baseline: float,
    start: float,
    end: float,
    size: float,
    scale: float,
) -> tuple[Decoration, ...]:
    """Return the line's decorations, placed from the primary face's metrics as Chromium does.

    Thickness is ``font_size / 10`` CSS px and at least 1 px (Chromium's ``auto``).
    Underline: below the baseline by half the thickness (at least 1 px); overline:
    resting on the top of the ascent; line-through: centred a third of the ascent
    above the baseline. Measured against headless Chromium (fixtures/fidelity).
    """
    if not rect.decorations or end <= start:
        return ()
    thickness = max(1.0, size / scale / 10) * scale
    out = []
    for kind in rect.decorations:
        if kind == "underline":
            top = baseline + max(1.0, math.ceil(thickness / 2))
        elif kind == "overline":
            top = baseline - primary.ascent - thickness
        else:
            top = baseline - primary.ascent / 3 - thickness / 2
        out.append(Decoration(kind, Box(start, top, end - start, thickness), rect.rgba))
    return tuple(out)
