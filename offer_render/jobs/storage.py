"""Take a storage URL; store job files under it and say where they are (fsspec).

``--storage`` is an fsspec URL: ``file:///srv/offers`` (the default is
``DATA_DIR/files``) or ``s3://bucket/prefix`` through s3fs, which reads the standard
AWS variables (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``
or any other credential source boto knows, ``AWS_REGION``/``AWS_DEFAULT_REGION``).
Other fsspec protocols work as long as one write of a whole object is atomic.

**No reader sees half an object.** On a file system an object is written unnamed
(``O_TMPFILE``) or to a hidden temp file beside it (``.<name>.<hex>.tmp``), synced, and
only then named (:func:`offer_render.files.write_atomic`: ``linkat(2)``, or a rename
over an earlier object, POSIX ``rename(2)``, both atomic); temp files a killed worker
left are removed when storage is opened, once an hour old.
On S3 an object is one PUT (multipart above 100 MB), which S3 makes visible only
whole.

**Never outside the prefix.** Names come from :func:`offer_render.jobs.names.object_name`
(ids percent-encoded); :meth:`Storage.path` refuses any name with a ``/``, a leading
dot or a ``..`` all the same.

Every failure of the store is a :class:`~offer_render.jobs.failures.StorageError`
(transient: the job is retried). boto retries little on its own here
(:data:`S3_OPTIONS`): the job's retries, with backoff, do the waiting.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from offer_render.errors import InvalidInputError
from offer_render.jobs.failures import StorageError
from offer_render.jobs.names import SAFE

TEMP_MAX_AGE = 3600.0
"""Seconds after which a temp file is taken for one a killed writer left. Default: 3600."""

S3_OPTIONS: dict[str, Any] = {
    "config_kwargs": {"retries": {"max_attempts": 2, "mode": "standard"},
                      "connect_timeout": 5, "read_timeout": 30},
    "use_listings_cache": False,
    "skip_instance_cache": True,
}
"""s3fs options: two tries per call in boto and short timeouts (the job retries with backoff),
no listings cache (``size`` must see what another process just wrote), and a file
system of its own (fsspec would share one made earlier in the process, with the AWS
settings of then)."""

_CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp",
                  "avif": "image/avif"}


@dataclass(frozen=True)
class Stored:
    """Where an object went."""

    name: str
    url: str


class Storage:
    """Job files under one fsspec URL; thread-safe (fsspec file systems are)."""

    def __init__(self, url: str, *, public_url_base: str | None = None) -> None:
        """Open ``url``; raise InvalidInputError (on ``storage``) when fsspec cannot."""
        import fsspec
        from fsspec.implementations.local import LocalFileSystem

        scheme = urlsplit(url).scheme.lower()
        options = S3_OPTIONS if scheme in ("s3", "s3a") else {}
        try:
            fs, root = fsspec.core.url_to_fs(url, **options)
        except ImportError as exc:
            raise InvalidInputError([("storage", f"{url}: needs {exc.name or 'a package'} "
                                                 "(pip install 'offer-render[s3]' for s3://)")]
                                    ) from None
        except (ValueError, TypeError) as exc:
            raise InvalidInputError([("storage", f"{url}: {exc}")]) from None
        self.url = url
        self.fs = fs
        self.root = str(root).rstrip("/")
        self.local = isinstance(fs, LocalFileSystem)
        self.public_url_base = public_url_base.rstrip("/") if public_url_base else None
        if self.local:
            self._sweep_temp_files()

    def path(self, name: str) -> str:
        """Return the full path of object ``name``; refuse one that is not a single name."""
        if not name or "/" in name or "\\" in name or name.startswith(".") or "\0" in name:
            msg = f"refused object name {name!r}: not one name under the storage prefix"
            raise StorageError(msg)
        return f"{self.root}/{name}"

    def put(self, name: str, data: bytes) -> Stored:
        """Write ``data`` as object ``name`` atomically; return where it is."""
        path = self.path(name)
        try:
            if self.local:
                from offer_render.files import write_atomic

                write_atomic(Path(path), data)
            else:
                ext = name.rsplit(".", 1)[-1]
                self.fs.pipe_file(path, data, ContentType=_CONTENT_TYPES.get(ext, "application/"
                                                                              "octet-stream"))
        except StorageError:
            raise
        except Exception as exc:  # any store's failure: OSError, botocore, aiohttp...
            msg = f"storage: cannot write {self.describe(name)}: {_reason(exc)}"
            raise StorageError(msg) from None
        return Stored(name, self.url_of(name))

    def size(self, name: str) -> int | None:
        """Return the size of object ``name``, or None when there is none."""
        try:
            info = self.fs.info(self.path(name))
        except FileNotFoundError:
            return None
        except Exception as exc:  # the store could not say
            msg = f"storage: cannot read {self.describe(name)}: {_reason(exc)}"
            raise StorageError(msg) from None
        size = info.get("size")
        return int(size) if size is not None else None

    def url_of(self, name: str) -> str:
        """Return the URL a file record gives: ``--public-url-base`` + name, else the
        object's storage URL (the name percent-encoded once more, RFC 3986: a ``%`` of
        the name is ``%25`` in a URL)."""
        if self.public_url_base:
            return f"{self.public_url_base}/{quote(name, safe=SAFE)}"
        protocol = self.fs.protocol if isinstance(self.fs.protocol, str) else self.fs.protocol[0]
        root = self.root if self.root.startswith("/") or not self.local else "/" + self.root
        return f"{protocol}://{quote(root, safe='/' + SAFE)}/{quote(name, safe=SAFE)}"

    def describe(self, name: str) -> str:
        """Return the object's storage URL, for messages."""
        return f"{self.url.rstrip('/')}/{name}"

    def check(self) -> str | None:
        """Return why storage cannot be used now, or None when it can (for /readyz)."""
        try:
            if self.local:
                Path(self.root).mkdir(parents=True, exist_ok=True)
            else:
                bucket = self.root.split("/", 1)[0]
                if not self.fs.exists(bucket):
                    return f"{self.url}: no bucket {bucket}"
        except Exception as exc:  # any store's failure
            return f"{self.url}: {_reason(exc)}"
        return None

    def _sweep_temp_files(self) -> None:
        """Remove temp files a writer killed mid-write left, once they are an hour old."""
        folder = Path(self.root)
        if not folder.is_dir():
            return
        old = time.time() - TEMP_MAX_AGE
        for tmp in folder.glob(".offer-*.tmp"):
            try:
                if tmp.stat().st_mtime < old:
                    tmp.unlink()
            except OSError:
                pass


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = " ".join(str(exc).split())
    return (text or type(exc).__name__)[:300]
