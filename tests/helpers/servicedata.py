"""Build what the service and jobs tests send: take the test server's URL; return a template."""

from __future__ import annotations

from typing import Any


def small_template(
    base: str, *, rect: dict[str, Any] | None = None, **changes: Any
) -> dict[str, Any]:
    """Return a small template with a web font and a photo from the test server;
    ``rect`` changes its one rectangle, ``changes`` the template."""
    title = {"name": "Title", "width": 300, "height": 120, "padding": 10, "offset_left": 10,
             "offset_top": 20, "text_align": "center", "color": "#FFFFFF", "font_size": 40,
             "font_family": "Raleway", "font_url": f"{base}/fonts/raleway.css",
             "font_weight": 700, "content": "{{name}} -20%", **(rect or {})}
    return {"width": 320, "height": 160, "background_url": f"{base}/backgrounds/coffee.jpg",
            "rectangles": [title], **changes}
