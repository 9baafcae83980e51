"""Take Debian's installed Noto fonts; serve them on 127.0.0.1 as the Google Fonts CSS API v2 does.

The engine's font source in the multilingual check (README, "As a browser draws it"):
``GET /css2?family=Noto+Sans+KR:wght@400`` (one or more ``family`` parameters, each
with or without an axis list such as ``:wght@400;700`` or ``:ital,wght@0,400;1,700``)
answers ``@font-face`` rules, one per static face the family has, whatever weight
was asked (the engine's CSS matching picks among them, as a browser does among
Google's rules). Each rule names its face by ``src: url(...) format('truetype')`` (or
``'opentype'`` for CFF fonts) and gives its ``unicode-range``: the face's cmap,
compressed into ranges. The files are the ones Chromium uses through fontconfig in
the same check (``/usr/share/fonts/truetype/noto``, ``/usr/share/fonts/opentype/noto``),
so both sides draw with the same outlines.

Families carry Google's names, found from each font's own name table (typographic
family, name ID 16, else the family, name ID 1), then renamed where Google's catalogue
spells them differently: the CJK faces Debian ships inside collections ("Noto Sans CJK
KR" is Google's "Noto Sans KR"; each is extracted once to a standalone font in the
cache folder, since ``@font-face`` cannot name a face inside a TTC) and
:data:`GOOGLE_RENAMES`. An unknown family is answered ``400`` with one line of text, as
Google does; so is a request without ``family`` or with a malformed axis list.

``python -m tests.fidelity.fontsource`` serves until Ctrl-C and prints its base URL,
for trying the engine by hand.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fontTools.ttLib import TTCollection, TTFont

NOTO_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/opentype/noto"))
"""Where Debian's fonts-noto-core, fonts-noto-cjk and fonts-noto-color-emoji install."""

GOOGLE_RENAMES: dict[str, str] = {
    "Noto Sans Symbols2": "Noto Sans Symbols 2",
    "Noto Sans PhagsPa": "Noto Sans Phags Pa",
}
"""Families whose name table differs from the name Google Fonts lists them under."""

_CJK = re.compile(r"Noto (Sans|Serif) CJK (JP|KR|SC|TC|HK)")
_AXES = re.compile(
    r"(?:wght@\d+(?:\.\.\d+)?(?:;\d+(?:\.\.\d+)?)*"
    r"|ital@[01](?:;[01])*"
    r"|ital,wght@[01],\d+(?:\.\.\d+)?(?:;[01],\d+(?:\.\.\d+)?)*)"
)
"""The axis lists of css2's ``family`` parameter this server accepts (Google's grammar:
axis tags in alphabetical order, then tuples separated by ``;``, ranges with ``..``)."""

FONT_MAX_AGE = 31_536_000
"""``Cache-Control`` max-age of font files, as fonts.gstatic.com sends (a year)."""
CSS_MAX_AGE = 86_400
"""``Cache-Control`` max-age of the stylesheets, as fonts.googleapis.com sends (a day)."""


def google_family(name: str) -> str | None:
    """Return Google's name for the family a name table calls ``name``; None if not served.

    "Noto Sans CJK KR" is Google's "Noto Sans KR" (and so on for JP, SC, TC, HK and
    for Serif); the monospaced CJK faces ("Noto Sans Mono CJK KR") are not in
    Google's catalogue and are not served.
    """
    if "Mono CJK" in name:
        return None
    m = _CJK.fullmatch(name)
    if m:
        return f"Noto {m[1]} {m[2]}"
    return GOOGLE_RENAMES.get(name, name)


@dataclass(frozen=True)
class Face:
    """One static face of a family: where it lives and what CSS says about it."""

    family: str
    """Google's family name."""
    weight: int
    italic: bool
    path: Path
    index: int
    """Index of the face in a collection (``.ttc``); 0 for a single font."""
    cff: bool
    """Whether the outlines are CFF (``format('opentype')``) rather than TrueType."""

    @property
    def in_collection(self) -> bool:
        return self.path.suffix.lower() == ".ttc"

    @property
    def file_name(self) -> str:
        """Return the name the face is served under: family, weight, ``i`` if italic."""
        ext = "otf" if self.cff else "ttf"
        return f"{self.family.replace(' ', '')}-{self.weight}{'i' if self.italic else ''}.{ext}"

    @property
    def sort_key(self) -> tuple[bool, int]:
        return (self.italic, self.weight)


def _face_of(font: TTFont, path: Path, index: int) -> Face | None:
    """Return the :class:`Face` of an opened font, or None for faces Google does not list."""
    name = font["name"]
    family = name.getDebugName(16) or name.getDebugName(1)
    os2 = font["OS/2"]
    if not family or os2.usWidthClass != 5:  # condensed and expanded widths are other axes
        return None
    google = google_family(family)
    if google is None:
        return None
    return Face(family=google, weight=int(os2.usWeightClass), italic=bool(os2.fsSelection & 1),
                path=path, index=index, cff=font.sfntVersion == "OTTO")


def scan(dirs: Iterable[Path] = NOTO_DIRS) -> dict[str, list[Face]]:
    """Return every face in ``dirs`` by Google's family name, lightest upright first."""
    faces: dict[str, list[Face]] = {}
    for folder in dirs:
        for path in sorted(folder.glob("*")):
            suffix = path.suffix.lower()
            if suffix in (".ttf", ".otf"):
                opened = [(TTFont(path, lazy=True), 0)]
            elif suffix == ".ttc":
                opened = [(f, i) for i, f in enumerate(TTCollection(path, lazy=True).fonts)]
            else:
                continue
            for font, index in opened:
                face = _face_of(font, path, index)
                if face is not None:
                    faces.setdefault(face.family, []).append(face)
    for family in faces.values():
        family.sort(key=lambda f: f.sort_key)
    return faces


def unicode_range(codepoints: Iterable[int]) -> str:
    """Return ``codepoints`` as a CSS ``unicode-range`` value (CSS Fonts 4, section 4.5).

    Consecutive code points become one range; written as Google writes them:
    ``U+0000-00FF, U+0131, U+0152-0153``.
    """
    ranges: list[list[int]] = []
    for cp in sorted(set(codepoints)):
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return ", ".join(f"U+{a:04X}" if a == b else f"U+{a:04X}-{b:04X}" for a, b in ranges)


class BadRequest(Exception):
    """A css2 request this server refuses, with the one line of text it answers."""


def parse_families(query: str) -> list[str]:
    """Return the family names of a css2 query; raise BadRequest for a bad ``family``."""
    values = parse_qs(query, keep_blank_values=True).get("family", [])
    if not values:
        msg = "Missing family parameter"
        raise BadRequest(msg)
    names = []
    for value in values:
        name, sep, axes = value.partition(":")
        name = name.strip()
        if not name:
            msg = f"Invalid family parameter: {value!r}"
            raise BadRequest(msg)
        if sep and not _AXES.fullmatch(axes):
            msg = f"Invalid axis list for {name}: {axes!r}"
            raise BadRequest(msg)
        names.append(name)
    return list(dict.fromkeys(names))


@dataclass
class FontSource:
    """The served catalogue: families, their unicode ranges, extracted faces, the request log."""

    cache_dir: Path
    """Where faces extracted from collections are written (once each)."""
    faces: dict[str, list[Face]] = field(default_factory=scan)
    base_url: str = ""
    requests: list[str] = field(default_factory=list)
    """Every request path (with query) received, in order."""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ranges: dict[Face, str] = field(default_factory=dict)

    def stylesheet(self, families: list[str], display: str | None = None) -> str:
        """Return the ``@font-face`` rules of ``families``; KeyError names an unknown one."""
        rules: list[str] = []
        for family in families:
            if family not in self.faces:
                raise KeyError(family)
            rules.extend(self._rule(face, display) for face in self.faces[family])
        return "\n".join(rules)

    def _rule(self, face: Face, display: str | None) -> str:
        fmt = "opentype" if face.cff else "truetype"
        lines = [
            f"/* {face.path.name}{f' #{face.index}' if face.in_collection else ''} */",
            "@font-face {",
            f"  font-family: '{face.family}';",
            f"  font-style: {'italic' if face.italic else 'normal'};",
            f"  font-weight: {face.weight};",
        ]
        if display:
            lines.append(f"  font-display: {display};")
        lines += [
            f"  src: url({self.base_url}/fonts/{face.file_name}) format('{fmt}');",
            f"  unicode-range: {self.unicode_range(face)};",
            "}",
        ]
        return "\n".join(lines)

    def unicode_range(self, face: Face) -> str:
        """Return the face's cmap as a ``unicode-range`` value (computed once per face)."""
        with self._lock:
            if face not in self._ranges:
                font = TTFont(face.path, fontNumber=face.index, lazy=True)
                self._ranges[face] = unicode_range(font.getBestCmap())
            return self._ranges[face]

    @cached_property
    def by_file_name(self) -> dict[str, Face]:
        return {f.file_name: f for faces in self.faces.values() for f in faces}

    def font_file(self, file_name: str) -> Path | None:
        """Return the file to serve for ``/fonts/<file_name>``; a TTC face is extracted once."""
        face = self.by_file_name.get(file_name)
        if face is None:
            return None
        if not face.in_collection:
            return face.path
        target = self.cache_dir / file_name
        with self._lock:
            if not target.exists():
                # fontTools copies the face's own tables out of the collection as they are.
                tmp = target.with_suffix(".part")
                TTFont(face.path, fontNumber=face.index, lazy=True).save(tmp, reorderTables=False)
                tmp.replace(target)
        return target


class _Handler(BaseHTTPRequestHandler):
    source: FontSource

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.source.requests.append(self.path)
        url = urlsplit(self.path)
        if url.path == "/css2":
            self._css(url.query)
        elif url.path.startswith("/fonts/"):
            path = self.source.font_file(url.path.removeprefix("/fonts/"))
            if path is None:
                self._text(404, "Not found")
            else:
                self._send(200, path.read_bytes(),
                           "font/otf" if path.suffix == ".otf" else "font/ttf", FONT_MAX_AGE)
        else:
            self._text(404, "Not found")

    def _css(self, query: str) -> None:
        try:
            families = parse_families(query)
            display = parse_qs(query).get("display", [None])[0]
            css = self.source.stylesheet(families, display)
        except BadRequest as e:
            self._text(400, str(e))
        except KeyError as e:
            self._text(400, f"Font family not found: {e.args[0]}")
        else:
            self._send(200, css.encode(), "text/css; charset=utf-8", CSS_MAX_AGE)

    def _text(self, status: int, text: str) -> None:
        self._send(status, (text + "\n").encode(), "text/plain; charset=utf-8", None)

    def _send(self, status: int, body: bytes, content_type: str, max_age: int | None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", f"public, max-age={max_age}" if max_age else "no-store")
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client hangs up mid-answer (an engine refusing a big font)."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def serve_font_source(cache_dir: Path | None = None) -> Iterator[FontSource]:
    """Serve the installed Noto fonts on 127.0.0.1; yield the source (``base_url`` set).

    ``cache_dir`` keeps the faces extracted from collections; default a temporary
    folder removed afterwards, so each session extracts the faces it needs once.
    """
    tmp = None if cache_dir is not None else Path(tempfile.mkdtemp(prefix="fontsource-"))
    source = FontSource(cache_dir=cache_dir or tmp or Path("."))
    handler = type("Handler", (_Handler,), {"source": source})
    httpd = _Server(("127.0.0.1", 0), handler)
    source.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield source
    finally:
        httpd.shutdown()
        httpd.server_close()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def available() -> bool:
    """Return whether Debian's Noto fonts (core, CJK and colour emoji) are installed."""
    return all((d / name).exists() for d, name in (
        (NOTO_DIRS[0], "NotoSans-Regular.ttf"),
        (NOTO_DIRS[0], "NotoColorEmoji.ttf"),
        (NOTO_DIRS[1], "NotoSansCJK-Regular.ttc"),
    ))


def main() -> None:
    """Serve until interrupted; print the base URL and how many families are served."""
    with serve_font_source() as source:
        print(f"{source.base_url} serves {len(source.faces)} families "
              f"(try {source.base_url}/css2?family=Noto+Sans+KR); Ctrl-C stops")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
