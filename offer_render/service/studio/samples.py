"""Take the studio's samples folder; return the sample offers the studio's menu lists.

``samples/`` holds byte-for-byte copies of the repository's example offers
(``fixtures/examples/``) and of the stylesheets, fonts and backgrounds they name, in
the same folders, so their relative URLs (``../fonts/raleway.css``) hold; a test keeps
the copies equal to the fixtures. They ship in the package (a wheel has no
``fixtures/``) and are served at ``/studio/samples/``; the page resolves an offer's
relative URLs against where it was served, so the engine fetches them over HTTP like
any template's resources. That is a loopback address when the service listens on
loopback, which the network policy refuses unless the host is allowed
(``--allow-host 127.0.0.1``): the service never reads local files for a request.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SAMPLES_DIR = Path(__file__).resolve().parent / "samples"
"""The samples folder: ``examples/`` (offers), ``fonts/`` and ``backgrounds/``."""
EXAMPLES_URL = "/studio/samples/examples/"
"""Where the offers are served; their relative URLs resolve against it."""


def sample_offers() -> list[dict[str, Any]]:
    """Return ``[{"name", "title", "url", "offer"}]``: every sample offer, by file name.

    ``title`` is the offer's English name (else its first name, else the file name).
    """
    out = []
    for path in sorted((SAMPLES_DIR / "examples").glob("*.json")):
        offer = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(offer, dict) or "image_template" not in offer:
            continue  # demo.json lists the demo's renders, not an offer
        out.append({"name": path.stem, "title": _title(offer, path.stem),
                    "url": EXAMPLES_URL + path.name, "offer": offer})
    return out


def _title(offer: dict[str, Any], fallback: str) -> str:
    name = offer.get("name")
    if isinstance(name, dict) and name:
        value = name.get("en") or next(iter(name.values()))
        return str(value)
    return str(name) if isinstance(name, str) and name else fallback
