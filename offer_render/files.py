"""Write files atomically: take a path and bytes; leave the old file or the whole new one.

:func:`sync_filesystem` makes many files written without a flush of their own durable
at once (the batch writes its images that way and flushes them per group).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import cast

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


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    A crash or Ctrl-C leaves either the previous file or nothing, never half a file;
    with ``durable`` (the default) the data is on disk before the rename, so a power
    failure cannot leave the new name on unwritten blocks. ``durable=False`` leaves
    that to a later :func:`sync_filesystem` covering many files at once (the batch's
    group commit); until then a machine crash may leave the file empty or short under
    its new name. A failed write (a full disk) removes its temp file and raises
    :class:`~offer_render.errors.WriteError` naming ``path``. The temp file is made
    with ``O_CREAT | O_EXCL`` and mode 0o666, so the kernel applies the process's
    umask (as ``open()`` does for any new file) and the umask is never read or set:
    ``os.umask`` changes process-wide state, which races with other threads.
    """
    tmp = temp_name(path)
    try:
        try:
            fd = os.open(tmp, _FLAGS, 0o666)
        except FileNotFoundError:  # the folder is new: make it (a batch writes thousands of
            path.parent.mkdir(parents=True, exist_ok=True)  # files in each, so not first)
            fd = os.open(tmp, _FLAGS, 0o666)
    except OSError as exc:
        raise WriteError(path, exc) from None
    try:
        try:
            view = memoryview(data)
            while view:  # os.write may write less than asked (a signal, a full pipe)
                view = view[os.write(fd, view):]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise WriteError(path, exc) from None
        raise
    log.debug("wrote %s (%d bytes)", path, len(data))


def sync_filesystem(path: Path) -> None:
    """Flush every file written to the filesystem holding ``path`` to disk, in one call.

    Linux's ``syncfs(2)`` on the folder: one flush for all the files a batch group
    wrote (its workers' included), where an ``fsync`` per file costs a journal commit
    each. Elsewhere ``os.sync()``, which flushes every filesystem. Raises
    :class:`~offer_render.errors.WriteError` naming ``path`` when the flush fails (a
    full or broken disk).
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        raise WriteError(path, exc) from None
    try:
        if _syncfs is not None:
            if _syncfs(fd) != 0:
                err = ctypes.get_errno()
                raise WriteError(path, OSError(err, os.strerror(err)))
        else:  # pragma: no cover - not Linux
            os.sync()
    finally:
        os.close(fd)


def _load_syncfs() -> Callable[[int], int] | None:
    """Return libc's ``syncfs`` (Linux), or None where there is none."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        func = libc.syncfs
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return None
    func.argtypes = [ctypes.c_int]
    func.restype = ctypes.c_int
    return cast(Callable[[int], int], func)


_syncfs = _load_syncfs()
