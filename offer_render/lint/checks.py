"""Take a parsed template, or one render of it; return the raw findings of each lint check.

Static checks look at the template alone (the platform's limits; geometry of
the boxes). Per-render checks look at what :meth:`Renderer.paint` produced: its
warnings (font resolution, placeholders, clipping, missing glyphs are the
renderer's own findings, not re-derived here), text reaching past the canvas,
and contrast measured on the pixels.
"""

from __future__ import annotations

from collections.abc import Iterable

from fontTools import unicodedata as ucd

from offer_render.diagnostics import RenderWarning
from offer_render.layout.tree import Box, LayoutTree
from offer_render.lint import contrast
from offer_render.lint.findings import RawFinding, Severity
from offer_render.lint.worstcase import Case
from offer_render.result import Painted
from offer_render.template.models import ImageTemplate

PLATFORM_MAX_CANVAS = 2000
"""The platform accepts canvases from 1 to 2000 px wide and high."""
PLATFORM_MAX_RECTANGLES = 4
PLATFORM_TEXT_ALIGN = ("left", "center", "right")

# Renderer warning codes lint reports, with their severity on sample data. Codes
# marked in DATA_CODES depend on the data: found only with lint's made-up
# worst-case data, they are warnings.
WARNING_SEVERITY: dict[str, Severity] = {
    "unknown_placeholder": "error",
    "family_not_in_stylesheet": "error",
    "family_not_found": "warning",
    "font_family_invalid": "error",
    "font_unavailable": "error",
    "stylesheet_truncated": "warning",
    "font_face_ignored": "warning",
    "missing_glyphs": "error",
    "text_clipped": "error",
    "text_cut": "error",
    "text_truncated": "error",
    "text_replaced": "warning",
    "unknown_key": "warning",
}
DATA_CODES = frozenset({"missing_glyphs", "text_clipped", "text_cut", "text_truncated"})
IGNORED_CODES = frozenset({"font_fallback", "collection_missing", "unknown_locale"})
"""Ordinary outcomes, not template problems: a per-character fallback face, lint's
samples having no collections, a locale Babel does not know."""


def platform_findings(template: ImageTemplate) -> list[RawFinding]:
    """Return what the platform itself would refuse: canvas size, rectangle count, text_align."""
    out: list[RawFinding] = []
    for key in ("width", "height"):
        value = getattr(template, key)
        if not 1 <= value <= PLATFORM_MAX_CANVAS:
            out.append(RawFinding(
                f"canvas_{key}", "error", None,
                f"canvas {key} {value} is outside the platform's 1..{PLATFORM_MAX_CANVAS}",
            ))
    if len(template.rectangles) > PLATFORM_MAX_RECTANGLES:
        out.append(RawFinding(
            "too_many_rectangles", "error", None,
            f"{len(template.rectangles)} rectangles; the platform allows at most "
            f"{PLATFORM_MAX_RECTANGLES}",
        ))
    for i, rect in enumerate(template.rectangles):
        if rect.text_align not in PLATFORM_TEXT_ALIGN:
            out.append(RawFinding(
                "text_align", "error", i,
                f"text_align {rect.text_align!r} is an engine extension; the platform allows "
                f"{', '.join(PLATFORM_TEXT_ALIGN)}",
            ))
    return out


def geometry_findings(tree: LayoutTree) -> list[RawFinding]:
    """Return rectangles that reach past the canvas and pairs of rectangles that overlap.

    Boxes are the laid-out border boxes (padding larger than the box grows it,
    as in CSS), in CSS px. An overlap is reported on the rectangle drawn on top.
    """
    out: list[RawFinding] = []
    s = tree.scale
    canvas = Box(0, 0, tree.width / s, tree.height / s)
    boxes = [(r.index, r.name, _css(r.box, s)) for r in tree.rects]
    for index, _, box in boxes:
        inside = _intersection(box, canvas)
        if inside is None:
            out.append(RawFinding(
                "outside_canvas", "error", index,
                f"the rectangle {_describe(box)} lies wholly outside the "
                f"{canvas.width:g}x{canvas.height:g} canvas",
            ))
        elif inside != box:
            out.append(RawFinding(
                "outside_canvas", "warning", index,
                f"the rectangle {_describe(box)} reaches past the canvas's "
                f"{_edges(box, canvas)} ({canvas.width:g}x{canvas.height:g})",
            ))
    for n, (_, name_i, a) in enumerate(boxes):
        for j, _, b in boxes[n + 1:]:
            both = _intersection(a, b)
            if both is not None:
                out.append(RawFinding(
                    "overlap", "warning", j,
                    f"overlaps {name_i!r} by {both.width:g}x{both.height:g} px and is drawn "
                    "on top of it",
                    rank=both.width * both.height,
                ))
    return out


def text_off_canvas(tree: LayoutTree, case: Case) -> list[RawFinding]:
    """Return rectangles whose visible lines reach past the canvas (the canvas cuts the text)."""
    out: list[RawFinding] = []
    s = tree.scale
    canvas = Box(0, 0, tree.width, tree.height)
    for rect in tree.rects:
        worst = 0.0
        for line in rect.lines:
            if not line.text.strip():
                continue
            visible = _intersection(line.box, rect.box)
            if visible is not None:
                worst = max(worst, _past(visible, canvas))
        if worst > 0.5 * s:
            out.append(RawFinding(
                "text_off_canvas", "warning" if case.worst else "error", rect.index,
                f"text reaches {worst / s:.1f}px past the canvas's edge and is cut there",
                case.label, rank=worst,
            ))
    return out


def contrast_findings(painted: Painted, case: Case) -> list[RawFinding]:
    """Return rectangles whose text contrast is below WCAG AA (see :mod:`lint.contrast`)."""
    out: list[RawFinding] = []
    back = contrast.backdrop(painted.tree)
    for rect in painted.tree.rects:
        model = painted.template.rectangles[rect.index]
        measured = contrast.measure(painted.tree, rect, model.rgba, model.weight, back)
        if measured is None or measured.passes:
            continue
        r, g, b = measured.mean_backdrop
        size = "large text" if measured.large else "text"
        out.append(RawFinding(
            "low_contrast", "error", rect.index,
            f"contrast {measured.ratio:.2f}:1 is below WCAG AA {measured.threshold:g}:1 for "
            f"{size} ({model.color} on the background; 10th percentile over the text, "
            f"{measured.mean_ratio:.2f}:1 against its mean #{r:02X}{g:02X}{b:02X})",
            case.label, rank=-measured.ratio,
        ))
    return out


def warning_findings(warnings: Iterable[RenderWarning], case: Case | None) -> list[RawFinding]:
    """Return the renderer's warnings that are template problems, as raw findings."""
    out: list[RawFinding] = []
    for w in warnings:
        if w.code in IGNORED_CODES:
            continue
        severity = WARNING_SEVERITY.get(w.code, "warning")
        if case is not None and case.worst and w.code in DATA_CODES:
            severity = "warning"
        message = w.message
        if w.code == "missing_glyphs":
            message += _scripts_note(w.characters)
        out.append(RawFinding(
            w.code, severity, w.rect, f"{w.path}: {message}" if w.path and w.rect is None
            else message, case.label if case is not None else "",
            rank=1.0 if severity == "error" else 0.0,
        ))
    return out


def _scripts_note(chars: str) -> str:
    """Return `` (script: Devanagari, Thai)`` for the characters of a missing-glyph warning,
    by their Unicode Script property (Common characters as such)."""
    scripts = dict.fromkeys(
        ucd.script_name(ucd.script(c)).replace("_", " ") for c in chars if not c.isspace())
    return f" (script: {', '.join(scripts)})" if scripts else ""


def _css(box: Box, scale: float) -> Box:
    return Box(box.x / scale, box.y / scale, box.width / scale, box.height / scale)


def _intersection(a: Box, b: Box) -> Box | None:
    x0, y0 = max(a.x, b.x), max(a.y, b.y)
    x1, y1 = min(a.right, b.right), min(a.bottom, b.bottom)
    if x1 <= x0 or y1 <= y0:
        return None
    if (x0, y0, x1, y1) == (a.x, a.y, a.right, a.bottom):
        return a
    return Box(x0, y0, x1 - x0, y1 - y0)


def _past(box: Box, canvas: Box) -> float:
    return max(canvas.x - box.x, canvas.y - box.y, box.right - canvas.right,
               box.bottom - canvas.bottom, 0.0)


def _edges(box: Box, canvas: Box) -> str:
    edges = [
        f"{name} edge by {amount:g}px"
        for name, amount in (
            ("left", canvas.x - box.x), ("top", canvas.y - box.y),
            ("right", box.right - canvas.right), ("bottom", box.bottom - canvas.bottom),
        )
        if amount > 0
    ]
    return ", ".join(edges)


def _describe(box: Box) -> str:
    return f"({box.x:g}, {box.y:g}, {box.width:g}x{box.height:g})"
