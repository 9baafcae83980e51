"""Take the command line's -v/-q; set up stdlib logging to stderr as ``offer-render: level: ...``.

The library only creates loggers (``logging.getLogger(__name__)`` under
``offer_render``) and never adds handlers; the command line decides what reaches
the terminal:

- ``offer_render`` loggers: WARNING by default, INFO with ``-v``, DEBUG with
  ``-vv``, ERROR with ``-q``.
- ``fontTools``: ERROR unless ``-v`` (then WARNING). It warns about harmless quirks
  of real fonts ("'created' timestamp seems very low") that say nothing to a
  designer, and would otherwise reach stderr through logging's last-resort handler.

``-q`` also means: no progress (batch) and no render warnings on stderr; results
(stdout) and errors still print.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

LIBRARY_LOGGER = "offer_render"
QUIET_KEY = "offer_render.quiet"
"""Key of ``click.Context.meta`` (shared by the group and its subcommands) set by ``-q``."""

_NOISY = {"fontTools": (logging.ERROR, logging.WARNING)}
"""Third-party loggers: (level by default and with -q, level with -v or more)."""


class _Formatter(logging.Formatter):
    """Format a record as ``offer-render: warning: message`` (the level in lower case, as the
    CLI's own ``offer-render: error: ...`` lines)."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return f"offer-render: {record.levelname.lower()}: {text}"


class _CliHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Write to the ``sys.stderr`` of the moment (tests swap it), one line per record."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setFormatter(_Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.setStream(sys.stderr)
        super().emit(record)


def level_for(verbose: int, quiet: bool) -> int:
    """Return the level of the ``offer_render`` loggers for ``-v`` given ``verbose`` times."""
    if quiet:
        return logging.ERROR
    return {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)


def configure(verbose: int, quiet: bool) -> None:
    """Send the engine's log records (and fontTools' errors) to stderr at the chosen level.

    Calling it again (``main()`` run twice in one process) replaces the handler it
    added before rather than adding a second one.
    """
    handler = _CliHandler()
    levels = {LIBRARY_LOGGER: level_for(verbose, quiet)}
    for name, (default, loud) in _NOISY.items():
        levels[name] = loud if verbose and not quiet else default
    for name, level in levels.items():
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if isinstance(h, _CliHandler)]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False


@contextmanager
def preserved() -> Iterator[None]:
    """Within the block, let :func:`configure` change the loggers; restore them after."""
    names = [LIBRARY_LOGGER, *_NOISY]
    saved = [(logging.getLogger(n), logging.getLogger(n).level,
              list(logging.getLogger(n).handlers), logging.getLogger(n).propagate)
             for n in names]
    try:
        yield
    finally:
        for logger, level, handlers, propagate in saved:
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate = propagate


def is_quiet() -> bool:
    """Return whether ``-q`` was given to the group of the running command."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get(QUIET_KEY))
