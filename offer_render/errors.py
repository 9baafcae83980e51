"""Define the exceptions the engine raises, each with the CLI exit code it maps to."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence


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

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle as the problems (a render process pool sends errors between processes)."""
        return (type(self), (self.problems,))

    def renamed(self, rename: Callable[[str], str]) -> InvalidInputError:
        """Return the same problems with every path passed through ``rename``.

        The library names fields as its callers pass them (``jobs``, ``locales[1]``);
        the command line renames them to its flags (``--jobs``) before printing.
        """
        return InvalidInputError([(rename(path), msg) for path, msg in self.problems])


class ResourceError(OfferRenderError):
    """Report a resource (stylesheet, font, background) that could not be had or decoded.

    ``transient`` marks failures that say nothing about the resource itself (a
    timeout, a refused or dropped connection, an HTTP 5xx): a stored copy may stand in.
    ``refused`` marks a URL the network policy does not let the engine fetch at all: a
    scheme other than http and https, a local file when local files are not allowed, a
    ``file://`` URL naming a host, a redirect to another scheme, or an address that is
    loopback, private, link-local or cloud metadata (README, "Bad and hostile input").
    Nothing was fetched, so the fault lies with whoever chose the URL, not with the host:
    the render service answers it 422 rather than 502. Both default to False.
    """

    exit_code = 1

    def __init__(
        self, url: str, reason: str, *, field: str | None = None, transient: bool = False,
        refused: bool = False,
    ) -> None:
        self.url = url
        self.reason = reason
        self.field = field
        self.transient = transient
        self.refused = refused
        where = f"{field}: " if field else ""
        super().__init__(f"{where}{url}: {reason}")

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle with every field (a render process pool sends errors between processes)."""
        return (_rebuild_resource_error, (type(self), self.url, self.reason, self.field,
                                          self.transient, self.refused))


class RenderError(OfferRenderError):
    """Report a failure while drawing or encoding an image."""

    exit_code = 1


class WriteError(OfferRenderError, OSError):
    """Report a file that could not be written: ``cannot write PATH: No space left on device``.

    Also an OSError carrying the original ``errno``, ``strerror`` and the path as
    ``filename``, so code that treats a failed write as an OSError (the download
    cache, which skips a write it cannot make) keeps working. Exit code 1: the
    input was fine, the machine could not take the output.
    """

    exit_code = 1

    def __init__(self, path: str | os.PathLike[str], error: OSError) -> None:
        reason = error.strerror or str(error) or type(error).__name__
        OSError.__init__(self, error.errno, reason, os.fspath(path))

    def __str__(self) -> str:
        return f"cannot write {self.filename}: {self.strerror}"

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle as the constructor's arguments (OSError's own reduce passes errno first)."""
        return (_rebuild_write_error, (self.filename, self.errno, self.strerror))


def _rebuild_resource_error(
    cls: type[ResourceError], url: str, reason: str, field: str | None, transient: bool,
    refused: bool,
) -> ResourceError:
    return cls(url, reason, field=field, transient=transient, refused=refused)


def _rebuild_write_error(path: str, errno: int | None, strerror: str) -> WriteError:
    return WriteError(path, OSError(errno, strerror))
