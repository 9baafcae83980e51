"""The render jobs' parts on their own: names, backoff, signatures, storage, the store, the sweeper.

Real parts throughout: an SQLite queue in a temp folder, local storage, the runner and
the sweeper of :mod:`offer_render.jobs` (their render pool is never reached here).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from offer_render.errors import InvalidInputError, ResourceError
from offer_render.jobs.backoff import retry_delay
from offer_render.jobs.failures import StorageError, is_transient, message
from offer_render.jobs.names import object_name
from offer_render.jobs.queue import JobQueue, masked
from offer_render.jobs.records import QUEUED, RUNNING, JobRow
from offer_render.jobs.runner import JobRunner, RetryPolicy
from offer_render.jobs.storage import Storage
from offer_render.jobs.webhooks import read_secret, sign
from offer_render.jobs.workers import JobWorkers
from offer_render.pool.errors import WorkerDied


def test_object_names_follow_the_platform_and_stay_one_name() -> None:
    assert object_name("1000115", None, "jpeg") == "offer-1000115-offer_default-base.jpg"
    assert object_name("1000115", "pt-BR", "webp") == (
        "offer-1000115-offer_default-base-pt-BR.webp")
    assert object_name("../a b/ż", "en", "png") == (
        "offer-..%2Fa%20b%2F%C5%BC-offer_default-base-en.png")
    with pytest.raises(InvalidInputError, match=r"offer\.id: is 201 characters"):
        object_name("x" * 201, None, "png")


def test_backoff_doubles_up_to_the_cap_with_jitter() -> None:
    rng = random.Random(7)
    delays = [[retry_delay(n, base=1.0, max_delay=10.0, rng=rng) for _ in range(200)]
              for n in (1, 2, 3, 4, 5, 6)]
    for n, seen in enumerate(delays, 1):
        ceiling = min(10.0, 2.0 ** (n - 1))
        assert 0 <= min(seen)
        assert max(seen) <= ceiling
        assert max(seen) > 0.9 * ceiling  # spread over the whole range: jitter
    assert len({round(d, 6) for d in delays[2]}) == 200


def test_failures_are_transient_or_permanent() -> None:
    assert is_transient(ResourceError("http://x/a.jpg", "HTTP 503", transient=True))
    assert not is_transient(ResourceError("http://x/a.jpg", "HTTP 404 Not Found"))
    assert not is_transient(ResourceError("http://10.0.0.1/", "refused", transient=True,
                                          refused=True))
    assert is_transient(StorageError("storage: down"))
    assert is_transient(WorkerDied("killed"))
    assert not is_transient(InvalidInputError([("width", "must be greater than 0")]))
    assert message(InvalidInputError([("width", "must be greater than 0")])) == (
        "width: must be greater than 0")
    assert message(KeyError("x")) == "internal error: KeyError: 'x'"


def test_the_signature_is_the_hmac_sha256_of_the_body(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("  s3cret\n")
    secret = read_secret(secret_file)
    body = b'{"id":"x","status":"done"}'
    assert secret == b"s3cret"
    assert sign(secret, body) == "sha256=" + hmac.new(b"s3cret", body,
                                                      hashlib.sha256).hexdigest()
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(InvalidInputError, match="webhook_secret_file: .*empty: is empty"):
        read_secret(tmp_path / "empty")
    with pytest.raises(InvalidInputError, match="no such file"):
        read_secret(tmp_path / "missing")


def test_storage_writes_whole_objects_and_refuses_other_names(tmp_path: Path) -> None:
    # Arrange
    storage = Storage((tmp_path / "files").as_uri(), public_url_base="https://cdn.example/o/")
    (tmp_path / "files").mkdir()
    old = tmp_path / "files" / ".offer-1-offer_default-base.png.0123456789abcdef.tmp"
    old.write_bytes(b"half")
    young = tmp_path / "files" / ".offer-2-offer_default-base.png.0123456789abcdef.tmp"
    young.write_bytes(b"half")
    past = time.time() - 7200
    os.utime(old, (past, past))
    # Act
    stored = storage.put("offer-a%2Fb-offer_default-base.png", b"\x89PNG whole")
    reopened = Storage((tmp_path / "files").as_uri())
    # Assert
    assert stored.url == "https://cdn.example/o/offer-a%252Fb-offer_default-base.png"
    assert storage.size("offer-a%2Fb-offer_default-base.png") == 10
    assert storage.size("offer-none.png") is None
    assert not old.exists()  # a killed writer's leftover, an hour old, is swept
    assert young.exists()  # one that may be in use is left
    assert reopened.url_of("offer-1.png") == (tmp_path / "files" / "offer-1.png").as_uri()
    for name in ("../escape.png", "a/b.png", ".hidden", "", "x\0y"):
        with pytest.raises(StorageError, match="not one name under the storage prefix"):
            storage.put(name, b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["files"]


def test_a_storage_url_fsspec_does_not_know_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="storage: nosuch://bucket/x: "):
        Storage("nosuch://bucket/x")


def row(job_id: str, status: str, clock: float) -> JobRow:
    return JobRow(id=job_id, status=status, request={"offer_id": job_id}, created=clock,
                  updated=clock, clock=clock)


@pytest.fixture
def queue(tmp_path: Path) -> Iterator[JobQueue]:
    opened = JobQueue(f"sqlite:///{tmp_path / 'jobs.db'}")
    yield opened
    opened.close()


def test_the_store_changes_rows_atomically_and_counts_them(queue: JobQueue) -> None:
    store = queue.store
    now = time.time()
    assert store.add(row("a", QUEUED, now))
    assert not store.add(row("a", RUNNING, now))  # the id is taken
    assert store.add(row("b", RUNNING, now - 10))
    changed = store.update("a", lambda r: r.but(status=RUNNING, attempts=1, clock=now + 5))
    assert changed is not None
    assert store.update("a", lambda r: None) is None
    assert store.update("nope", lambda r: r) is None
    assert store.get("a") == changed
    assert store.counts() == {"queued": 0, "running": 2, "done": 0, "failed": 0}
    assert store.ids(RUNNING, before=now, limit=10) == ["b"]
    assert store.earliest(RUNNING) == pytest.approx(now - 10)
    store.incr("webhooks:retried")
    store.incr("webhooks:retried", 2)
    assert store.counters() == {"webhooks:retried": 3}


def test_the_sweeper_puts_back_lost_jobs_and_renews_its_own(queue: JobQueue) -> None:
    # Arrange
    store = queue.store
    runner = JobRunner(queue, Storage("memory://jobs"), None, policy=RetryPolicy(), lease=30,
                       secret=None, allow_hosts=(), render_timeout=None)
    sweeper = JobWorkers(queue, runner, threads=1, shutdown_timeout=1)
    now = time.time()
    store.add(row("dead", RUNNING, now - 1).but(runner="gone"))  # a lease that ran out
    store.add(row("mine", RUNNING, now + 1).but(runner=runner.token))
    runner.active.add("mine")
    store.add(row("lost", QUEUED, now - 60))  # queued long ago, its message gone
    store.add(row("waiting", QUEUED, now - 60))
    queue.enqueue("waiting")  # this one has its message
    # Act
    sweeper.sweep()
    # Assert
    assert store.get("dead").status == QUEUED  # type: ignore[union-attr]
    assert store.get("mine").clock > now + 20  # type: ignore[union-attr]
    assert store.get("lost").clock >= now  # type: ignore[union-attr]
    assert queue.depth() == (3, 0)  # waiting's own, dead's and one lost one put back
    assert store.counters() == {"job_retries:lost": 1}
    sweeper.sweep()
    assert queue.depth() == (3, 0)  # nothing is lost now: nothing more is put back


def test_a_queue_url_shows_no_password() -> None:
    assert masked("redis://:s3cret@cache.internal:6379/0") == "redis://:***@cache.internal:6379/0"
    assert masked("sqlite:////var/lib/offer-render/jobs.db") == (
        "sqlite:////var/lib/offer-render/jobs.db")


def test_a_front_without_render_workers_is_ready_and_says_so(tmp_path: Path) -> None:
    import requests

    from tests.conftest import running_service

    with running_service(workers=0, data_dir=tmp_path) as front:
        ready = requests.get(front.url("/readyz"), timeout=30)
        preview = requests.post(front.url("/v1/preview"), json={"template": {}}, timeout=30)
    assert (ready.status_code, ready.json()["workers"]) == (200, {"ready": 0, "busy": 0, "of": 0})
    assert (preview.status_code, preview.headers["Retry-After"]) == (503, "60")
    assert (tmp_path / "jobs.db").is_file()


def test_jobs_need_the_bearer_token_like_every_v1_call(tmp_path: Path) -> None:
    import requests

    from tests.conftest import running_service

    tokens = tmp_path / "tokens"
    tokens.write_text("t0ken\n")
    with running_service(workers=0, data_dir=tmp_path, token_file=tokens) as front:
        posted = requests.post(front.url("/v1/jobs"), json={}, timeout=30)
        got = requests.get(front.url("/v1/jobs/" + "0" * 64), timeout=30)
        allowed = requests.get(front.url("/v1/jobs/" + "0" * 64), timeout=30,
                               headers={"Authorization": "Bearer t0ken"})
    assert (posted.status_code, got.status_code, allowed.status_code) == (401, 401, 404)


def test_a_worker_without_the_secret_sends_no_unsigned_webhook(queue: JobQueue) -> None:
    runner = JobRunner(queue, Storage("memory://jobs"), None, policy=RetryPolicy(), lease=30,
                       secret=None, allow_hosts=("127.0.0.1",), render_timeout=None)
    now = time.time()
    queue.store.add(row("ended", "done", now).but(
        request={"offer_id": "1", "callback_url": "http://127.0.0.1:9/hook"}))
    runner.deliver("ended", 1)
    assert queue.store.counters() == {"webhooks:failed": 1}
    assert queue.depth() == (0, 0)  # and no retry is queued
