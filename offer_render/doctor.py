"""Check the machine the engine runs on: take font folders and a cache folder, return typed checks.

One :class:`Check` per part, with its version where it has one: Python, Pillow,
raqm, FriBiDi, HarfBuzz (Pillow's and uharfbuzz's), the OpenType Sanitizer,
FreeType, AVIF and WebP support, ICU (icu4py), the bundled fonts, extra font
folders and the disk cache of downloads. ``required`` parts are those without
which the engine cannot render as a browser would (text layout, bidi, sanitized
web fonts, fallback faces, measuring, line breaking); the others (AVIF, WebP, the
disk cache) only limit what it can do. ``offer-render doctor`` prints the checks;
a service can answer a readiness probe with :func:`ready` (cache the result: the
font scan reads every bundled font, about a quarter of a second).

No check raises: a probe that fails says so in its ``detail``.
"""

from __future__ import annotations

import os
import platform
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from offer_render.config import BUNDLED_FONTS_DIR, default_cache_dir


@dataclass(frozen=True)
class Check:
    """One part of the engine's environment: present or not, its version, and what it is."""

    key: str
    """Stable machine name: ``raqm``, ``fribidi``, ``fonts``, ``cache``..."""
    name: str
    """What a person calls it: ``raqm``, ``FriBiDi``, ``bundled fonts``..."""
    ok: bool
    version: str | None = None
    detail: str = ""
    """What the part does when ``ok``; what is wrong and how to fix it when not."""
    required: bool = True
    """Whether the engine needs it (``ok`` False then means: not ready)."""
    facts: dict[str, Any] = field(default_factory=dict)
    """Machine-readable extras: a folder's ``path``, ``faces``, ``writable``, ``bytes``."""

    @property
    def status(self) -> str:
        """Return ``ok``, ``missing`` (a required part is not there) or ``warning``."""
        if self.ok:
            return "ok"
        return "missing" if self.required else "warning"

    def to_json(self) -> dict[str, Any]:
        """Return the check as a JSON object (``doctor --json``)."""
        return {"key": self.key, "name": self.name, "status": self.status, "ok": self.ok,
                "required": self.required, "version": self.version, "detail": self.detail,
                **self.facts}


def run_checks(
    font_dirs: Sequence[Path] = (), cache_dir: Path | None = None
) -> list[Check]:
    """Return every check, in a fixed order; ``cache_dir`` defaults to the CLI's cache folder."""
    probes: list[Callable[[], Check]] = [
        _python, _pillow, _raqm, _fribidi, _pillow_harfbuzz, _uharfbuzz, _sanitizer,
        _freetype, _avif, _webp, _icu, _bundled_fonts,
        *(_font_dir_probe(Path(d)) for d in font_dirs),
        _cache_probe(cache_dir if cache_dir is not None else default_cache_dir()),
    ]
    return [_safely(probe) for probe in probes]


def missing(checks: Iterable[Check]) -> list[Check]:
    """Return the required checks that failed."""
    return [c for c in checks if c.required and not c.ok]


def ready(checks: Iterable[Check]) -> bool:
    """Return whether everything the engine needs is there."""
    return not missing(checks)


def _safely(probe: Callable[[], Check]) -> Check:
    """Run ``probe``; a probe that raises becomes a failed check naming the error."""
    try:
        return probe()
    except Exception as exc:  # a broken install can raise anything on import
        name = getattr(probe, "__name__", "check").strip("_<>")
        return Check(name, name, False, detail=f"check failed: {type(exc).__name__}: {exc}")


def _feature(key: str, name: str, feature: str, what: str, fix: str, *,
             required: bool = True) -> Check:
    """Return the check of one Pillow feature (``PIL.features.version``)."""
    from PIL import features

    version = features.version(feature)
    if version is None:
        return Check(key, name, False, detail=f"not available: {fix}", required=required)
    return Check(key, name, True, str(version), what, required=required)


def _python() -> Check:
    return Check("python", "Python", True, platform.python_version(),
                 f"{platform.python_implementation()} on {platform.system()}")


def _pillow() -> Check:
    import PIL

    return Check("pillow", "Pillow", True, PIL.__version__, "images, codecs, text drawing")


def _raqm() -> Check:
    return _feature("raqm", "raqm", "raqm", "Pillow's text layout: shaping, bidi, fallback",
                    "install a Pillow wheel from the package index (it bundles libraqm)")


def _fribidi() -> Check:
    return _feature("fribidi", "FriBiDi", "fribidi", "bidi for raqm (UAX #9)",
                    "install the system's libfribidi (Debian: apt-get install libfribidi0)")


def _pillow_harfbuzz() -> Check:
    return _feature("harfbuzz", "HarfBuzz (Pillow)", "harfbuzz", "shaping inside raqm",
                    "install a Pillow wheel from the package index (it bundles HarfBuzz)")


def _uharfbuzz() -> Check:
    try:
        import uharfbuzz
    except ImportError:
        return Check("uharfbuzz", "HarfBuzz (uharfbuzz)", False,
                     detail="not installed: pip install uharfbuzz")
    return Check("uharfbuzz", "HarfBuzz (uharfbuzz)", True, uharfbuzz.version_string(),
                 f"measuring, as Chromium does (uharfbuzz {uharfbuzz.__version__})")


def _sanitizer() -> Check:
    from offer_render.resources.sanitize import sanitizer_path

    path = sanitizer_path()
    if path is None:
        return Check("ots", "OpenType Sanitizer", False,
                     detail="ots-sanitize not found: pip install opentype-sanitizer")
    return Check("ots", "OpenType Sanitizer", True, _dist_version("opentype-sanitizer"),
                 f"checks every downloaded font ({path})", facts={"path": str(path)})


def _freetype() -> Check:
    return _feature("freetype", "FreeType", "freetype2", "glyph outlines and bitmaps",
                    "install a Pillow wheel from the package index (it bundles FreeType)")


def _avif() -> Check:
    return _feature("avif", "AVIF", "avif", "AVIF output",
                    "this Pillow cannot write AVIF (Pillow 11.3+ wheels can)", required=False)


def _webp() -> Check:
    return _feature("webp", "WebP", "webp", "WebP output",
                    "this Pillow cannot write WebP (Pillow's wheels can)", required=False)


def _icu() -> Check:
    try:
        from icu4py import _version
    except ImportError:
        return Check("icu", "ICU", False, detail="icu4py not installed: pip install icu4py")
    return Check("icu", "ICU", True, str(_version.icu_version),
                 f"line and grapheme breaks (icu4py {_dist_version('icu4py')})")


def _bundled_fonts() -> Check:
    from dataclasses import fields

    from offer_render.config import GenericFamilies
    from offer_render.resources.fontdb import FontDatabase

    db = FontDatabase((), bundled_dir=BUNDLED_FONTS_DIR)
    faces = len(db.faces())
    facts = {"path": str(BUNDLED_FONTS_DIR), "faces": faces}
    generics = GenericFamilies()
    absent = sorted({getattr(generics, f.name) for f in fields(generics)
                     if db.match(getattr(generics, f.name), 400, "normal") is None})
    if not BUNDLED_FONTS_DIR.is_dir():
        return Check("fonts", "bundled fonts", False, detail=f"{BUNDLED_FONTS_DIR}: no such "
                     "folder (install from a wheel or a source checkout)", facts=facts)
    if absent:
        return Check("fonts", "bundled fonts", False, detail=f"{BUNDLED_FONTS_DIR}: {faces} "
                     f"faces, but not {', '.join(absent)}", facts=facts)
    return Check("fonts", "bundled fonts", True, detail=f"{BUNDLED_FONTS_DIR} ({faces} faces)",
                 facts=facts)


def _font_dir_probe(path: Path) -> Callable[[], Check]:
    def _font_dir() -> Check:
        from offer_render.resources.fontdb import FontDatabase

        if not path.is_dir():
            return Check("font_dir", "font dir", False, detail=f"{path}: no such folder",
                         facts={"path": str(path), "faces": 0})
        db = FontDatabase((path,), bundled_dir=None)
        faces = len(db.faces())
        facts = {"path": str(path), "faces": faces, "skipped": len(db.skipped)}
        skipped = f", {len(db.skipped)} files skipped (not fonts)" if db.skipped else ""
        return Check("font_dir", "font dir", faces > 0,
                     detail=f"{path} ({faces} faces{skipped})" if faces else
                     f"{path}: no fonts in it", facts=facts)

    return _font_dir


def _cache_probe(path: Path) -> Callable[[], Check]:
    return lambda: _cache(path)


def _cache(path: Path) -> Check:
    used = _bytes_under(path)
    writable, why = _writable(path)
    facts = {"path": str(path), "writable": writable, "bytes": used}
    if not writable:
        return Check("cache", "disk cache", False, required=False, facts=facts,
                     detail=f"{path}: not writable ({why}); downloads are not kept between runs")
    return Check("cache", "disk cache", True, facts=facts,
                 detail=f"{path} (writable, {used:,} bytes used)", required=False)


def _writable(path: Path) -> tuple[bool, str]:
    """Return whether files can be made in ``path`` (or, if it does not exist yet, made there)."""
    if path.is_dir():
        try:
            with tempfile.TemporaryFile(dir=path):
                return True, ""
        except OSError as exc:
            return False, exc.strerror or str(exc)
    if path.exists():
        return False, "not a folder"
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is None or not parent.is_dir():
        return False, f"{parent} is not a folder"
    if not os.access(parent, os.W_OK | os.X_OK):
        return False, f"cannot create it in {parent}"
    return True, ""


def _bytes_under(path: Path) -> int:
    """Return the bytes of the files under ``path`` (0 when it does not exist)."""
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


def _dist_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
