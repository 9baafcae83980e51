"""The render service under load and failure: overload, deadlines, killed workers, tokens.

Each case runs its own service (uvicorn on a loopback port, real worker processes)
with the settings it needs. A slow request is a real one: a 4000x4000 PNG full of
text (``SLOW``) takes a warm worker about half a second to draw and encode.
"""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import RunningService, running_service

WORDS = "Slow big text quick brown fox jumps over the lazy dog 0123456789".split()
SLOW = {"template": {"width": 2000, "height": 2000, "rectangles": [{
    "name": f"r{i}", "width": 1900, "height": 1900, "padding": 0, "offset_left": 10 * i,
    "offset_top": 10 * i, "text_align": ("left", "justify")[i % 2],
    "color": ("#FF00FF80", "#00808080")[i % 2], "font_size": 40,
    "font_family": ("sans-serif", "serif")[i % 2], "font_url": None,
    "content": " ".join(WORDS[(i + j) % len(WORDS)] for j in range(1500))} for i in range(4)]},
    "format": "png", "scale": 2}
"""A render that takes a warm worker about half a second, most of it drawing and encoding
(bundled fonts only: nothing to fetch, so no fetch budget cuts it short). Four overlapping
rectangles of 1,500 words each at scale 2; a warm 4000x4000 of one short text took only
0.12 s once runs were pasted, short of a 0.3 s deadline."""

QUICK = {"template": {"width": 40, "height": 20, "rectangles": []}, "format": "png"}


def post(service: RunningService, body: Any, **headers: str) -> requests.Response:
    return requests.post(service.url("/v1/render"), data=json.dumps(body), timeout=60,
                         headers={"Content-Type": "application/json", **headers})


def test_a_burst_gets_only_images_or_503_with_retry_after() -> None:
    # Arrange: one worker and one place in the queue; eight clients at once
    with running_service(workers=1, backlog=1, render_timeout=30) as service:
        # Act
        with ThreadPoolExecutor(8) as clients:
            answers = list(clients.map(lambda _: post(service, SLOW), range(8)))
        metrics = requests.get(service.url("/metrics"), timeout=10).text
    # Assert
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) == {200, 503}, statuses
    assert statuses.count(200) >= 2  # the one running and the one waiting
    for busy in (a for a in answers if a.status_code == 503):
        assert int(busy.headers["Retry-After"]) >= 1
        body = busy.json()
        assert body["error"].startswith("all 1 render workers are busy and 1 requests are "
                                        "waiting (the most allowed); try again in ")
    rejected = statuses.count(503)
    assert re.search(rf'^offer_render_requests_rejected_total\{{reason="busy"\}} {rejected}\.0$',
                     metrics, re.M)


def test_a_render_past_the_deadline_is_504_and_its_worker_replaced() -> None:
    with running_service(workers=1, render_timeout=0.1) as service:
        before = service.pool.pids()
        late = post(service, SLOW)
        _wait_for(lambda: service.pool.stats().ready == 1)  # the replacement has started
        after = post(service, QUICK)
        pids = service.pool.pids()
    assert late.status_code == 504
    assert late.json()["error"] == ("the task took longer than its deadline of 0.1 s; its "
                                    "worker process was stopped and replaced")
    assert after.status_code == 200
    assert pids != before


def test_a_worker_killed_mid_request_is_500_with_the_request_id_then_ok() -> None:
    with running_service(workers=1, render_timeout=30) as service:
        # Arrange: a slow request in flight
        answer: dict[str, requests.Response] = {}
        thread = threading.Thread(target=lambda: answer.update(
            r=post(service, SLOW, **{"X-Request-Id": "kill-me-1"})))
        thread.start()
        _wait_for(lambda: service.pool.stats().busy == 1)
        victim = service.pool.pids()[0]
        # Act
        os.kill(victim, signal.SIGKILL)
        thread.join(30)
        after = post(service, QUICK)
    # Assert
    got = answer["r"]
    assert got.status_code == 500
    body = got.json()
    assert body["request_id"] == "kill-me-1"
    assert body["error"] == (f"internal error: the render worker process was killed by SIGKILL "
                             f"while running this task (pid {victim}); it has been replaced")
    assert after.status_code == 200


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    """A service whose /v1 calls need one of two tokens."""
    tokens = tmp_path_factory.mktemp("tokens") / "tokens"
    tokens.write_text("# rotated monthly\nold-token-1\n\nnew-token-2\n")
    with running_service(workers=1, token_file=tokens) as service:
        yield service


@pytest.mark.parametrize(("headers", "error", "challenge"), [
    ({}, "missing bearer token: send Authorization: Bearer <token>", "Bearer"),
    ({"Authorization": "Basic b2xkOnRva2Vu"},
     "missing bearer token: send Authorization: Bearer <token>", "Bearer"),
    ({"Authorization": "Bearer wrong"}, "wrong bearer token", 'Bearer error="invalid_token"'),
])
def test_a_v1_call_without_a_valid_token_is_401(
    guarded: RunningService, headers: dict[str, str], error: str, challenge: str
) -> None:
    got = post(guarded, QUICK, **headers)
    assert got.status_code == 401
    assert got.json()["error"] == error
    assert got.headers["WWW-Authenticate"] == challenge


@pytest.mark.parametrize("token", ["old-token-1", "new-token-2"])
def test_each_token_of_the_file_is_let_through(guarded: RunningService, token: str) -> None:
    got = post(guarded, QUICK, Authorization=f"Bearer {token}")
    assert got.status_code == 200


def test_probes_need_no_token_and_rejections_are_counted(guarded: RunningService) -> None:
    for path in ("/healthz", "/readyz", "/openapi.json", "/docs"):
        assert requests.get(guarded.url(path), timeout=10).status_code == 200
    post(guarded, QUICK)
    metrics = requests.get(guarded.url("/metrics"), timeout=10).text
    assert re.search(r'^offer_render_requests_rejected_total\{reason="unauthorized"\} [1-9]',
                     metrics, re.M)


def test_the_docs_say_v1_calls_take_a_bearer_token(guarded: RunningService) -> None:
    spec = requests.get(guarded.url("/openapi.json"), timeout=10).json()
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert spec["paths"]["/v1/render"]["post"]["security"] == [{"bearer": []}]


def _wait_for(condition: Any, seconds: float = 20.0) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "condition not met in time"
        time.sleep(0.01)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    from offer_render.service.settings import load_settings

    monkeypatch.setenv("OFFER_RENDER_MAX_BODY", "2048")
    monkeypatch.setenv("OFFER_RENDER_ALLOW_HOSTS", "127.0.0.1, fonts.internal")
    monkeypatch.setenv("OFFER_RENDER_FONT_DIRS", f"{tmp_path}{os.pathsep}{tmp_path / 'b'}")
    monkeypatch.setenv("OFFER_RENDER_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("OFFER_RENDER_CACHE_DIR")  # it would win over DATA_DIR/cache
    monkeypatch.setenv("OFFER_RENDER_FONT_SOURCE", "none")
    monkeypatch.setenv("OFFER_RENDER_SYSTEM_FONTS", "1")
    settings = load_settings(max_body=4096)  # a flag wins over the environment
    config = settings.renderer_config()
    assert (config.font_source, config.system_fonts) == (None, True)
    assert settings.max_body == 4096
    assert settings.allow_hosts == ("127.0.0.1", "fonts.internal")
    assert config.font_dirs == (tmp_path, tmp_path / "b")
    assert config.cache_dir == tmp_path / "cache"
    assert not config.network.allow_local_files
