"""Take a render callback and the files it reads; re-run it whenever one of them changes.

The files are the template, the offer files, and every local file the template
reaches: the background, local stylesheets, the font files they point to, and
the installed fonts a render drew with. They are found again after each render,
so a template edited to use another background is then watched for that one.

File events come from ``watchfiles`` (Rust ``notify``: inotify, FSEvents, ...),
watching the folders of those files, not recursively. :func:`watch_loop` is the
testable core: it takes any iterable of change sets. :func:`run_watch` feeds it
from ``watchfiles.watch`` and restarts the watcher when a render starts to read
files in a folder not watched yet. A failed render prints one ``error:`` line
and watching goes on; Ctrl-C stops :func:`run_watch` by raising KeyboardInterrupt,
which the CLI turns into a clean exit.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from threading import Event
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import watchfiles

from offer_render.config import BUNDLED_FONTS_DIR
from offer_render.errors import OfferRenderError
from offer_render.layout.tree import LayoutTree
from offer_render.template.validate import load_json_file

DEBOUNCE_MS = 300
"""Longest wait, after a first change, for more changes to group into one re-render.

Default: 300 ms, enough for an editor's write-and-rename save."""
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
_MAX_CSS_BYTES = 512 * 1024


@dataclass(frozen=True)
class Round:
    """What one render reports to the watcher: a summary, warning lines, the files it read."""

    summary: str
    warnings: tuple[str, ...] = ()
    files: frozenset[Path] = frozenset()
    """Local files the render read beyond those :func:`input_files` finds (font faces)."""


@dataclass
class Watcher:
    """Re-render on demand, print what changed, and say which files matter.

    ``run`` renders once and returns a :class:`Round` (or raises
    OfferRenderError); ``inputs`` returns the files to watch whatever the last
    render did (re-read each time, so edits to the template count); ``echo``
    prints a line.
    """

    run: Callable[[], Round]
    inputs: Callable[[], set[Path]]
    echo: Callable[[str], None]
    rounds: int = 0
    """Renders attempted so far, failed ones included."""
    failures: int = 0
    last_warnings: frozenset[str] = frozenset()
    _extra: frozenset[Path] = field(default=frozenset(), repr=False)

    def render(self) -> bool:
        """Render once; print the summary and the warnings (marking new ones) or one error line."""
        self.rounds += 1
        try:
            result = self.run()
        except OfferRenderError as exc:
            self.failures += 1
            self.echo(f"error: {exc}")
            return False
        self._extra = result.files
        new = [w for w in result.warnings if w not in self.last_warnings]
        for w in result.warnings:
            self.echo(f"warning{' (new)' if w in new and self.rounds > 1 else ''}: {w}")
        self.echo(result.summary)
        if self.rounds > 1:
            gone = len(self.last_warnings - set(result.warnings))
            n = len(result.warnings)
            self.echo(f"{n} warning{'' if n == 1 else 's'}, {len(new)} new, {gone} gone")
        self.last_warnings = frozenset(result.warnings)
        return True

    def files(self) -> set[Path]:
        """Return every file whose change triggers a re-render, resolved."""
        return {p.resolve() for p in (*self.inputs(), *self._extra)}

    def folders(self) -> set[Path]:
        """Return the existing folders that hold the watched files."""
        return {p.parent for p in self.files() if p.parent.is_dir()}

    def wants(self, changes: Iterable[tuple[Any, str]]) -> list[Path]:
        """Return the watched files among ``changes`` (watchfiles' ``(Change, path)`` pairs)."""
        files = self.files()
        return sorted({p for _, raw in changes if (p := Path(raw).resolve()) in files})


def watch_loop(watcher: Watcher, batches: Iterable[set[tuple[Any, str]]]) -> int:
    """Re-render for every batch of changes that touches a watched file; return the re-renders.

    ``batches`` is what ``watchfiles.watch`` yields (sets of ``(Change, path)``);
    tests may pass any iterable of such sets.
    """
    done = 0
    for batch in batches:
        changed = watcher.wants(batch)
        if not changed:
            continue
        names = ", ".join(p.name for p in changed)
        watcher.echo(f"[{time.strftime('%H:%M:%S')}] changed: {names}")
        watcher.render()
        done += 1
    return done


def run_watch(
    watcher: Watcher, *, stop_event: Event | None = None, debounce_ms: int = DEBOUNCE_MS
) -> None:
    """Watch the watcher's folders and re-render on change until ``stop_event`` is set.

    Ctrl-C raises KeyboardInterrupt out of here. The watcher is restarted with
    new folders when a render starts to read files outside the watched ones.
    """
    while not (stop_event is not None and stop_event.is_set()):
        folders = watcher.folders()
        restart: list[bool] = []
        watch_loop(watcher, _batches(watcher, folders, restart, stop_event, debounce_ms))
        if not restart:
            return


def _batches(
    watcher: Watcher, folders: set[Path], restart: list[bool], stop_event: Event | None,
    debounce_ms: int,
) -> Iterator[set[tuple[Any, str]]]:
    """Yield watchfiles' change sets for ``folders``; stop (noting it) when they no longer do."""
    for batch in watchfiles.watch(
        *sorted(folders), watch_filter=None, debounce=debounce_ms, step=50,
        stop_event=stop_event, recursive=False, raise_interrupt=True,
    ):
        yield batch
        if not watcher.folders() <= folders:
            restart.append(True)
            return


def local_path(ref: str | None, base_dir: Path) -> Path | None:
    """Return the file a template URL names when it is local (a path or ``file://``), else None."""
    if not ref or not ref.strip():
        return None
    ref = ref.strip()
    try:
        parts = urlsplit(ref)
    except ValueError:
        return None
    if len(parts.scheme) > 1:
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            return None
        path = Path(url2pathname(parts.path))
    else:
        path = Path(ref)
    return path if path.is_absolute() else base_dir / path


def input_files(template_path: Path, offer_paths: Iterable[Path]) -> set[Path]:
    """Return the template, the offers and the local files the template's JSON names.

    Read afresh each call and forgiving: a template that does not parse yet
    still yields itself and the offers, so fixing it triggers a render.
    """
    files = {template_path, *offer_paths}
    try:
        data = load_json_file(template_path)
    except OfferRenderError:
        return files
    if isinstance(data, dict) and isinstance(data.get("image_template"), dict):
        data = data["image_template"]
    if not isinstance(data, dict):
        return files
    base = template_path.resolve().parent
    bg = data.get("background_url")
    if isinstance(bg, str) and (path := local_path(bg, base)):
        files.add(path)
    rects = data.get("rectangles")
    for rect in rects if isinstance(rects, list) else ():
        url = rect.get("font_url") if isinstance(rect, Mapping) else None
        if isinstance(url, str) and (sheet := local_path(url, base)):
            files.add(sheet)
            files |= stylesheet_files(sheet)
    return files


def stylesheet_files(sheet: Path) -> set[Path]:
    """Return the local files a local stylesheet's ``url(...)`` references point to."""
    try:
        with sheet.open("rb") as fh:
            text = fh.read(_MAX_CSS_BYTES).decode("utf-8", "replace")
    except OSError:
        return set()
    found = set()
    for m in _CSS_URL.finditer(text):
        path = local_path(m.group(2), sheet.parent)
        if path is not None:
            found.add(path)
    return found


def face_files(trees: Iterable[LayoutTree]) -> frozenset[Path]:
    """Return the local font files the trees' glyph runs were drawn with, bundled ones left out."""
    bundled = BUNDLED_FONTS_DIR.resolve()
    found: set[Path] = set()
    for tree in trees:
        for rect in tree.rects:
            for face in rect.faces:
                path = local_path(face.source, Path.cwd())
                if path is not None and not path.resolve().is_relative_to(bundled):
                    found.add(path)
    return frozenset(found)
