"""Take a template and sample offers; render every case and return the merged lint findings.

The template is parsed once (its unknown keys are findings); then it is painted
with :meth:`Renderer.paint` for every sample offer in every locale and for the
worst-case data of :mod:`offer_render.lint.worstcase`. The renderer's own
warnings say what font resolution, merging and layout found; lint adds the
platform's limits, geometry, text cut by the canvas edge and contrast.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from offer_render.api import Renderer
from offer_render.diagnostics import Diagnostics
from offer_render.lint.checks import (
    contrast_findings,
    geometry_findings,
    platform_findings,
    text_off_canvas,
    warning_findings,
)
from offer_render.lint.findings import Finding, RawFinding, merge_findings
from offer_render.lint.worstcase import sample_cases, worst_cases
from offer_render.preview.samples import Sample, choose_locales
from offer_render.template.validate import parse_template


def lint_template(
    renderer: Renderer,
    template: Any,
    samples: Sequence[Sample],
    *,
    locales: Sequence[str] | None = None,
    worst_case: bool = True,
) -> list[Finding]:
    """Return the findings for ``template`` (JSON, or an offer holding one), worst first per rect.

    ``samples`` are the offers to render with (a Sample with ``offer=None`` for
    none); ``locales`` default to every locale of the samples' LocalizedContent
    (else the default locale). ``worst_case=False`` skips lint's own data.
    Raises InvalidInputError for a template or offer that does not validate and
    ResourceError when a background cannot be had.
    """
    diag = Diagnostics()
    parsed = parse_template(template, limits=renderer.config.limits, diag=diag)
    raw: list[RawFinding] = [*platform_findings(parsed), *warning_findings(diag.warnings, None)]
    chosen = choose_locales(list(locales) if locales else None, samples,
                            renderer.config.default_locale)
    cases = sample_cases(samples, chosen)
    if worst_case:
        cases += worst_cases(samples, chosen)
    for n, case in enumerate(cases):
        painted = renderer.paint(
            parsed, case.offer, locale=case.locale,
            collections=list(case.collections) if case.collections else None,
        )
        if n == 0:
            raw += geometry_findings(painted.tree)
        raw += warning_findings(painted.warnings, case)
        raw += text_off_canvas(painted.tree, case)
        raw += contrast_findings(painted, case)
    names = {i: rect.name for i, rect in enumerate(parsed.rectangles)}
    return merge_findings(raw, names)
