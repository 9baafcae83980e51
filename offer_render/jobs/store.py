"""Keep job rows durably where every process on the queue sees them: the SQLite store.

:class:`JobStore` is what the runner, the sweeper, the routes and the metrics ask of a
store; :class:`SqliteJobStore` keeps rows in the embedded queue's database file (one
file to back up, WAL mode, safe across processes and threads), and
:class:`~offer_render.jobs.redisstore.RedisJobStore` in Redis. Every change is a
read-modify-write in one transaction (:meth:`JobStore.update`), so two workers never
both claim a job and a lease renewal never undoes a finish. Counters (retries,
webhook deliveries, jobs ended) live beside the rows, for metrics any process can read.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from offer_render.jobs.records import STATUSES, JobRow

Change = Callable[[JobRow], JobRow | None]
"""Given the stored row, return the row to store, or None to leave it."""


class JobStore(Protocol):
    """Durable job rows and counters (see the module)."""

    def get(self, job_id: str) -> JobRow | None:
        """Return the row of ``job_id``, or None."""

    def add(self, row: JobRow) -> bool:
        """Store ``row`` unless its id is taken; return whether it was stored."""

    def update(self, job_id: str, change: Change) -> JobRow | None:
        """Apply ``change`` to the row atomically; return the new row, or None when there
        is no row or ``change`` left it."""

    def ids(self, status: str, *, before: float, limit: int) -> list[str]:
        """Return up to ``limit`` ids of ``status`` whose clock is before ``before``,
        earliest first."""

    def counts(self) -> dict[str, int]:
        """Return how many jobs are in each status."""

    def earliest(self, status: str) -> float | None:
        """Return the earliest clock among jobs of ``status``, or None."""

    def incr(self, name: str, by: int = 1) -> None:
        """Add ``by`` to counter ``name``."""

    def counters(self) -> dict[str, int]:
        """Return every counter."""

    def check(self) -> str | None:
        """Return why the store cannot be used now, or None."""

    def close(self) -> None:
        """Let go of connections."""


_SCHEMA = (
    "create table if not exists offer_render_jobs (id text primary key, status text not "
    "null, clock real not null, data text not null)",
    "create index if not exists offer_render_jobs_status on offer_render_jobs (status, clock)",
    "create table if not exists offer_render_counters (name text primary key, value integer "
    "not null)",
)


class SqliteJobStore:
    """Job rows in an SQLite file (the embedded queue's own), one connection per thread."""

    def __init__(self, path: Path, *, timeout: float = 30.0) -> None:
        self.path = path
        self.timeout = timeout
        """Seconds a write waits for another process's transaction (SQLite's busy timeout).
        Default: 30."""
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        with self._conn() as conn:
            for sql in _SCHEMA:
                conn.execute(sql)

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("pragma journal_mode=wal")  # readers never wait on the writer
            conn.execute("pragma synchronous=normal")  # as the queue's (see .queue)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def get(self, job_id: str) -> JobRow | None:
        """Return the row of ``job_id``, or None."""
        found = self._conn().execute("select data from offer_render_jobs where id = ?",
                                     (job_id,)).fetchone()
        return JobRow.loads(found[0]) if found else None

    def add(self, row: JobRow) -> bool:
        """Store ``row`` unless its id is taken; return whether it was stored."""
        cur = self._conn().execute(
            "insert or ignore into offer_render_jobs (id, status, clock, data) values "
            "(?, ?, ?, ?)", (row.id, row.status, row.clock, row.dumps()))
        return cur.rowcount == 1

    def update(self, job_id: str, change: Change) -> JobRow | None:
        """Apply ``change`` in one immediate transaction (see :class:`JobStore`)."""
        conn = self._conn()
        conn.execute("begin immediate")
        try:
            found = conn.execute("select data from offer_render_jobs where id = ?",
                                 (job_id,)).fetchone()
            new = change(JobRow.loads(found[0])) if found else None
            if new is not None:
                conn.execute("update offer_render_jobs set status = ?, clock = ?, data = ? "
                             "where id = ?", (new.status, new.clock, new.dumps(), job_id))
        except BaseException:
            conn.execute("rollback")
            raise
        conn.execute("commit")
        return new

    def ids(self, status: str, *, before: float, limit: int) -> list[str]:
        """Return ids of ``status`` with a clock before ``before``, earliest first."""
        rows = self._conn().execute(
            "select id from offer_render_jobs where status = ? and clock < ? order by clock "
            "limit ?", (status, before, limit)).fetchall()
        return [r[0] for r in rows]

    def counts(self) -> dict[str, int]:
        """Return how many jobs are in each status."""
        rows = self._conn().execute(
            "select status, count(*) from offer_render_jobs group by status").fetchall()
        return {status: 0 for status in STATUSES} | {s: n for s, n in rows}

    def earliest(self, status: str) -> float | None:
        """Return the earliest clock of ``status``."""
        found = self._conn().execute("select min(clock) from offer_render_jobs where "
                                     "status = ?", (status,)).fetchone()
        return float(found[0]) if found and found[0] is not None else None

    def incr(self, name: str, by: int = 1) -> None:
        """Add ``by`` to counter ``name``."""
        self._conn().execute(
            "insert into offer_render_counters (name, value) values (?, ?) on conflict (name) "
            "do update set value = value + excluded.value", (name, by))

    def counters(self) -> dict[str, int]:
        """Return every counter."""
        rows = self._conn().execute("select name, value from offer_render_counters").fetchall()
        return {name: int(value) for name, value in rows}

    def check(self) -> str | None:
        """Return why the database cannot be read, or None."""
        try:
            self._conn().execute("select count(*) from offer_render_jobs").fetchone()
        except sqlite3.Error as exc:
            return f"{self.path}: {exc}"
        return None

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
        self._local = threading.local()
