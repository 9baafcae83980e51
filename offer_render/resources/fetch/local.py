"""Read local files: take a ``file://`` URL or a path, return a Fetched or raise.

Whether local files may be read at all is the policy fetcher's decision
(:class:`~offer_render.resources.fetch.policy.PolicyFetcher`); this reads them,
relative paths against ``NetworkPolicy.base_dir`` (else the working folder), and
keeps what it read so an unchanged file is neither read nor hashed again.
"""

from __future__ import annotations

import mimetypes
import stat
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from offer_render.cache import BoundedCache
from offer_render.config import CacheLimits
from offer_render.errors import ResourceError
from offer_render.gil import outside_turn
from offer_render.resources.fetch.model import Fetched, too_large

LOCAL_FILE_MEMO_BYTES = CacheLimits().local_file_bytes
"""Local files kept after reading, by (path, mtime, size), so an unchanged file is
neither read nor hashed again. Default: ``CacheLimits.local_file_bytes`` (32 MiB)."""


class LocalFileFetcher:
    """Read regular files, relative ones under ``base_dir``; thread-safe."""

    def __init__(self, base_dir: Path | None, memo_bytes: int = LOCAL_FILE_MEMO_BYTES) -> None:
        self.base_dir = base_dir
        self._memo: BoundedCache[Fetched] = BoundedCache(memo_bytes, lambda f: 256 + len(f.data))

    def fetch(self, url: str, *, max_bytes: int, what: str) -> Fetched:
        """Return the bytes of the file ``url`` names (at most ``max_bytes``) or raise."""
        try:
            parts = urlsplit(url.strip())
        except ValueError as e:
            raise ResourceError(url, f"invalid URL: {e}") from None
        if parts.scheme.lower() == "file":
            if parts.netloc not in ("", "localhost"):
                raise ResourceError(url, "file URLs must not name a remote host", refused=True)
            path = Path(url2pathname(parts.path))
        else:
            path = Path(url.strip())
        if not path.is_absolute():
            path = (self.base_dir or Path.cwd()) / path
        try:
            path = path.resolve()
            st = path.stat()
            if not stat.S_ISREG(st.st_mode):
                raise ResourceError(url, "not a regular file")
            if st.st_size > max_bytes:
                raise ResourceError(url, too_large(what, max_bytes))
            memo_key = (path, st.st_mtime_ns, st.st_size)
            known = self._memo.get(memo_key)
            if known is not None:
                return known  # unchanged since the last read: same bytes, digest known
            with outside_turn(), path.open("rb") as f:  # see offer_render.gil
                data = f.read(max_bytes + 1)
        except FileNotFoundError:
            raise ResourceError(url, "no such file") from None
        except OSError as e:
            raise ResourceError(url, f"cannot read file: {e.strerror or e}") from None
        if len(data) > max_bytes:  # the file grew after stat
            raise ResourceError(url, too_large(what, max_bytes))
        content_type, _ = mimetypes.guess_type(path.name)
        fetched = Fetched(url=path.as_uri(), data=data, content_type=content_type)
        if len(data) == st.st_size:
            self._memo.put(memo_key, fetched)
        return fetched
