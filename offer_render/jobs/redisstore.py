"""Keep job rows in Redis, for a queue shared by many machines: the same store as SQLite's.

Keys, under ``offer-render:<queue>:``: ``job:<id>``, a hash of the row's ``status``,
``clock`` and ``data`` (JSON); ``status:<status>``, a sorted set of ids scored by their
clock (so the sweeper finds expired leases and the oldest waiting job without a scan);
``counters``, a hash. A change is optimistic: WATCH the row, read it, then
MULTI/EXEC the new row and its move between sorted sets, again if another client
changed the row in between (Redis transactions, https://redis.io/docs/latest/develop/
interact/transactions/), so each change is atomic as in SQLite.
"""

from __future__ import annotations

from typing import Any

from offer_render.jobs.records import STATUSES, JobRow
from offer_render.jobs.store import Change


class RedisJobStore:
    """Job rows in Redis through the queue's own client (redis-py, thread-safe pool)."""

    def __init__(self, conn: Any, queue_name: str) -> None:
        self.conn = conn
        self.prefix = f"offer-render:{queue_name}:"

    def _key(self, job_id: str) -> str:
        return f"{self.prefix}job:{job_id}"

    def _index(self, status: str) -> str:
        return f"{self.prefix}status:{status}"

    def get(self, job_id: str) -> JobRow | None:
        """Return the row of ``job_id``, or None."""
        data = self.conn.hget(self._key(job_id), "data")
        return JobRow.loads(data) if data is not None else None

    def add(self, row: JobRow) -> bool:
        """Store ``row`` unless its id is taken; return whether it was stored."""
        from redis.exceptions import WatchError

        key = self._key(row.id)
        with self.conn.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    if pipe.exists(key):
                        return False
                    pipe.multi()
                    self._write(pipe, row, None)
                    pipe.execute()
                    return True
                except WatchError:
                    continue

    def update(self, job_id: str, change: Change) -> JobRow | None:
        """Apply ``change`` atomically (WATCH, MULTI, EXEC; see the module)."""
        from redis.exceptions import WatchError

        key = self._key(job_id)
        with self.conn.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    data = pipe.hget(key, "data")
                    if data is None:
                        return None
                    old = JobRow.loads(data)
                    new = change(old)
                    if new is None:
                        pipe.unwatch()
                        return None
                    pipe.multi()
                    self._write(pipe, new, old.status)
                    pipe.execute()
                    return new
                except WatchError:
                    continue

    def _write(self, pipe: Any, row: JobRow, old_status: str | None) -> None:
        pipe.hset(self._key(row.id), mapping={"status": row.status, "clock": row.clock,
                                              "data": row.dumps()})
        if old_status is not None and old_status != row.status:
            pipe.zrem(self._index(old_status), row.id)
        pipe.zadd(self._index(row.status), {row.id: row.clock})

    def ids(self, status: str, *, before: float, limit: int) -> list[str]:
        """Return ids of ``status`` with a clock before ``before``, earliest first."""
        found = self.conn.zrangebyscore(self._index(status), "-inf", f"({before!r}",
                                        start=0, num=limit)
        return [v.decode() if isinstance(v, bytes) else str(v) for v in found]

    def counts(self) -> dict[str, int]:
        """Return how many jobs are in each status."""
        with self.conn.pipeline(transaction=False) as pipe:
            for status in STATUSES:
                pipe.zcard(self._index(status))
            return dict(zip(STATUSES, (int(n) for n in pipe.execute()), strict=True))

    def earliest(self, status: str) -> float | None:
        """Return the earliest clock of ``status``."""
        first = self.conn.zrange(self._index(status), 0, 0, withscores=True)
        return float(first[0][1]) if first else None

    def incr(self, name: str, by: int = 1) -> None:
        """Add ``by`` to counter ``name``."""
        self.conn.hincrby(f"{self.prefix}counters", name, by)

    def counters(self) -> dict[str, int]:
        """Return every counter."""
        raw = self.conn.hgetall(f"{self.prefix}counters")
        return {(k.decode() if isinstance(k, bytes) else str(k)): int(v) for k, v in raw.items()}

    def check(self) -> str | None:
        """Return why Redis cannot be reached, or None."""
        try:
            self.conn.ping()
        except Exception as exc:  # redis-py's ConnectionError, TimeoutError, ...
            return " ".join(str(exc).split()) or type(exc).__name__
        return None

    def close(self) -> None:
        """Let go of the pool's connections."""
        self.conn.close()
