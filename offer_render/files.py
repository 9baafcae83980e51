"""Write files atomically: take a path and bytes; leave the old file or the whole new one."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from pathlib import Path

from offer_render.errors import WriteError

log = logging.getLogger(__name__)

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def temp_name(path: Path) -> Path:
    """Return a fresh temp file name beside ``path``: ``.<name>.<16 hex digits>.tmp``.

    Hidden (a leading dot) so a site serving the folder does not list it, and shaped
    so the batch can recognise and delete what a killed run left
    (``offer_render.batch.runner.remove_temp_files``).
    """
    return path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    A crash or Ctrl-C leaves either the previous file or nothing, never half a file;
    a failed write (a full disk) removes its temp file and raises
    :class:`~offer_render.errors.WriteError` naming ``path``. The temp file is made
    with ``O_CREAT | O_EXCL`` and mode 0o666, so the kernel applies the process's
    umask (as ``open()`` does for any new file) and the umask is never read or set:
    ``os.umask`` changes process-wide state, which races with other threads.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_name(path)
        fd = os.open(tmp, _FLAGS, 0o666)
    except OSError as exc:
        raise WriteError(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise WriteError(path, exc) from None
        raise
    log.debug("wrote %s (%d bytes)", path, len(data))
