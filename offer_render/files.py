"""Write files atomically: take a path and bytes; leave the old file or the whole new one.

:func:`sync_filesystem` makes many files written without a flush of their own durable
at once (the batch writes its images that way and flushes them per group).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import cast

from offer_render.errors import WriteError

log = logging.getLogger(__name__)

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_TMPFILE = getattr(os, "O_TMPFILE", 0)
_UNNAMED_FLAGS = _TMPFILE | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)
_FOLDER_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_UNNAMED = bool(_TMPFILE) and os.path.isdir("/proc/self/fd")
"""Whether to try unnamed files (``O_TMPFILE``, Linux 3.11): they are named through
``/proc/self/fd``."""
_NO_UNNAMED = {errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL}
"""What ``open(2)`` answers where the filesystem (EOPNOTSUPP) or the kernel (EISDIR,
EINVAL: ``O_TMPFILE`` unknown) cannot make unnamed files."""


def temp_name(path: Path) -> Path:
    """Return a fresh temp file name beside ``path``: ``.<name>.<16 hex digits>.tmp``.

    Hidden (a leading dot) so a site serving the folder does not list it, and shaped
    so the batch can recognise and delete what a killed run left
    (``offer_render.batch.runner.remove_temp_files``).
    """
    return path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` so that the name holds the old file or the whole new one.

    Where Linux and the filesystem allow (ext4, XFS, Btrfs, tmpfs), the data goes to an
    unnamed file in the folder (``open(2)`` with ``O_TMPFILE``), which is given its name
    once whole (``linkat(2)`` of ``/proc/self/fd/N``, as ``open(2)`` describes): one
    change to the folder per file, made after the file's inode is allocated, and a
    crash leaves nothing behind, since an unnamed file disappears with its process.
    Where a file of that name exists, the unnamed file is linked to a temp name and
    renamed over it. Elsewhere the data goes to a temp file in the same folder, renamed
    over ``path`` (``rename(2)`` is atomic). Both cost two changes to the folder,
    each under its lock: with two processes writing into one folder, the second waits
    for (or spins on) the first's, and on ext4 without a journal creating a file can
    hold that lock for a millisecond (see the README's batch section).

    With ``durable`` (the default) the data is on disk before the name is, so a power
    failure cannot leave the new name on unwritten blocks. ``durable=False`` leaves
    that to a later :func:`sync_filesystem` covering many files at once (the batch's
    group commit); until then a machine crash may leave the file empty or short under
    its new name. A failed write (a full disk) leaves no file behind and raises
    :class:`~offer_render.errors.WriteError` naming ``path``. Files are made with mode
    0o666, so the kernel applies the process's umask (as ``open()`` does for any new
    file) and the umask is never read or set: ``os.umask`` changes process-wide state,
    which races with other threads.
    """
    if not (_UNNAMED and _write_unnamed(path, data, durable=durable)):
        _write_renamed(path, data, durable=durable)
    log.debug("wrote %s (%d bytes)", path, len(data))


def _write_unnamed(path: Path, data: bytes, *, durable: bool) -> bool:
    """Write ``data`` to an unnamed file in ``path``'s folder and link it as ``path``;
    return False, having written nothing, where the kernel or filesystem cannot make
    unnamed files."""
    try:
        folder = _open_in_folder(path.parent, path.parent, _FOLDER_FLAGS)
    except OSError as exc:
        raise WriteError(path, exc) from None
    try:
        try:
            fd = os.open(".", _UNNAMED_FLAGS, 0o666, dir_fd=folder)
        except OSError as exc:
            if exc.errno in _NO_UNNAMED:
                return False
            raise
        try:
            _write_all(fd, data, durable=durable)
            _link(fd, folder, path.name)
        finally:
            os.close(fd)
    except OSError as exc:
        raise WriteError(path, exc) from None
    finally:
        os.close(folder)
    return True


def _link(fd: int, folder: int, name: str) -> None:
    """Give the unnamed file ``fd`` the ``name`` in ``folder``, replacing a file of that
    name. ``linkat(2)`` with ``AT_SYMLINK_FOLLOW`` of ``/proc/self/fd/N``, which Python
    calls only when given a folder's descriptor (without one it calls ``link(2)``, which
    does not follow the link and fails with EXDEV)."""
    source = f"/proc/self/fd/{fd}"
    try:
        os.link(source, name, dst_dir_fd=folder, follow_symlinks=True)
    except FileExistsError:  # a link cannot replace a file; a rename does, atomically
        tmp = temp_name(Path(name)).name
        os.link(source, tmp, dst_dir_fd=folder, follow_symlinks=True)
        try:
            os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=folder)
            raise


def _write_renamed(path: Path, data: bytes, *, durable: bool) -> None:
    """Write ``data`` to a temp file beside ``path`` and rename it over ``path``."""
    tmp = temp_name(path)
    try:
        fd = _open_in_folder(tmp, path.parent, _FLAGS)
    except OSError as exc:
        raise WriteError(path, exc) from None
    try:
        try:
            _write_all(fd, data, durable=durable)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise WriteError(path, exc) from None
        raise


def _open_in_folder(target: Path, folder: Path, flags: int) -> int:
    """Open ``target`` (a file in ``folder``, or ``folder`` itself for an unnamed file)
    with mode 0o666, making ``folder`` when it does not exist; return the descriptor."""
    try:
        return os.open(target, flags, 0o666)
    except FileNotFoundError:  # the folder is new: make it (a batch writes thousands of
        folder.mkdir(parents=True, exist_ok=True)  # files in each, so not first)
        return os.open(target, flags, 0o666)


def _write_all(fd: int, data: bytes, *, durable: bool) -> None:
    """Write all of ``data`` to ``fd`` (and flush it to disk when ``durable``)."""
    view = memoryview(data)
    while view:  # os.write may write less than asked (a signal, a full pipe)
        view = view[os.write(fd, view):]
    if durable:
        os.fsync(fd)


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
