"""Take preview options; render the contact sheet, write it, and return a watch round.

One :class:`PreviewJob` is what ``offer-render preview`` runs once, or again on
every change under ``--watch``. Each run reads the files afresh and uses a new
:class:`~offer_render.api.Renderer` after forgetting the process's font cache,
so an edited stylesheet or font file is read again.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from offer_render.api import Renderer
from offer_render.config import RendererConfig
from offer_render.errors import RenderError
from offer_render.files import write_atomic
from offer_render.preview.samples import JsonReader, choose_locales, load_inputs
from offer_render.preview.sheet import Sheet, build_sheet
from offer_render.preview.watch import Round, face_files
from offer_render.resources.webfonts import DEFAULT_CACHE
from offer_render.template.validate import load_json_file


@dataclass(frozen=True)
class PreviewJob:
    """Everything one preview needs: input files, locales, drawing options, output and config."""

    template_path: Path
    offer_paths: tuple[Path, ...]
    output: Path
    config: RendererConfig
    locales: tuple[str, ...] | None = None
    """None: every locale of the offers' LocalizedContent, else the default locale."""
    debug: bool = False
    columns: int | None = None
    cell_width: int | None = None
    scale: float = 1.0
    read: JsonReader = load_json_file
    """Reads the template and offer files each run. Default: ``load_json_file``; the
    command line passes one that also serves ``-`` (standard input, read once)."""

    def sheet(self) -> Sheet:
        """Render and return the contact sheet (nothing written)."""
        inputs = load_inputs(self.template_path, self.offer_paths, read=self.read)
        locales = choose_locales(
            list(self.locales) if self.locales else None, inputs.samples,
            self.config.default_locale,
        )
        forget_font_cache()
        return build_sheet(
            Renderer(self.config), inputs.template, inputs.samples, locales, debug=self.debug,
            columns=self.columns, cell_width=self.cell_width, scale=self.scale,
        )

    def __call__(self) -> Round:
        """Render, write the sheet as PNG, and return the summary, warnings and files read."""
        sheet = self.sheet()
        try:
            buf = _png(sheet)
        except OSError as exc:  # pragma: no cover - Pillow's PNG encoder on an RGB image
            msg = f"could not encode the sheet: {exc}"
            raise RenderError(msg) from None
        write_atomic(self.output, buf)  # a failure raises WriteError naming the file
        warnings = tuple(
            f"{cell.label}: {w}" for cell in sheet.cells for w in cell.warnings
        )
        n = len(sheet.cells)
        summary = (
            f"{self.output} {sheet.image.width}x{sheet.image.height} "
            f"{n} cell{'s' if n != 1 else ''}"
        )
        return Round(summary, warnings, face_files(c.tree for c in sheet.cells))


def _png(sheet: Sheet) -> bytes:
    buf = io.BytesIO()
    sheet.image.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def forget_font_cache() -> None:
    """Clear the process-wide cache of parsed stylesheets and web fonts."""
    DEFAULT_CACHE.clear()
