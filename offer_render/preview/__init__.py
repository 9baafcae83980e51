"""Designer previews: take a template and sample offers; return contact sheets with a debug overlay.

``overlay`` draws boxes, padding, line boxes, baselines, clipping and fallbacks
over a painted render; ``sheet`` lays renders for several offers and locales out
as one labelled grid; ``watch`` re-renders when an input file changes; ``run``
ties them together for ``offer-render preview``.
"""

from offer_render.preview.overlay import draw_overlay, overlay_tree
from offer_render.preview.samples import Sample, load_inputs
from offer_render.preview.sheet import Sheet, SheetCell, build_sheet, compose_sheet

__all__ = [
    "Sample",
    "Sheet",
    "SheetCell",
    "build_sheet",
    "compose_sheet",
    "draw_overlay",
    "load_inputs",
    "overlay_tree",
]
