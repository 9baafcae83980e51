"""Hold the engine's configuration: limits, network policy and font folders, all frozen."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# The bundled fallback fonts ship beside the package in the source tree (``fonts/``);
# an installed wheel carries them under ``offer_render/_fonts`` (see pyproject).
_PKG_DIR = Path(__file__).resolve().parent
BUNDLED_FONTS_DIR = (
    _PKG_DIR.parent / "fonts" if (_PKG_DIR.parent / "fonts").is_dir() else _PKG_DIR / "_fonts"
)


@dataclass(frozen=True)
class Limits:
    """Bounds the engine enforces on input and resources (SPEC 5). Every one is configurable."""

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
    max_background_bytes: int = 20 * 1024 * 1024
    """Largest background file. Default: 20 MB."""
    max_background_pixels: int = 50_000_000
    """Largest decoded background. Default: 50 megapixels."""
    max_font_bytes: int = 10 * 1024 * 1024
    """Largest font file, compressed or not. Default: 10 MB."""
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


@dataclass(frozen=True)
class RendererConfig:
    """Everything a :class:`~offer_render.api.Renderer` needs besides its caches."""

    limits: Limits = field(default_factory=Limits)
    network: NetworkPolicy = field(default_factory=NetworkPolicy)
    font_dirs: tuple[Path, ...] = ()
    """Extra folders of installed fonts, searched after the bundled ``fonts/`` folder."""
    default_locale: str = "en"
    """Locale used when a LocalizedContent has neither the render locale nor its language."""
    user_agent: str = "offer-render/0.1"
    """User-Agent sent with every request. Google Fonts answers non-browser agents with
    one TTF per face, which is what the engine wants."""
