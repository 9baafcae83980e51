"""Fill the download cache for offline work: take templates and a fetcher; fetch every resource.

For each template it fetches the background and every stylesheet, then the first
usable source of every ``@font-face`` rule in it (all subsets, not only those a
given text needs), so later renders with ``--offline`` find everything. Fallback
families pinned by script (``fonts pull --scripts ko,th``) are pulled the same way,
from the font source's stylesheets for them.
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


PULL_WEIGHTS = (400, 700)
"""Weights of the fallback families ``--scripts`` pulls: regular and bold text."""


def pull(
    templates: Iterable[ImageTemplate], fetcher: Fetcher, limits: Limits,
    *, stylesheets: Iterable[str] = (),
) -> PullReport:
    """Fetch every background, stylesheet and font the templates name, and every font of
    the extra ``stylesheets`` (a font source's answers for pinned families); return what
    happened."""
    puller = _Puller(fetcher, limits)
    for template in templates:
        if template.background_url:
            puller.get(template.background_url, limits.max_background_bytes, "background")
        for rect in template.rectangles:
            if rect.font_url:
                puller.stylesheet(rect.font_url)
    for url in stylesheets:
        puller.stylesheet(url)
    return puller.report


class _Puller:
    """Fetch each URL once, noting what was fetched and what failed."""

    def __init__(self, fetcher: Fetcher, limits: Limits) -> None:
        self.fetcher, self.limits = fetcher, limits
        self.report = PullReport()
        self.seen: set[str] = set()

    def get(self, url: str, max_bytes: int, what: str) -> Fetched | None:
        if url in self.seen:
            return None
        self.seen.add(url)
        try:
            fetched = self.fetcher.fetch(url, max_bytes=max_bytes, what=what)
        except ResourceError as exc:
            self.report.failed.append((url, exc.reason))
            return None
        self.report.fetched.append(fetched.url)
        return fetched

    def stylesheet(self, url: str) -> None:
        """Fetch the stylesheet at ``url`` and the first usable source of each of its rules
        (every subset, not only those a given text needs)."""
        css = self.get(url, self.limits.max_stylesheet_bytes, "stylesheet")
        if css is None:
            return
        text = css.data.decode("utf-8-sig", errors="replace")
        for rule in parse_stylesheet(text, css.url, limits=self.limits):
            source = next((s for s in rule.sources if s.supported), None)
            if source is not None:
                self.get(source.url, self.limits.max_font_bytes, "font")
