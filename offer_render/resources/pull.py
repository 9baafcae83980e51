"""Fill the download cache for offline work: take templates and a fetcher; fetch every resource.

For each template it fetches the background and every stylesheet, then the first
usable source of every ``@font-face`` rule in it (all subsets, not only those a
given text needs), so later renders with ``--offline`` find everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from offer_render.config import Limits
from offer_render.errors import ResourceError
from offer_render.resources.fetch import Fetched, Fetcher
from offer_render.resources.stylesheet import parse_stylesheet
from offer_render.template.models import ImageTemplate


@dataclass
class PullReport:
    """What a pull fetched and what it could not."""

    fetched: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def pull(templates: Iterable[ImageTemplate], fetcher: Fetcher, limits: Limits) -> PullReport:
    """Fetch every background, stylesheet and font the templates name; return what happened."""
    report = PullReport()
    seen: set[str] = set()

    def get(url: str, max_bytes: int, what: str) -> Fetched | None:
        if url in seen:
            return None
        seen.add(url)
        try:
            fetched = fetcher.fetch(url, max_bytes=max_bytes, what=what)
        except ResourceError as exc:
            report.failed.append((url, exc.reason))
            return None
        report.fetched.append(fetched.url)
        return fetched

    for template in templates:
        if template.background_url:
            get(template.background_url, limits.max_background_bytes, "background")
        for rect in template.rectangles:
            if not rect.font_url:
                continue
            css = get(rect.font_url, limits.max_stylesheet_bytes, "stylesheet")
            if css is None:
                continue
            text = css.data.decode("utf-8-sig", errors="replace")
            for rule in parse_stylesheet(text, css.url, limits=limits):
                source = next((s for s in rule.sources if s.supported), None)
                if source is not None:
                    get(source.url, limits.max_font_bytes, "font")
    return report
