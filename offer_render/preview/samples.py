"""Take a template file and sample offer files; return the template data, labelled samples, locales.

Shared by ``preview`` and ``lint``: both render one template against the data of
sample offers, in several locales. A TEMPLATE that is an offer (it holds
``image_template``) is its own sample when no ``--offer`` is given. Locale names
are checked by :mod:`offer_render.locales`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offer_render.errors import InvalidInputError
from offer_render.template.validate import load_json_file

JsonReader = Callable[[Path], Any]
"""Reads a JSON file: :func:`~offer_render.template.validate.load_json_file`, or the
command line's reader, which also takes ``-`` for standard input."""

NO_OFFER = "template"
"""Label of the one sample used when there is no offer data at all."""


@dataclass(frozen=True)
class Sample:
    """One set of data to render the template with: a label (the offer's id) and the offer."""

    label: str
    offer: Mapping[str, Any] | None


@dataclass(frozen=True)
class Inputs:
    """What preview and lint read from disk: the template JSON and the samples."""

    template_path: Path
    template: Any
    samples: tuple[Sample, ...]
    offer_paths: tuple[Path, ...]


def load_inputs(
    template_path: Path, offer_paths: Sequence[Path] = (), *, read: JsonReader = load_json_file
) -> Inputs:
    """Read TEMPLATE and each offer file with ``read``; raise InvalidInputError naming a bad file.

    A sample offer without an id is labelled with its file's stem (``offer`` for
    ``-``, standard input).
    """
    template = read(template_path)
    samples: list[Sample] = []
    for path in offer_paths:
        data = read(path)
        if not isinstance(data, dict):
            raise InvalidInputError([(str(path), "must hold a JSON object (an offer)")])
        samples.append(Sample(offer_label(data, _stem(path)), data))
    if not samples:
        if isinstance(template, dict) and "image_template" in template:
            samples.append(Sample(offer_label(template, _stem(template_path)), template))
        else:
            samples.append(Sample(NO_OFFER, None))
    return Inputs(template_path, template, tuple(samples), tuple(offer_paths))


def _stem(path: Path) -> str:
    return "offer" if str(path) == "-" else path.stem


def offer_label(offer: Mapping[str, Any], fallback: str) -> str:
    """Return the offer's id as text, or ``fallback`` (the file's stem) when it has none."""
    oid = offer.get("id")
    if isinstance(oid, str | int) and not isinstance(oid, bool) and str(oid).strip():
        return str(oid)
    return fallback


def offer_locales(offers: Iterable[Mapping[str, Any] | None]) -> list[str]:
    """Return every locale key of the offers' LocalizedContent (name, description), in order."""
    seen: dict[str, None] = {}
    for offer in offers:
        if not offer:
            continue
        for key in ("name", "description"):
            value = offer.get(key)
            if isinstance(value, dict):
                seen.update(dict.fromkeys(k for k in value if isinstance(k, str) and k.strip()))
    return list(seen)


def choose_locales(given: list[str] | None, samples: Sequence[Sample], default: str) -> list[str]:
    """Return ``given``, else every locale the samples have, else ``[default]``."""
    return given or offer_locales(s.offer for s in samples) or [default]
