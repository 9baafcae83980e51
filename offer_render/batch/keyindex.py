"""Take text keys with small values; keep them in a private temporary SQLite database.

A batch keeps two things per offer for as long as it runs: the line each offer id was
first seen on (to refuse duplicates) and, on a re-run, the record the last run left for
each item. In Python dicts those cost about 100 and 900 bytes per item: 1 GB for a
re-run of a million offers. :class:`KeyIndex` keeps them in SQLite's private temporary
database (opened with an empty file name: "a private, temporary on-disk database ...
automatically deleted as soon as the database connection is closed", SQLite's
``sqlite3_open`` documentation), whose pages stay in a page cache of fixed size and
spill to a temporary file beyond it, so the memory stays flat however many offers
there are. An operation costs a few microseconds, against milliseconds per render.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

Value = int | bytes
V = TypeVar("V", int, bytes)

PAGE_CACHE_KIB = 2048
"""SQLite's page cache per index, in KiB: all the memory an index takes. Default: 2 MiB."""

_BATCH_ROWS = 10_000


class KeyIndex:
    """A map from text to ``int`` or ``bytes``, on disk: the first insertion order is
    kept, a later :meth:`put_many` replaces the value. Safe to use from several threads."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("", check_same_thread=False, isolation_level=None)
        # Nothing to recover after a crash: the database dies with the connection.
        for pragma in ("journal_mode=OFF", "synchronous=OFF",
                       f"cache_size=-{PAGE_CACHE_KIB}", "temp_store=FILE"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v NOT NULL, seq INTEGER)"
                         " WITHOUT ROWID")
        self._lock = threading.Lock()
        self._count = 0
        self._seq = 0

    def setdefault(self, key: str, value: V) -> V:
        """Return the value stored for ``key``, storing ``value`` first if there is none."""
        with self._lock:
            row = self._db.execute("SELECT v FROM kv WHERE k = ?", (key,)).fetchone()
            if row is not None:
                found: V = row[0]
                return found
            self._insert(key, value)
            return value

    def put_many(self, pairs: Iterable[tuple[str, Value]]) -> None:
        """Store every (key, value) of ``pairs`` in order, the last value of a key winning."""
        chunk: list[tuple[str, Value]] = []
        for pair in pairs:
            chunk.append(pair)
            if len(chunk) >= _BATCH_ROWS:
                self._put_chunk(chunk)
                chunk = []
        self._put_chunk(chunk)

    def _put_chunk(self, chunk: list[tuple[str, Value]]) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            try:
                for key, value in chunk:
                    if self._db.execute("UPDATE kv SET v = ? WHERE k = ?",
                                        (value, key)).rowcount == 0:
                        self._insert(key, value)
            finally:
                self._db.execute("COMMIT")

    def _insert(self, key: str, value: Value) -> None:
        self._db.execute("INSERT INTO kv VALUES (?, ?, ?)", (key, value, self._seq))
        self._seq += 1
        self._count += 1

    def get(self, key: str) -> Value | None:
        """Return the value stored for ``key``, or None."""
        with self._lock:
            row = self._db.execute("SELECT v FROM kv WHERE k = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def values(self) -> Iterator[Value]:
        """Yield every value, in the order their keys were first stored.

        SQLite sorts in its temporary storage, so memory stays bounded here too.
        """
        with self._lock:
            cursor = self._db.execute("SELECT v FROM kv ORDER BY seq")
        while True:
            with self._lock:
                rows = cursor.fetchmany(_BATCH_ROWS)
            if not rows:
                return
            for (value,) in rows:
                yield value

    def __len__(self) -> int:
        return self._count

    def close(self) -> None:
        """Drop the index (its temporary file goes with it)."""
        with self._lock:
            self._db.close()
