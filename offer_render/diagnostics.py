"""Collect warnings from every pipeline stage and turn them into errors in strict mode."""

from __future__ import annotations

from dataclasses import dataclass, field

from offer_render.errors import InvalidInputError, OfferRenderError, ResourceError

# Warning codes that strict mode turns into errors, with the error class they become.
# Character fallbacks and clipping are ordinary outcomes and stay warnings.
STRICT_CODES: dict[str, type[OfferRenderError]] = {
    "unknown_key": InvalidInputError,
    "unknown_placeholder": InvalidInputError,
    "font_unavailable": ResourceError,
    "family_not_in_stylesheet": ResourceError,
    "family_not_found": ResourceError,
}


@dataclass(frozen=True)
class RenderWarning:
    """One warning: a stable ``code``, a sentence for people, and the field it is about."""

    code: str
    message: str
    path: str = ""
    rect: int | None = None
    """Index of the rectangle (template list order) the warning belongs to, if any."""
    characters: str = ""
    """The characters a ``missing_glyphs`` warning is about, each once; else empty."""

    def to_json(self) -> dict[str, str]:
        """Return the warning as the report's JSON object."""
        out = {"code": self.code, "message": self.message}
        if self.path:
            out["path"] = self.path
        if self.characters:
            out["characters"] = self.characters
        return out

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass
class Diagnostics:
    """Gather warnings; in strict mode, raise on the first one strict mode forbids.

    One instance lives for one render. Default: lenient (``strict=False``).
    """

    strict: bool = False
    warnings: list[RenderWarning] = field(default_factory=list)

    def warn(
        self, code: str, message: str, path: str = "", *, rect: int | None = None,
        characters: str = "", cause: ResourceError | None = None,
    ) -> RenderWarning:
        """Record a warning and return it; raise instead if strict mode forbids it.

        ``cause`` is the fetch failure behind the warning, if one is: strict mode's
        error then names its URL and keeps whether the network policy refused it (the
        service answers a refused URL 422, as it does a refused background) or the
        failure was transient.
        """
        w = RenderWarning(code, message, path, rect, characters)
        if self.strict and code in STRICT_CODES:
            cls = STRICT_CODES[code]
            if cls is ResourceError and cause is not None:
                raise ResourceError(cause.url, f"{cause.reason} (strict mode)", field=path,
                                    transient=cause.transient, refused=cause.refused)
            if cls is ResourceError:
                raise ResourceError(path or "-", f"{message} (strict mode)")
            raise InvalidInputError([(path, f"{message} (strict mode)")])
        self.warnings.append(w)
        return w
