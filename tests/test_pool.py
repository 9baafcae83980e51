"""The render process pool on its own: same bytes as one process, bounds, deadlines, crashes.

Real worker processes (started from the forkserver) render with fonts from the local
HTTP server; a few task functions below stand in for a render that hangs or crashes.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from offer_render import InvalidInputError, Limits, NetworkPolicy, RendererConfig, ResourceError
from offer_render.api import Renderer
from offer_render.config import engine_config
from offer_render.errors import RenderError
from offer_render.pool import (
    PoolBusy,
    PoolClosed,
    PoolError,
    PoolTimeout,
    RenderPool,
    TaskContext,
    WorkerDied,
)
from tests.conftest import LocalServer

# -- task functions the workers run (module level: they are sent by name) -------------


def sleepy(ctx: TaskContext, seconds: float) -> int:
    """Stand in for a render that takes ``seconds``; return the worker's pid."""
    time.sleep(seconds)
    return os.getpid()


def crash(ctx: TaskContext, signum: int) -> None:
    """Stand in for a native library that crashes the process."""
    os.kill(os.getpid(), signum)


def boom(ctx: TaskContext) -> None:
    """Raise an error of no engine type."""
    msg = "boom"
    raise ValueError(msg)


def sleepy_told(ctx: TaskContext, path: str, seconds: float) -> None:
    """Write the worker's pid to ``path``, then sleep ``seconds``."""
    with open(path, "w") as f:
        f.write(str(os.getpid()))
    time.sleep(seconds)


def fetch_twice(ctx: TaskContext, url: str) -> str:
    """Fetch ``url`` twice within one task; return the second body."""
    ctx.fetcher.fetch(url, max_bytes=1000, what="stylesheet")
    return ctx.fetcher.fetch(url, max_bytes=1000, what="stylesheet").data.decode()


def echo(ctx: TaskContext, value: Any) -> Any:
    """Return ``value``: which answer reached which caller."""
    return value


def touch(ctx: TaskContext, path: str) -> None:
    """Create ``path``: the task ran."""
    Path(path).touch()


def budget(ctx: TaskContext) -> float | None:
    """Return the fetch budget the task's deadline leaves."""
    return ctx.fetch_budget()


# -- fixtures -------------------------------------------------------------------------


def _config() -> RendererConfig:
    return engine_config(allow_hosts=["127.0.0.1"])


def _template(base: str, text: str = "Kawa -20%") -> dict[str, Any]:
    return {
        "width": 320, "height": 160, "background_url": f"{base}/backgrounds/coffee.jpg",
        "rectangles": [{
            "name": "Title", "width": 300, "height": 120, "padding": 10, "offset_left": 10,
            "offset_top": 20, "text_align": "center", "color": "#FFFFFF", "font_size": 40,
            "font_family": "Raleway", "font_url": f"{base}/fonts/raleway.css",
            "font_weight": 700, "content": text,
        }],
    }


@pytest.fixture(scope="module")
def pool() -> Iterator[RenderPool]:
    """Two workers, two places in the queue, a 10 s deadline."""
    with RenderPool(_config(), workers=2, backlog=2, timeout=10) as p:
        yield p


def _wait_for(condition: Any, seconds: float = 10.0) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "condition not met in time"
        time.sleep(0.02)


def _whole(pool: RenderPool) -> None:
    """Wait until every worker of ``pool`` is ready and idle again."""
    _wait_for(lambda: pool.stats().ready == pool.workers and pool.stats().busy == 0)


# -- rendering ------------------------------------------------------------------------


def test_a_pool_render_gives_the_bytes_of_a_render_in_this_process(
    pool: RenderPool, http_server: LocalServer
) -> None:
    # Arrange
    template = _template(http_server.base_url)
    here = Renderer(_config()).render(template, format="jpeg", locale="pl")
    # Act
    there = pool.render(template, format="jpeg", locale="pl")
    # Assert
    assert there.data == here.data
    assert (there.width, there.height, there.format) == (320, 160, "jpeg")
    assert there.report == here.report


def test_submit_returns_a_future_of_the_result(
    pool: RenderPool, http_server: LocalServer
) -> None:
    future = pool.submit(_template(http_server.base_url), format="png", scale=2)
    assert isinstance(future, Future)
    result = future.result(timeout=10)
    assert (result.width, result.height) == (640, 320)
    assert result.data.startswith(b"\x89PNG")


def test_map_yields_in_order(pool: RenderPool, http_server: LocalServer) -> None:
    # Arrange: more offers than the pool holds at once, so map must wait and refill
    template = _template(http_server.base_url, "{{name}}")
    offers = [{"id": n, "name": {"en": f"Offer {n}"}} for n in range(9)]
    # Act
    results = list(pool.map(offers, template=template, format="png"))
    # Assert
    texts = [r.report["rectangles"][0]["text"] for r in results]  # type: ignore[union-attr]
    assert texts == [f"Offer {n}" for n in range(9)]


def test_map_raises_the_first_failure_or_yields_it(
    pool: RenderPool, http_server: LocalServer
) -> None:
    template = _template(http_server.base_url)
    offers = [{"id": 1}, {"id": 2, "name": 7}, {"id": 3}]
    with pytest.raises(InvalidInputError, match="name"):
        list(pool.map(offers, template=template))
    outcomes = list(pool.map(offers, template=template, return_exceptions=True))
    assert [type(o).__name__ for o in outcomes] == [
        "RenderResult", "InvalidInputError", "RenderResult"]


def test_invalid_input_keeps_its_problems(pool: RenderPool, http_server: LocalServer) -> None:
    template = _template(http_server.base_url)
    template["rectangles"][0]["font_size"] = 0
    with pytest.raises(InvalidInputError) as info:
        pool.render(template)
    assert info.value.problems == (("rectangles[0].font_size", "must be greater than 0"),)


def test_a_resource_error_keeps_its_url_and_reason(
    pool: RenderPool, http_server: LocalServer
) -> None:
    template = _template(http_server.base_url)
    template["background_url"] = http_server.url("/status/404")
    with pytest.raises(ResourceError) as info:
        pool.render(template)
    assert info.value.url == http_server.url("/status/404")
    assert info.value.reason == "HTTP 404 Not Found"
    assert info.value.field == "background_url"


def test_an_error_of_no_engine_type_is_a_render_error(pool: RenderPool) -> None:
    with pytest.raises(RenderError, match="internal error: ValueError: boom"):
        pool.submit_call(boom).result()


def test_the_pool_awaits_from_asyncio(pool: RenderPool, http_server: LocalServer) -> None:
    async def two() -> list[int]:
        futures = [asyncio.wrap_future(pool.submit(_template(http_server.base_url)))
                   for _ in range(2)]
        return [r.width for r in await asyncio.gather(*futures)]

    assert asyncio.run(two()) == [320, 320]


def test_each_url_is_fetched_once_per_task(pool: RenderPool, http_server: LocalServer) -> None:
    # /nostore may not be kept by any cache, so only the task's snapshot can spare a request
    url = http_server.url("/nostore?snapshot")
    before = sum(p.startswith("/nostore?snapshot") for p in list(http_server.requests))
    first = pool.submit_call(fetch_twice, url).result()
    second = pool.submit_call(fetch_twice, url).result()
    after = sum(p.startswith("/nostore?snapshot") for p in list(http_server.requests))
    assert after - before == 2  # one request per task, not per fetch
    assert first != second  # the next task fetches again


def test_a_task_gets_a_fetch_budget_inside_its_deadline(pool: RenderPool) -> None:
    seconds = pool.submit_call(budget, timeout=10).result()
    assert seconds is not None
    assert 8.0 < seconds <= 9.0  # 10 s less a reserve of 1 s for drawing and encoding
    assert pool.submit_call(budget, timeout=None).result() is None


def test_a_slow_font_host_falls_back_before_the_deadline(
    pool: RenderPool, http_server: LocalServer
) -> None:
    # Arrange: a stylesheet that drips forever; the task has 1.5 s. No background: one not
    # had before the budget ends would be an error (a font falls back, a background cannot)
    template = _template(http_server.base_url)
    del template["background_url"]
    template["rectangles"][0]["font_url"] = http_server.url("/slow?budget")
    # Act
    result = pool.render(template, timeout=1.5)
    # Assert: rendered with a fallback face and a warning, not killed at the deadline
    codes = [w.code for w in result.warnings]
    assert "font_unavailable" in codes
    assert pool.stats().timed_out == 0


def test_counters_add_up_the_workers(pool: RenderPool, http_server: LocalServer) -> None:
    template = _template(http_server.base_url)
    template["background_url"] = http_server.url("/status/410")
    before = pool.stats().counters
    with pytest.raises(ResourceError):
        pool.render(template)
    pool.render(_template(http_server.base_url))
    after = pool.stats().counters
    assert after["tasks"] - before.get("tasks", 0) == 2
    assert after["fetch_failures:background"] - before.get("fetch_failures:background", 0) == 1
    assert after["cache_hits:layout"] >= before.get("cache_hits:layout", 0)


# -- bounds, deadlines, crashes --------------------------------------------------------


def test_beyond_the_backlog_submit_says_busy_at_once(http_server: LocalServer) -> None:
    with RenderPool(_config(), workers=1, backlog=1, timeout=10) as pool:
        running = pool.submit_call(sleepy, 0.5)
        waiting = pool.submit_call(sleepy, 0.0)
        started = time.monotonic()
        with pytest.raises(PoolBusy) as info:
            pool.submit(_template(http_server.base_url))
        assert time.monotonic() - started < 0.2
        assert str(info.value) == ("all 1 render workers are busy and 1 requests are "
                                   "waiting (the most allowed)")
        assert info.value.retry_after >= 1
        assert running.result() == waiting.result()  # the one worker ran both
        assert pool.stats().rejected == 1


def test_a_task_past_its_deadline_kills_and_replaces_its_worker(pool: RenderPool) -> None:
    # Arrange
    _whole(pool)
    before = set(pool.pids())
    # Act
    future = pool.submit_call(sleepy, 30, timeout=0.5)
    with pytest.raises(PoolTimeout) as info:
        future.result(timeout=10)
    # Assert
    assert str(info.value) == ("the task took longer than its deadline of 0.5 s; its worker "
                               "process was stopped and replaced")
    _whole(pool)
    assert len(set(pool.pids()) - before) == 1
    assert pool.submit_call(sleepy, 0).result() in pool.pids()


def test_a_task_that_waits_past_its_deadline_is_dropped() -> None:
    with RenderPool(_config(), workers=1, backlog=2, timeout=10) as pool:
        pids = pool.pids()
        busy = pool.submit_call(sleepy, 0.8)
        late = pool.submit_call(sleepy, 0, timeout=0.3)
        with pytest.raises(PoolTimeout, match="no render worker was free within the deadline "
                                              r"of 0\.3 s"):
            late.result(timeout=5)
        assert busy.result() == pids[0]  # the running task was not disturbed
        assert pool.pids() == pids


@pytest.mark.parametrize(("signum", "name"), [(signal.SIGKILL, "SIGKILL"),
                                              (signal.SIGSEGV, "SIGSEGV")])
def test_a_worker_that_dies_fails_its_task_only(
    pool: RenderPool, http_server: LocalServer, signum: int, name: str
) -> None:
    # Arrange
    _whole(pool)
    other = pool.submit_call(sleepy, 0.5)
    # Act
    with pytest.raises(WorkerDied) as info:
        pool.submit_call(crash, signum).result(timeout=10)
    # Assert
    assert f"the render worker process was killed by {name} while running this task" in str(
        info.value)
    assert "it has been replaced" in str(info.value)
    assert other.result(timeout=10) > 0
    assert pool.render(_template(http_server.base_url)).width == 320
    _whole(pool)


def test_a_worker_killed_from_outside_mid_task(pool: RenderPool, tmp_path: Path) -> None:
    # Arrange: a task that says which worker runs it
    _whole(pool)
    told = tmp_path / "pid"
    future = pool.submit_call(sleepy_told, str(told), 5)
    _wait_for(lambda: told.exists() and told.read_text())
    victim = int(told.read_text())
    # Act
    os.kill(victim, signal.SIGKILL)
    # Assert
    with pytest.raises(WorkerDied, match=f"killed by SIGKILL .*pid {victim}"):
        future.result(timeout=10)
    assert victim not in pool.pids()
    assert pool.submit_call(sleepy, 0).result() != victim


def test_workers_that_cannot_start_say_why() -> None:
    # A limit the warm-up render breaks: every worker fails to start the same way
    config = RendererConfig(network=NetworkPolicy(), limits=Limits(max_canvas=16))
    with pytest.raises(PoolError, match="render worker processes cannot start: "
                                        "InvalidInputError: width: must be at most 16"):
        RenderPool(config, workers=1)


def test_closing_lets_queued_work_finish_then_refuses() -> None:
    pool = RenderPool(_config(), workers=1, backlog=2, timeout=10)
    pids = pool.pids()
    futures = [pool.submit_call(sleepy, 0.2) for _ in range(3)]
    pool.close()
    assert [f.result(timeout=0) for f in futures] == pids * 3
    with pytest.raises(PoolClosed, match="the render pool is closed"):
        pool.submit_call(sleepy, 0)
    assert not _alive(pids[0])


def test_closing_with_cancel_fails_what_is_left() -> None:
    pool = RenderPool(_config(), workers=1, backlog=2, timeout=10)
    pids = pool.pids()
    running = pool.submit_call(sleepy, 30)
    waiting = pool.submit_call(sleepy, 0)
    _wait_for(lambda: pool.stats().busy == 1)
    pool.close(cancel=True)
    for future in (running, waiting):
        with pytest.raises(PoolClosed, match="the render pool was closed"):
            future.result(timeout=0)
    assert not _alive(pids[0])


def test_a_task_is_sent_ahead_to_a_busy_worker_and_answers_reach_their_callers() -> None:
    with RenderPool(_config(), workers=1, backlog=200, timeout=30) as pool:
        running = pool.submit_call(sleepy, 0.5)
        ahead = pool.submit_call(echo, "ahead")
        proc = pool._dispatcher._procs[0]  # white box: what the worker's pipe holds
        _wait_for(lambda: len(proc.tasks) == 2 and not proc.unsent)
        assert (pool.stats().busy, pool.stats().waiting) == (1, 1)  # ahead counts as waiting
        # callers in several threads at once: each answer reaches its own caller
        with ThreadPoolExecutor(4) as callers:
            got = list(callers.map(lambda i: pool.submit_call(echo, i).result(), range(200)))
        assert got == list(range(200))
        assert ahead.result() == "ahead"
        assert running.result() > 0


def test_a_task_sent_ahead_of_a_worker_that_dies_runs_on_another(tmp_path: Path) -> None:
    with RenderPool(_config(), workers=1, backlog=2, timeout=30) as pool:
        told = tmp_path / "pid"
        running = pool.submit_call(sleepy_told, str(told), 30)
        ahead = pool.submit_call(sleepy, 0)
        _wait_for(lambda: told.exists() and told.read_text())
        victim = int(told.read_text())
        os.kill(victim, signal.SIGKILL)
        with pytest.raises(WorkerDied, match=f"killed by SIGKILL .*pid {victim}"):
            running.result(timeout=10)
        assert ahead.result(timeout=10) == pool.pids()[0] != victim


def test_a_task_sent_ahead_of_a_task_past_its_deadline_runs_on_the_replacement() -> None:
    with RenderPool(_config(), workers=1, backlog=2, timeout=30) as pool:
        before = pool.pids()
        late = pool.submit_call(sleepy, 30, timeout=0.5)
        ahead = pool.submit_call(echo, "ahead")
        with pytest.raises(PoolTimeout, match="the task took longer than its deadline"):
            late.result(timeout=10)
        assert ahead.result(timeout=10) == "ahead"
        assert pool.pids() != before


def test_a_task_sent_ahead_that_outlives_its_deadline_fails_and_its_answer_is_dropped(
) -> None:
    with RenderPool(_config(), workers=1, backlog=2, timeout=30) as pool:
        running = pool.submit_call(sleepy, 0.8)
        late = pool.submit_call(echo, "late", timeout=0.3)
        with pytest.raises(PoolTimeout, match=r"no render worker was free within the "
                                              r"deadline of 0\.3 s"):
            late.result(timeout=5)
        after = pool.submit_call(echo, "after")  # sent ahead too, behind the dropped one
        assert after.result(timeout=10) == "after"
        assert running.result() > 0
        assert pool.stats().timed_out == 1


def test_a_cancelled_task_gets_no_answer(pool: RenderPool) -> None:
    _whole(pool)
    first = [pool.submit_call(sleepy, 0.3) for _ in range(2)]
    cancelled = pool.submit_call(sleepy, 0)
    assert cancelled.cancel()
    after = pool.submit_call(sleepy, 0)
    assert after.result(timeout=10) in pool.pids()
    assert all(f.result() for f in first)
    assert cancelled.cancelled()


def test_a_task_cancelled_while_it_waits_in_the_queue_is_not_run(tmp_path: Path) -> None:
    with RenderPool(_config(), workers=1, backlog=3, timeout=30) as pool:
        running = pool.submit_call(sleepy, 0.5)
        ahead = pool.submit_call(echo, "ahead")  # in the worker's pipe already
        queued = pool.submit_call(touch, str(tmp_path / "ran"))
        assert queued.cancel()
        after = pool.submit_call(echo, "after")
        assert (running.result() > 0, ahead.result(), after.result()) == (
            True, "ahead", "after")
    assert queued.cancelled()
    assert not (tmp_path / "ran").exists()


def test_a_pool_starts_from_a_thread_beside_an_event_loop(http_server: LocalServer) -> None:
    # The service's case: a running event loop and other threads in the owning process.
    loop = asyncio.new_event_loop()
    runner = threading.Thread(target=loop.run_forever, daemon=True)
    runner.start()
    out: dict[str, Any] = {}

    def start() -> None:
        with RenderPool(_config(), workers=1) as pool:
            future = asyncio.run_coroutine_threadsafe(
                _await(pool, _template(http_server.base_url)), loop)
            out["width"] = future.result(timeout=20)

    thread = threading.Thread(target=start)
    thread.start()
    thread.join(60)
    loop.call_soon_threadsafe(loop.stop)
    runner.join(5)
    assert out == {"width": 320}


async def _await(pool: RenderPool, template: dict[str, Any]) -> int:
    return (await asyncio.wrap_future(pool.submit(template))).width


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"workers": 0}, "workers: must be a whole number of at least 1"),
    ({"backlog": -1}, "backlog: must be a whole number of at least 0"),
    ({"timeout": 0}, "timeout: must be a number of seconds greater than 0"),
])
def test_bad_pool_settings_are_named(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        RenderPool(_config(), **kwargs)
    assert str(info.value) == message


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_one_function_builds_the_configuration_of_every_front_door(tmp_path: Path) -> None:
    from offer_render.cli.options import make_config

    # Act
    cli = make_config(("127.0.0.1",), True, (tmp_path,), tmp_path)
    service = engine_config(allow_hosts=["127.0.0.1"], offline=True, font_dirs=[tmp_path],
                            base_dir=tmp_path, allow_local_files=True)
    cached = engine_config(cache_dir=tmp_path / "c", render_deadline=2.5)
    # Assert
    assert cli == service
    assert cli.network == NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"}), offline=True,
                                        allow_local_files=True, base_dir=tmp_path)
    assert cli.font_dirs == (tmp_path,)
    assert not engine_config().network.allow_local_files  # local files: only when asked
    assert (cached.cache_dir, cached.render_deadline) == (tmp_path / "c", 2.5)
    fonts = engine_config(font_source="http://127.0.0.1:9/css", system_fonts=True)
    assert (fonts.font_source, fonts.system_fonts) == ("http://127.0.0.1:9/css", True)
    assert engine_config(font_source=None).font_source is None
    assert engine_config().font_source == RendererConfig().font_source  # the default kept


def test_workers_exit_when_the_pools_process_is_killed(tmp_path: Path) -> None:
    # Arrange: a program that starts a pool, says its workers' pids, and waits
    import subprocess
    import sys

    script = tmp_path / "owner.py"
    script.write_text(
        "import sys, time\n"
        "from offer_render.pool import RenderPool\n"
        "if __name__ == '__main__':\n"
        "    pool = RenderPool(workers=2)\n"
        "    print(*pool.pids(), flush=True)\n"
        "    time.sleep(60)\n")
    owner = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                             cwd=Path(__file__).resolve().parents[1])
    try:
        assert owner.stdout is not None
        pids = [int(p) for p in owner.stdout.readline().split()]
        assert len(pids) == 2
        assert all(_alive(p) for p in pids)
        # Act
        owner.kill()
        owner.wait(10)
        # Assert
        _wait_for(lambda: not any(_alive(p) for p in pids))
    finally:
        if owner.poll() is None:
            owner.kill()


@pytest.mark.parametrize("loop_kind", ["asyncio", "uvloop"])
def test_a_pool_driven_from_an_event_loop(http_server: LocalServer, loop_kind: str) -> None:
    # The service's case: the loop reads the workers' answers (no thread of the pool's own).
    async def main() -> tuple[int, int, int, list[int]]:
        pool = RenderPool(_config(), workers=1, backlog=1, timeout=10)
        pool.drive_from_loop()
        big = _template(http_server.base_url)
        big["width"] = big["height"] = 1500  # a large PNG: its answer spans many reads
        first = await asyncio.wrap_future(pool.submit(big, scale=2))
        with pytest.raises(PoolTimeout):
            await asyncio.wrap_future(pool.submit_call(sleepy, 30, timeout=0.3))
        while pool.stats().ready < 1:
            await asyncio.sleep(0.02)
        with pytest.raises(WorkerDied):
            await asyncio.wrap_future(pool.submit_call(crash, signal.SIGKILL))
        after = await asyncio.wrap_future(pool.submit(_template(http_server.base_url)))
        await asyncio.to_thread(pool.close)
        return first.width, len(first.data), after.width, pool.pids()

    runner = asyncio.run
    if loop_kind == "uvloop":
        import uvloop

        runner = uvloop.run
    width, size, after, pids = runner(main())
    assert (width, after, pids) == (3000, 320, [])
    assert size > 1_000_000
