"""Take a template and its merged texts; return the HTML page a browser draws it as.

Each rectangle becomes an absolutely positioned ``div`` with the CSS of the README's
"How a rectangle is drawn". One implementation for both users: the fidelity check
(``tests/fidelity``) has headless Chromium draw this page as the reference the engine
is measured against, and the studio's "Browser" view shows it beside the engine's
image (:mod:`.browserview`, run in a render worker).

By default every bundled font is declared with ``@font-face`` under its own family
name, generic families are replaced by the families the engine maps them to, and the
engine's fallback families are appended, so the browser picks from the same faces as
the engine and never from the machine's fonts. With ``system_fonts=True`` (the
multilingual check) the page declares only the template's own web fonts (its
stylesheets) and keeps ``font-family`` as written, so the browser resolves generics and
falls back through the system's fonts, as a phone does.

The engine's extensions that CSS has no property for (``vertical_align``, ``line_height``
as a multiple of the font's normal line height, ``max_lines``, ``fit``) are not drawn:
the page shows what the README's CSS alone gives.
"""

from __future__ import annotations

import html
from functools import cache
from typing import Any

from offer_render.config import BUNDLED_FONTS_DIR, GenericFamilies
from offer_render.resources.fontdb import LAST_RESORT_FAMILIES, FontDatabase
from offer_render.resources.fontfamily import parse_font_family
from offer_render.resources.fonts import DEFAULT_GENERIC
from offer_render.resources.scripts import EMOJI_FAMILY

BASE_CSS = """
html, body { margin: 0; padding: 0; background: transparent; }
body { position: relative; overflow: hidden; }
.bg { position: absolute; inset: 0; background-size: cover; background-position: center; }
.r { position: absolute; box-sizing: border-box; overflow: hidden; margin: 0;
     white-space: pre-line; overflow-wrap: anywhere; line-height: normal;
     unicode-bidi: plaintext; }
"""


@cache
def _bundled() -> FontDatabase:
    """Return the database of the bundled fonts, scanned once per process (they are
    the package's own and do not change while it runs)."""
    return FontDatabase()


def font_face_rules(base_url: str) -> str:
    """Return @font-face rules for every bundled face, served from ``base_url/fonts/``."""
    rules = []
    for face in _bundled().faces():
        rel = face.path.relative_to(BUNDLED_FONTS_DIR).as_posix()
        weight = f"{face.weight_min} {face.weight_max}"
        rules.append(
            f'@font-face {{ font-family: "{face.family}"; src: url("{base_url}/fonts/{rel}"); '
            f"font-weight: {weight}; font-style: {face.style}; }}"
        )
    return "\n".join(rules)


def fallback_families() -> list[str]:
    """Return the bundled families the engine falls back to, in its order: the Noto faces
    its fallback chain names per script, then the last-resort faces (other bundled faces,
    DejaVu Serif say, are used only when a template names them)."""
    generics = set(vars(GenericFamilies()).values())
    scripts = [f for f in _bundled().families() if f.startswith("Noto ")
               and f not in generics and f not in LAST_RESORT_FAMILIES]
    # The emoji face before the last-resort text faces: the engine gives emoji to it
    # first (Blink's emoji fallback priority), which one static list can only mimic.
    return [*scripts, EMOJI_FAMILY, *(f for f in LAST_RESORT_FAMILIES if f != EMOJI_FAMILY)]


def css_families(font_family: str) -> str:
    """Return the ``font-family`` value the browser gets: generics mapped, fallbacks appended."""
    generics = GenericFamilies()
    entries = parse_font_family(font_family)
    names = [(generics.family_for(e.name) or e.name) if e.generic else e.name for e in entries]
    if not any(e.generic for e in entries):
        names.append(generics.family_for(DEFAULT_GENERIC) or DEFAULT_GENERIC)
    names.extend(fallback_families())
    return ", ".join('"' + n.replace('"', '\\"') + '"' for n in names)


def rect_style(rect: dict[str, Any], system_fonts: bool = False) -> str:
    """Return the inline CSS of one rectangle; ``font-family`` as written with ``system_fonts``."""
    weight = rect.get("font_weight", "normal")
    decoration = rect.get("text_decoration", "none")
    parts = {
        "left": f"{rect['offset_left']}px",
        "top": f"{rect['offset_top']}px",
        "width": f"{rect['width']}px",
        "height": f"{rect['height']}px",
        "padding": f"{rect['padding']}px",
        "color": rect["color"],
        "font-family": rect["font_family"] if system_fonts else css_families(rect["font_family"]),
        "font-size": f"{rect['font_size']}px",
        "font-weight": str(weight),
        "font-style": rect.get("font_style", "normal"),
        "text-align": rect["text_align"],
        "text-decoration-line": decoration,
        "letter-spacing": f"{rect.get('letter_spacing', 0)}px",
    }
    return "; ".join(f"{k}: {v}" for k, v in parts.items())


def css_url(url: str) -> str:
    """Return ``url`` as a CSS ``url("...")`` token: quotes, backslashes and line breaks
    escaped (CSS Syntax 3, section 4.3.5: a string token ends at its quote or a newline)."""
    escaped = "".join(f"\\{ord(c):x} " if c in '"\\\n\r\f' else c for c in url)
    return f'url("{escaped}")'


def build_page(
    template: dict[str, Any], texts: list[str], base_url: str, *,
    lang: str | None = None, system_fonts: bool = False,
) -> str:
    """Return the HTML page for ``template`` with ``texts`` (one per rectangle, list order).

    Rectangles are emitted in drawing order (by ``number``), so later ones paint on top.
    ``lang`` goes on the root element (Chromium picks fallback faces by it, as the
    engine does by the render locale). ``system_fonts`` leaves the bundled fonts
    undeclared and generic families to the browser (see the module docstring).
    ``base_url`` is where the bundled fonts are served (``base_url/fonts/...``).
    Default: no ``lang``, bundled fonts. Every value from the template is escaped
    (HTML attributes and text; CSS strings), so a template cannot add markup.
    """
    links = sorted({r["font_url"] for r in template["rectangles"] if r.get("font_url")})
    order = sorted(
        range(len(template["rectangles"])),
        key=lambda i: (1, 0, i) if template["rectangles"][i].get("number") is None
        else (0, template["rectangles"][i]["number"], i),
    )
    body = []
    if template.get("background_url"):
        style = html.escape(f"background-image: {css_url(template['background_url'])}")
        body.append(f'<div class="bg" style="{style}"></div>')
    for i in order:
        rect = template["rectangles"][i]
        style = html.escape(rect_style(rect, system_fonts))
        body.append(f'<div class="r" id="r{i}" style="{style}">'
                    f"{html.escape(texts[i])}</div>")
    width, height = float(template["width"]), float(template["height"])
    return "\n".join([
        "<!doctype html>",
        f'<html lang="{html.escape(lang)}">' if lang else "<html>",
        '<head><meta charset="utf-8">',
        *(f'<link rel="stylesheet" href="{html.escape(u)}">' for u in links),
        f"<style>{'' if system_fonts else font_face_rules(base_url)}\n{BASE_CSS}",
        f"body {{ width: {width:g}px; height: {height:g}px; }}</style>",
        "</head><body>",
        *body,
        "</body></html>",
    ])
