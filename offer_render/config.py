"""Hold the engine's configuration: limits, network policy, fonts and caches, all frozen.

:func:`engine_config` builds it from what an operator sets (flags or environment), the
one way every front door does: the command line's ``make_config``, the render
service's settings and the pool's workers, so a flag means the same everywhere.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, ClassVar

from offer_render.version import __version__

# The bundled fallback fonts ship beside the package in the source tree (``fonts/``);
# an installed wheel carries them under ``offer_render/_fonts`` (see setup.py), which
# wins, so a stray ``fonts`` folder in site-packages is never taken for them.
_PKG_DIR = Path(__file__).resolve().parent
BUNDLED_FONTS_DIR = (
    _PKG_DIR / "_fonts" if (_PKG_DIR / "_fonts").is_dir() else _PKG_DIR.parent / "fonts"
)


@dataclass(frozen=True)
class Limits:
    """Bounds the engine enforces on input and resources (README, "Bad and hostile input").

    Every one is configurable.
    """

    max_canvas: int = 4096
    """Largest canvas width and height in CSS px. Default: 4096."""
    max_rectangles: int = 64
    """Most rectangles in one template. Default: 64."""
    max_text_chars: int = 10_000
    """Most characters of merged text per rectangle. Default: 10,000."""
    max_font_size: float = 2000.0
    """Largest font_size in CSS px. Default: 2000 (a canvas is at most 4096 px high)."""
    max_scale: float = 4.0
    """Largest output scale factor. Default: 4."""
    max_output_pixels: int = 8192 * 8192
    """Most device pixels in one output image (canvas x scale, both ways), checked before
    any pixel is allocated. Default: 67,108,864 (8192 x 8192: the largest canvas at @2x;
    4096 x 4096 at scale 4 would need 1 GiB of RGBA)."""
    max_background_bytes: int = 20 * 1024 * 1024
    """Largest background file. Default: 20 MB."""
    max_background_pixels: int = 50_000_000
    """Largest decoded background. Default: 50 megapixels."""
    max_font_bytes: int = 10 * 1024 * 1024
    """Largest font file a template's stylesheet may bring, compressed or not. Default: 10 MB."""
    max_font_source_bytes: int = 32 * 1024 * 1024
    """Largest font file from the font source (configured by the operator, not the
    template): a whole Noto Sans CJK face is 16-17 MB when the source does not split it
    into subsets. Default: 32 MiB."""
    max_sfnt_bytes: int = 64 * 1024 * 1024
    """Largest font once WOFF/WOFF2 is unpacked, checked before anything is inflated in
    full. Default: 64 MiB (CJK fonts reach ~30 MB)."""
    font_sanitize_timeout: float = 5.0
    """Longest the OpenType Sanitizer may take on one downloaded font, in seconds.
    Default: 5 (it takes milliseconds on real fonts)."""
    max_stylesheet_bytes: int = 512 * 1024
    """Largest font stylesheet. Default: 512 KB."""
    max_font_face_rules: int = 64
    """Most @font-face rules read from one stylesheet. Default: 64."""
    fetch_timeout: float = 10.0
    """Total deadline of one fetch, redirects included, in seconds. Default: 10."""
    max_redirects: int = 3
    """Most redirects followed by one fetch. Default: 3."""


@dataclass(frozen=True)
class NetworkPolicy:
    """Say what the fetcher may reach.

    Default: http and https to public addresses only, no local files, network on.
    """

    allow_hosts: frozenset[str] = frozenset()
    """Hosts (names or IP literals) allowed even when they resolve to private or
    loopback addresses; tests and local font mirrors use ``127.0.0.1``."""
    offline: bool = False
    """Use only what is already cached; never touch the network."""
    allow_local_files: bool = False
    """Allow ``file://`` URLs and plain paths (the CLI enables this for designers)."""
    base_dir: Path | None = None
    """Folder that relative paths in a template are resolved against."""


DEFAULT_FONT_SOURCE = "https://fonts.googleapis.com"
"""The public Google Fonts CSS API, where fallback faces not bundled come from."""


def default_font_source() -> str | None:
    """Return ``$OFFER_RENDER_FONT_SOURCE`` (empty: none), else :data:`DEFAULT_FONT_SOURCE`."""
    env = os.environ.get("OFFER_RENDER_FONT_SOURCE")
    if env is None:
        return DEFAULT_FONT_SOURCE
    return env.strip() or None


@dataclass(frozen=True)
class GenericFamilies:
    """The family each CSS generic family keyword resolves to; every one configurable.

    Defaults: the Noto faces a phone (Android, ChromeOS) and Chromium with the Noto
    fonts installed pick: ``serif`` Noto Serif, ``sans-serif`` Noto Sans, ``monospace``
    Noto Sans Mono; ``cursive``, ``fantasy`` and ``system-ui`` take Noto Sans, as
    fontconfig's best match does when no cursive or fantasy font is installed.
    """

    serif: str = "Noto Serif"
    sans_serif: str = "Noto Sans"
    monospace: str = "Noto Sans Mono"
    cursive: str = "Noto Sans"
    fantasy: str = "Noto Sans"
    system_ui: str = "Noto Sans"

    def family_for(self, generic: str) -> str | None:
        """Return the family of the generic keyword ``generic`` (``sans-serif``...), or None."""
        value = getattr(self, generic.lower().replace("-", "_"), None)
        return value if isinstance(value, str) else None


def default_cache_dir() -> Path:
    """Return ``$OFFER_RENDER_CACHE_DIR``, else the platform's user cache folder for us."""
    env = os.environ.get("OFFER_RENDER_CACHE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_path

    return user_cache_path("offer-render", appauthor=False)


MiB = 1024 * 1024


@dataclass(frozen=True)
class CacheLimits:
    """Byte budgets of every in-memory cache of the engine; 0 turns a cache off.

    The first group belongs to each Renderer; the second is shared by every Renderer
    of the process (fonts are parsed once per process) and takes the budgets of the
    Renderer made last. :attr:`total_bytes` adds them all up: it is what caches may
    hold at most, on top of the interpreter, the libraries and the renders in flight.
    A font's bytes may sit in more than one font cache at once, so the total is an
    upper bound. Defaults add up to 648 MiB; the caches fill only as far as the work
    needs (a service with a handful of templates and fonts holds far less).
    """

    # -- per Renderer ---------------------------------------------------------------
    template_bytes: int = 8 * MiB
    """Validated templates by their JSON (offers of a club carry copies of the same
    template). Default: 8 MiB."""
    layout_bytes: int = 16 * MiB
    """Laid-out rectangles per (rectangle, text, faces, scale, locale). Default: 16 MiB."""
    layer_bytes: int = 96 * MiB
    """Drawn rectangle layers (RGBA) per laid-out rectangle. Default: 96 MiB."""
    glyph_bytes: int = 16 * MiB
    """Coverage masks of glyph runs per (face, size, text, subpixel x). Default: 16 MiB."""
    background_bytes: int = 96 * MiB
    """Decoded, fitted backgrounds per (content, size). Default: 96 MiB."""
    fetch_bytes: int = 32 * MiB
    """Fetched stylesheets, fonts and backgrounds kept in memory. Default: 32 MiB."""
    local_file_bytes: int = 32 * MiB
    """Local files (designers' templates) kept after reading, by path, mtime and size.
    Default: 32 MiB."""
    jpeg_rows_bytes: int = 16 * MiB
    """Backgrounds encoded as JPEG rows per (content, size, quality), which JPEG output
    reuses for the rows no text touches. Default: 16 MiB (a 1080x1080 photo takes
    about 250 KB)."""
    png_bands_bytes: int = 32 * MiB
    """Backgrounds encoded as PNG bands per (content, size, zlib level), which PNG output
    reuses for the bands no text touches. Default: 32 MiB (a 1080x1080 photo takes
    about 1.3 MB, a flat colour about 20 KB)."""

    # -- shared by the process --------------------------------------------------------
    parsed_font_bytes: int = 64 * MiB
    """Parsed fonts (sfnt bytes, cmap, metrics) by content, bundled and installed ones
    included. Default: 64 MiB (the bundled set takes about 30 MiB)."""
    font_face_bytes: int = 8 * MiB
    """Faces made from parsed fonts per weight, style and unicode-range (their coverage
    sets; the bytes are the parsed font's). Default: 8 MiB."""
    web_font_bytes: int = 32 * MiB
    """Downloaded fonts, sanitized and parsed, by the digest of what was fetched.
    Default: 32 MiB."""
    sanitized_font_bytes: int = 16 * MiB
    """Output of the OpenType Sanitizer (or its refusal) by the digest of its input.
    Default: 16 MiB."""
    stylesheet_bytes: int = 4 * MiB
    """Parsed ``@font-face`` stylesheets by content. Default: 4 MiB."""
    shaping_font_bytes: int = 96 * MiB
    """HarfBuzz fonts layout measures with. Default: 96 MiB (every bundled face plus
    dozens of web fonts)."""
    freetype_font_bytes: int = 64 * MiB
    """FreeType fonts the rasterizer draws with, per thread, face and size (each keeps
    its own copy of the face's bytes), all threads together. Default: 64 MiB."""
    content_template_bytes: int = 16 * MiB
    """Compiled Jinja2 templates of rectangle contents. Default: 16 MiB."""
    small_memo_bytes: int = 1 * MiB
    """Each of the small memos: parsed ``font-family`` values, Babel locales, time
    zones and bitmap-font strikes (4 memos). Default: 1 MiB each."""

    SMALL_MEMOS: ClassVar[tuple[str, ...]] = (
        "family_names", "babel_locales", "time_zones", "bitmap_strikes",
    )
    """Names of the process-wide memos :attr:`small_memo_bytes` bounds, each on its own."""
    PROCESS_FIELDS: ClassVar[tuple[str, ...]] = (
        "parsed_font_bytes", "font_face_bytes", "web_font_bytes", "sanitized_font_bytes",
        "stylesheet_bytes", "shaping_font_bytes", "freetype_font_bytes",
        "content_template_bytes",
    )
    """Fields that size a process-wide cache, named as the field without ``_bytes``."""

    def process_budgets(self) -> dict[str, int]:
        """Return the budget of every process-wide cache, by the cache's registered name."""
        out = {name.removesuffix("_bytes"): getattr(self, name) for name in self.PROCESS_FIELDS}
        out.update(dict.fromkeys(self.SMALL_MEMOS, self.small_memo_bytes))
        return out

    @property
    def total_bytes(self) -> int:
        """Return the most every cache together may hold: each Renderer's and the process's."""
        process = sum(self.process_budgets().values())
        own: int = sum(getattr(self, f.name) for f in fields(self) if f.name not in
                       (*self.PROCESS_FIELDS, "small_memo_bytes"))
        return own + process


@dataclass(frozen=True)
class RendererConfig:
    """Everything a :class:`~offer_render.api.Renderer` needs besides its caches."""

    limits: Limits = field(default_factory=Limits)
    network: NetworkPolicy = field(default_factory=NetworkPolicy)
    font_dirs: tuple[Path, ...] = ()
    """Extra folders of installed fonts, searched after the bundled ``fonts/`` folder."""
    generic_families: GenericFamilies = field(default_factory=GenericFamilies)
    """What ``serif``, ``sans-serif``, ``monospace``... resolve to (see
    :class:`GenericFamilies`). Default: the Noto families."""
    font_source: str | None = field(default_factory=default_font_source)
    """Base URL of a Google-Fonts-compatible CSS API where the faces the fallback chain
    names (Noto Sans KR, Noto Sans Tibetan...) are found when they are not bundled; only
    the families and ``unicode-range`` subsets the text needs are fetched, once, into
    the disk cache. None: no font source. Default: ``$OFFER_RENDER_FONT_SOURCE`` (empty
    for none), else the public Google Fonts API."""
    system_fonts: bool = False
    """Also look for those faces among the fonts installed on this machine, after the font
    source. Default: False, because output would then depend on the machine."""
    fallback_by_style: bool = False
    """Choose fallback faces by weight and style (a script's Bold face for bold text), as
    Android does. Default: False: regular and upright faces, emboldened and slanted as
    needed, as Chromium on Linux (the reference the browser check measures) does."""
    default_locale: str = "en"
    """Locale used when a LocalizedContent has neither the render locale nor its language."""
    caches: CacheLimits = field(default_factory=CacheLimits)
    """Budgets of the in-memory caches (see :class:`CacheLimits`)."""
    cache_dir: Path | None = field(default_factory=lambda: default_cache_dir())
    """Folder of the disk cache of downloads; None for none. Default: the platform's
    user cache folder (platformdirs), or ``$OFFER_RENDER_CACHE_DIR`` when set."""
    cache_dir_bytes: int = 2 * 1024**3
    """Most bytes of downloads the disk cache keeps; the least recently used go first.
    Default: 2 GiB."""
    default_max_age: float = 0.0
    """Seconds a download is reused before being revalidated (ETag / Last-Modified) when
    the server sent no Cache-Control max-age, no Expires and no Last-Modified (with
    Last-Modified, a tenth of its age is used, at most a day: see
    ``resources.fetch.freshness``). Default: 0 (always ask, as HTTP says; Google Fonts sends
    max-age, so its fonts are reused for a day or a year)."""
    render_deadline: float | None = None
    """Seconds one render (or one ``render_locales`` call) may spend fetching, all its
    fetches together; a font not had in time falls back with a warning, a background
    is an error. Default: None (each fetch still has ``Limits.fetch_timeout``). A
    service with a response deadline sets it a little below that."""
    png_compress_level: int = 1
    """zlib level of PNG output, 0..9. Default: 1 (see ``encode.PNG_COMPRESS_LEVEL``)."""
    user_agent: str = f"offer-render/{__version__}"
    """User-Agent sent with every request. Google Fonts answers non-browser agents with
    one TTF per face, which is what the engine wants."""

    @property
    def cache_bytes(self) -> int:
        """Return the most the engine's in-memory caches may hold: every budget of
        :attr:`caches`, the process-wide ones included (see :class:`CacheLimits`)."""
        return self.caches.total_bytes


KEEP: Any = object()
"""For ``font_source``: keep the configuration's default (``$OFFER_RENDER_FONT_SOURCE``,
else the public Google Fonts API)."""


def engine_config(
    *,
    allow_hosts: Iterable[str] = (),
    offline: bool = False,
    font_dirs: Iterable[Path] = (),
    allow_local_files: bool = False,
    base_dir: Path | None = None,
    cache_dir: Path | None = None,
    render_deadline: float | None = None,
    font_source: str | None = KEEP,
    system_fonts: bool = False,
) -> RendererConfig:
    """Return the configuration for these options.

    ``allow_local_files`` defaults to False: only callers whose user wrote the
    template (the designer commands) turn it on; batch and the service render
    templates that come from elsewhere. ``cache_dir`` None keeps the default disk
    cache (``$OFFER_RENDER_CACHE_DIR`` or the user cache folder); ``render_deadline``
    None keeps each fetch's own deadline only (``Limits.fetch_timeout``);
    ``font_source`` :data:`KEEP` keeps the default font source, None turns it off.
    """
    policy = NetworkPolicy(
        allow_hosts=frozenset(allow_hosts), offline=offline,
        allow_local_files=allow_local_files, base_dir=base_dir,
    )
    config = RendererConfig(network=policy, font_dirs=tuple(Path(d) for d in font_dirs),
                            render_deadline=render_deadline, system_fonts=system_fonts)
    if font_source is not KEEP:
        config = replace(config, font_source=font_source)
    return replace(config, cache_dir=cache_dir) if cache_dir is not None else config
