"""Define the exceptions the engine raises, each with the CLI exit code it maps to."""

from __future__ import annotations

from collections.abc import Sequence


class OfferRenderError(Exception):
    """Base of every error the engine raises on purpose.

    ``exit_code`` is what the CLI exits with: 1 for a resource that could not be
    had or a render that failed, 2 for invalid input or usage.
    """

    exit_code = 1


class InvalidInputError(OfferRenderError):
    """Report input that breaks a rule, with the path of every offending field.

    ``problems`` holds ``(path, message)`` pairs such as
    ``("rectangles[0].font_size", "must be greater than 0")``.
    """

    exit_code = 2

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems: tuple[tuple[str, str], ...] = tuple(problems)
        parts = (f"{path}: {msg}" if path else msg for path, msg in self.problems)
        super().__init__("; ".join(parts))


class ResourceError(OfferRenderError):
    """Report a resource (stylesheet, font, background) that could not be had or decoded.

    ``transient`` marks failures that say nothing about the resource itself (a
    timeout, a refused or dropped connection, an HTTP 5xx): a stored copy may stand in.
    """

    exit_code = 1

    def __init__(
        self, url: str, reason: str, *, field: str | None = None, transient: bool = False
    ) -> None:
        self.url = url
        self.reason = reason
        self.field = field
        self.transient = transient
        where = f"{field}: " if field else ""
        super().__init__(f"{where}{url}: {reason}")


class RenderError(OfferRenderError):
    """Report a failure while drawing or encoding an image."""

    exit_code = 1
