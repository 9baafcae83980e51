"""Index installed font folders (bundled ``fonts/`` first); find families, generics, fallbacks.

:class:`FontDatabase` scans its folders on first use for .ttf .otf .ttc .woff
.woff2 files and returns :class:`InstalledFace` entries; :meth:`FontDatabase.load`
turns an entry into a :class:`~offer_render.resources.fontfile.ParsedFont`.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont

from offer_render.config import BUNDLED_FONTS_DIR
from offer_render.resources.fontfile import (
    ParsedFont,
    count_faces,
    font_axes,
    font_names,
    font_style,
    load_font,
    memoized_font,
    to_sfnt,
    weight_class,
)
from offer_render.resources.matching import match_faces

FONT_SUFFIXES = frozenset({".ttf", ".otf", ".ttc", ".otc", ".woff", ".woff2"})

LAST_RESORT_FAMILIES: tuple[str, ...] = (
    "DejaVu Sans",  # Latin, Greek, Cyrillic and many symbols
    "Droid Sans Fallback",  # CJK: Chinese, Japanese kana and kanji, some Hangul
    "Noto Color Emoji",  # colour bitmaps (CBDT), scaled to the font size
)
"""Bundled faces tried, in this order, for characters that no face the fallback chain
names could draw (offline, or with no font source): not the faces Chromium would pick,
but better than a missing glyph. A family listed here but not installed is skipped."""

SYSTEM_FONT_DIRS: tuple[str, ...] = (
    "/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts",
    "/Library/Fonts", "/System/Library/Fonts",
)
"""Where installed system fonts are looked for when ``RendererConfig.system_fonts`` is on
(Linux and macOS locations; folders that do not exist are skipped)."""


def loose_name(family: str) -> str:
    """Return ``family`` without case, spaces or hyphens, so that names written apart
    (Noto Sans Symbols 2, Noto Sans Symbols2) find each other."""
    return "".join(ch for ch in family.casefold() if ch not in " -_")


@dataclass(frozen=True)
class InstalledFace:
    """One face of a font file in a font folder, as the index knows it (no data loaded)."""

    family: str
    """Preferred family name (name ID 16, else ID 1)."""
    path: Path
    index: int
    weight_min: int
    weight_max: int
    """Equal to ``weight_min`` for static fonts; the ``wght`` axis range for variable ones."""
    style: str
    names: tuple[str, ...]
    """Every family name (IDs 16 and 1), any language, as written."""
    full_names: tuple[str, ...]
    """Full and PostScript names (IDs 4 and 6), for ``local()``."""

    @property
    def weight(self) -> int | tuple[int, int]:
        """Return the weight, or the (min, max) range of a variable font."""
        return self.weight_min if self.weight_min == self.weight_max else (
            self.weight_min, self.weight_max)


class FontDatabase:
    """Installed fonts: the bundled folder first, then the configured ones, scanned lazily.

    Thread-safe; the scan happens once, on the first query. Files that are not
    fonts are skipped (listed in :attr:`skipped`).
    """

    def __init__(
        self, dirs: Sequence[Path | str] = (), *, bundled_dir: Path | None = BUNDLED_FONTS_DIR,
        system: bool = False,
    ) -> None:
        roots = ([bundled_dir] if bundled_dir is not None else []) + [
            Path(d).expanduser() for d in dirs]
        self.dirs: tuple[Path, ...] = tuple(dict.fromkeys(Path(r).resolve() for r in roots))
        self.system = system
        """The folders are the machine's system fonts (see :data:`SYSTEM_FONT_DIRS`)."""
        self.skipped: list[tuple[Path, str]] = []
        self._lock = threading.Lock()
        self._faces: tuple[InstalledFace, ...] | None = None
        self._by_family: dict[str, list[InstalledFace]] = {}
        self._by_full_name: dict[str, InstalledFace] = {}
        self._by_loose_name: dict[str, list[InstalledFace]] = {}
        self._digests: dict[tuple[Path, int, int], str] = {}
        """(path, mtime, size) -> sha256 of the file's bytes: one short string per file."""
        self._providers: dict[Path, str] = {}
        """path -> :meth:`provider_of` answer, as resolving a path costs an ``lstat`` per
        component and every render asks for its generic face's provider."""

    def faces(self, family: str | None = None) -> tuple[InstalledFace, ...]:
        """Return every indexed face in scan order, or those of ``family`` (case-insensitive)."""
        all_faces = self._scan()
        if family is None:
            return all_faces
        return tuple(self._by_family.get(family.casefold(), ()))

    def families(self) -> list[str]:
        """Return the preferred family names, in scan order, without duplicates."""
        return list(dict.fromkeys(f.family for f in self._scan()))

    def match(self, family: str, weight: int, style: str) -> InstalledFace | None:
        """Return the face of ``family`` CSS matching picks for ``weight`` and ``style``, or None.

        When two files give the same family, weight and style, the first scanned
        wins (the bundled folder before configured ones).
        """
        found = match_faces(list(reversed(self.faces(family))), weight, style)
        return found[0] if found else None

    def match_loose(self, family: str, weight: int, style: str) -> InstalledFace | None:
        """Return the face of ``family`` as :meth:`match` does, the name compared without
        case, spaces or hyphens (see :func:`loose_name`)."""
        self._scan()
        faces = self._by_loose_name.get(loose_name(family), [])
        found = match_faces(list(reversed(faces)), weight, style)
        return found[0] if found else None

    def last_resort_faces(
        self, weight: int = 400, style: str = "normal"
    ) -> tuple[InstalledFace, ...]:
        """Return the bundled last-resort faces (see :data:`LAST_RESORT_FAMILIES`), in order."""
        found = (self.match(family, weight, style) for family in LAST_RESORT_FAMILIES)
        return tuple(f for f in found if f is not None)

    def provider_of(self, face: InstalledFace) -> str:
        """Return where ``face`` comes from: ``bundled``, ``font_dir`` or ``system``."""
        if self.system:
            return "system"
        found = self._providers.get(face.path)
        if found is None:
            bundled = face.path.resolve().is_relative_to(BUNDLED_FONTS_DIR.resolve())
            found = self._providers[face.path] = "bundled" if bundled else "font_dir"
        return found

    def find_local(self, name: str) -> InstalledFace | None:
        """Return the face whose full or PostScript name is ``name`` (``local()``), or None."""
        self._scan()
        return self._by_full_name.get(name.casefold())

    def load(self, face: InstalledFace) -> ParsedFont:
        """Return the parsed font of ``face``; ValueError if the file became unreadable.

        Parsed fonts live in the process-wide memo of parsed fonts (and its budget);
        the database remembers the digest of each file per (path, mtime, size), so a
        render finds an unchanged file's font without reading and hashing megabytes of
        CJK or emoji font again.
        """
        try:
            stat = face.path.stat()
            key = (face.path, stat.st_mtime_ns, stat.st_size)
            digest = self._digests.get(key)
            parsed = memoized_font(digest, face.index) if digest else None
            if parsed is None:
                data = face.path.read_bytes()
                digest = hashlib.sha256(data).hexdigest()
                parsed = load_font(data, index=face.index, digest=digest)
                with self._lock:
                    self._digests[key] = digest
            return parsed
        except OSError as exc:
            msg = f"{face.path}: cannot read font file ({exc.strerror})"
            raise ValueError(msg) from None

    def _scan(self) -> tuple[InstalledFace, ...]:
        with self._lock:
            if self._faces is None:
                self._faces = tuple(self._index(_font_files(self.dirs)))
            return self._faces

    def _index(self, files: Iterable[Path]) -> Iterable[InstalledFace]:
        for path in files:
            try:
                entries = list(_read_entries(path))
            except (OSError, ValueError) as exc:
                self.skipped.append((path, str(exc)))
                continue
            for face in entries:
                for name in face.names:
                    self._by_family.setdefault(name.casefold(), []).append(face)
                for loose in dict.fromkeys(loose_name(name) for name in face.names):
                    self._by_loose_name.setdefault(loose, []).append(face)
                for name in face.full_names:
                    self._by_full_name.setdefault(name.casefold(), face)
                yield face


def _font_files(dirs: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for root in dirs:
        if root.is_dir():
            out += sorted(p for p in root.rglob("*") if p.suffix.lower() in FONT_SUFFIXES
                          and p.is_file())
    return list(dict.fromkeys(out))


def _read_entries(path: Path) -> Iterable[InstalledFace]:
    sfnt, _ = to_sfnt(path.read_bytes())
    for index in range(count_faces(sfnt)):
        yield _entry(path, sfnt, index)


def _entry(path: Path, sfnt: bytes, index: int) -> InstalledFace:
    """Read only the name, OS/2, head and fvar tables: the scan must stay cheap."""
    try:
        number = index if sfnt[:4] == b"ttcf" else -1
        font = TTFont(io.BytesIO(sfnt), fontNumber=number, lazy=True)
        os2 = font["OS/2"] if "OS/2" in font else None
        names = font_names(font, (16, 1))
        weight = weight_class(os2)
        wght = next((a for a in font_axes(font) if a.tag == "wght"), None)
        style = font_style(font, os2)
        full_names = font_names(font, (4, 6))
    except Exception as exc:  # fontTools raises many types on garbage
        msg = f"not a font: {type(exc).__name__}: {exc}"
        raise ValueError(msg) from None
    if not names:
        msg = "not a font: no family name"
        raise ValueError(msg)
    lo, hi = (round(wght.minimum), round(wght.maximum)) if wght else (weight, weight)
    return InstalledFace(names[0], path, index, lo, hi, style, names, full_names)
