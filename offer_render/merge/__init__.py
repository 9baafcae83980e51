"""Merge an offer's data into a template's rectangle contents: one plain string per rectangle."""

from __future__ import annotations

from offer_render.merge.fields import merge_texts
from offer_render.merge.localize import localize

__all__ = ["localize", "merge_texts"]
