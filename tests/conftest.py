"""Provide shared pytest fixtures: a real local HTTP server over ``fixtures/`` and a test fetcher.

``http_server`` serves the repo's ``fixtures/`` folder at ``/`` and the per-session
``served_tmp`` folder at ``/tmp/``, plus routes for hostile-server tests:

- ``/redirect?to=URL``      302 to URL
- ``/redirect-chain/N``     N redirects, then a small text body ``chain end``
- ``/slow``                 200, then one body byte every 0.5 s, forever
- ``/slow-headers``         one header byte every 0.5 s, forever
- ``/endless``              200 with an endless body (no Content-Length)
- ``/status/NNN``           an empty response with that status
- ``/gzip-bomb``            ``Content-Encoding: gzip``, ~64 KB on the wire, 64 MiB decoded
- ``/headers``              the request headers as JSON
- ``/loop``                 302 to itself, forever
- ``/etag/NAME?max_age=N``  a ``served_tmp`` file with an ETag and max-age; 304 on a match
- ``/fontsource/css2?family=Noto+Sans+KR:wght@400``  a Google-Fonts-compatible CSS API:
  the stylesheet ``served_tmp/fontsource/<family>.css``, or 400 for an unknown family
- ``/nostore?...``          200 ``Cache-Control: no-store`` (with an ETag and a Last-Modified,
                            which must not make it stored); the body counts requests so far
- ``/vary?on=NAMES&max_age=N``  200 with ``Vary: NAMES`` (``*`` allowed) and that max-age; the
                            body is the JSON of the values the request sent for NAMES

``http_server.requests`` lists every request path (with query) the server got, in order,
so a test can assert that a URL was never requested.

``render_service`` runs the render service (``offer-render serve``'s app on uvicorn, with
real worker processes) on a free loopback port for a test module; ``running_service``
runs one with other settings.

For render jobs: ``redis_server`` runs Debian's ``redis-server`` and ``s3_server`` moto's
S3 server on free loopback ports for the session (skipped where missing, failing in
CI, whose ``.ci/run`` installs them); ``wait_for`` polls a condition with a bound.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formatdate
from functools import cache
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from offer_render.config import Limits, NetworkPolicy
from offer_render.resources.fetch import PolicyFetcher

# Tests never reach the internet: no font source (the public Google Fonts API by
# default) unless a test names a local one. Set before any test module makes a
# RendererConfig, and inherited by the command lines tests start.
os.environ["OFFER_RENDER_FONT_SOURCE"] = ""

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES_DIR = REPO_ROOT / "fixtures"

GZIP_BOMB_DECODED = 64 * 1024 * 1024
"""Decoded size of ``/gzip-bomb``: far above any byte cap a test uses."""


@cache
def _gzip_bomb() -> bytes:
    """Return a gzip stream of GZIP_BOMB_DECODED zero bytes (about 64 KB compressed)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    parts = [comp.compress(block) for _ in range(GZIP_BOMB_DECODED // len(block))]
    parts.append(comp.flush())
    return b"".join(parts)


class _Server(ThreadingHTTPServer):
    request_queue_size = 64
    """Listen backlog above the default 5, so parallel-fetch tests never wait on SYN retries."""
    daemon_threads = True


class LocalServer:
    """A running test server; ``url("/x")`` gives the absolute URL of path ``/x``."""

    def __init__(self, httpd: ThreadingHTTPServer, served_tmp: Path) -> None:
        self.httpd = httpd
        self.host = "127.0.0.1"
        self.port = int(httpd.server_address[1])
        self.base_url = f"http://{self.host}:{self.port}"
        self.fixtures_dir = FIXTURES_DIR
        self.served_tmp = served_tmp
        self.requests: list[str] = getattr(httpd, "request_log", [])
        """Every request path (with query) received, in order."""

    def requested(self, path: str) -> bool:
        """Return whether any request so far asked for ``path`` (query ignored)."""
        return any(urlsplit(p).path == path for p in list(self.requests))

    def url(self, path: str) -> str:
        """Return the absolute URL of ``path`` (which starts with ``/``) on this server."""
        return self.base_url + (path if path.startswith("/") else "/" + path)


def _make_handler(served_tmp: Path, stop: threading.Event) -> type[SimpleHTTPRequestHandler]:
    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(FIXTURES_DIR), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
            """Keep test output quiet."""

        def translate_path(self, path: str) -> str:
            if urlsplit(path).path.startswith("/tmp/"):
                rel = urlsplit(path).path[len("/tmp") :]
                translated = super().translate_path(rel)
                return str(served_tmp / Path(translated).relative_to(FIXTURES_DIR))
            return super().translate_path(path)

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            parts = urlsplit(self.path)
            route = parts.path
            log: list[str] | None = getattr(self.server, "request_log", None)
            if log is not None:
                log.append(self.path)
            if route == "/loop":
                self._redirect("/loop")
            elif route == "/redirect":
                target = parse_qs(parts.query).get("to", ["/"])[0]
                self._redirect(target)
            elif route.startswith("/redirect-chain/"):
                hops = int(route.rsplit("/", 1)[1])
                if hops > 0:
                    self._redirect(f"/redirect-chain/{hops - 1}")
                else:
                    self._body(200, b"chain end\n", "text/plain")
            elif route == "/slow":
                self._slow_body()
            elif route == "/slow-headers":
                self._slow_headers()
            elif route == "/endless":
                self._endless()
            elif route.startswith("/status/"):
                self._body(int(route.rsplit("/", 1)[1]), b"", "text/plain")
            elif route == "/gzip-bomb":
                self._gzip_bomb()
            elif route == "/headers":
                body = json.dumps(dict(self.headers.items())).encode()
                self._body(200, body, "application/json")
            elif route.startswith("/etag/"):
                self._etag(served_tmp / route[len("/etag/") :], parse_qs(parts.query))
            elif route == "/nostore":
                self._nostore()
            elif route == "/vary":
                self._vary(parse_qs(parts.query))
            elif route == "/fontsource/css2":
                self._font_source(parse_qs(parts.query))
            else:
                super().do_GET()

        def _etag(self, path: Path, query: dict[str, list[str]]) -> None:
            """Serve a served_tmp file with an ETag; answer If-None-Match with 304.

            Query: ``max_age`` (Cache-Control), ``expires_in`` (Expires, seconds from
            now), ``modified_ago`` (Last-Modified, seconds ago), ``age`` (Age),
            ``missing`` (the status to answer when the file is gone; default 404).
            """
            if not path.is_file():
                self._body(int(query.get("missing", ["404"])[0]), b"", "text/plain")
                return
            data = path.read_bytes()
            etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
            not_modified = self.headers.get("If-None-Match") == etag
            self.send_response(304 if not_modified else 200)
            self.send_header("ETag", etag)
            now = time.time()
            for name, header, value in (
                ("max_age", "Cache-Control", lambda v: f"max-age={v}"),
                ("expires_in", "Expires", lambda v: formatdate(now + float(v), usegmt=True)),
                ("modified_ago", "Last-Modified",
                 lambda v: formatdate(now - float(v), usegmt=True)),
                ("age", "Age", str),
            ):
                if name in query:
                    self.send_header(header, value(query[name][0]))
            if not_modified:
                self.end_headers()
                return
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _nostore(self) -> None:
            """Answer with a response no cache may keep (RFC 9111 section 5.2.2.5)."""
            log: list[str] = getattr(self.server, "request_log", [])
            body = f"no-store {sum(1 for p in log if p.startswith('/nostore'))}".encode()
            self.send_response(200)
            self.send_header("Cache-Control", "no-store, max-age=600")
            self.send_header("ETag", '"nostore"')
            self.send_header("Last-Modified", formatdate(time.time() - 86400, usegmt=True))
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _vary(self, query: dict[str, list[str]]) -> None:
            """Answer with ``Vary: on`` and a body naming what the request sent for ``on``."""
            names = query.get("on", ["User-Agent"])[0]
            sent = {n.strip(): self.headers.get(n.strip()) for n in names.split(",")
                    if n.strip() != "*"}
            body = json.dumps(sent, sort_keys=True).encode()
            self.send_response(200)
            self.send_header("Vary", names)
            self.send_header("Cache-Control", f"max-age={query.get('max_age', ['600'])[0]}")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _font_source(self, query: dict[str, list[str]]) -> None:
            """Answer as a Google-Fonts-compatible CSS API v2: ``family=Name[:wght@W]``
            (repeatable) -> the stylesheets ``served_tmp/fontsource/<Name>.css`` joined; an
            unknown family is HTTP 400, as Google answers."""
            sheets = []
            for spec in query.get("family", []):
                name = spec.split(":", 1)[0]
                sheet = served_tmp / "fontsource" / f"{name}.css"
                if not sheet.is_file():
                    self._body(400, f"family not found: {name}".encode(), "text/plain")
                    return
                sheets.append(sheet.read_bytes())
            self._body(200, b"\n".join(sheets), "text/css")

        def _redirect(self, location: str) -> None:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _body(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _slow_body(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            self._drip(lambda: b"x")

        def _slow_headers(self) -> None:
            self.wfile.write(b"HTTP/1.0 200 OK\r\n")
            self._drip(lambda: b"X")

        def _drip(self, byte: Any) -> None:
            try:
                while not stop.is_set():
                    self.wfile.write(byte())
                    self.wfile.flush()
                    time.sleep(0.5)
            except OSError:
                pass  # the client hung up, as it should

        def _endless(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            block = b"\0" * 65536
            try:
                while not stop.is_set():
                    self.wfile.write(block)
            except OSError:
                pass

        def _gzip_bomb(self) -> None:
            body = _gzip_bomb()
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except OSError:
                pass

    return Handler


@pytest.fixture(scope="session", autouse=True)
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point the disk cache of downloads, and the services' data folder (job queue and
    files), at folders of this test session, not the user's."""
    given = {"OFFER_RENDER_CACHE_DIR": str(tmp_path_factory.mktemp("download-cache")),
             "OFFER_RENDER_DATA_DIR": str(tmp_path_factory.mktemp("service-data"))}
    previous = {name: os.environ.get(name) for name in given}
    os.environ.update(given)
    yield
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def served_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a per-session folder served at ``/tmp/`` by ``http_server``: drop files to serve."""
    return tmp_path_factory.mktemp("served")


@pytest.fixture(scope="session")
def http_server(served_tmp: Path) -> Iterator[LocalServer]:
    """Run a real ThreadingHTTPServer on 127.0.0.1 (random port) for the whole session."""
    stop = threading.Event()
    httpd = _Server(("127.0.0.1", 0), _make_handler(served_tmp, stop))
    httpd.request_log = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, name="test-http-server", daemon=True)
    thread.start()
    try:
        yield LocalServer(httpd, served_tmp)
    finally:
        stop.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def fetcher() -> PolicyFetcher:
    """Return a PolicyFetcher that may reach 127.0.0.1 only, with a 2 s deadline per fetch."""
    return PolicyFetcher(
        NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"})),
        Limits(fetch_timeout=2.0),
        "offer-render-tests",
    )



class RunningService:
    """A render service answering on 127.0.0.1: its ``base_url``, ``app`` and render ``pool``."""

    def __init__(self, base_url: str, app: Any) -> None:
        self.base_url = base_url
        self.app = app
        self.pool = app.state.pool

    def url(self, path: str) -> str:
        """Return the absolute URL of ``path`` on the service."""
        return self.base_url + path


@contextmanager
def running_service(**settings: Any) -> Iterator[RunningService]:
    """Run the render service (real uvicorn, real worker processes) on a free loopback port.

    ``settings`` are :class:`~offer_render.service.settings.ServiceSettings` fields; the
    defaults here are one worker, the local test server's host allowed, and a private
    download cache. The server runs in a thread of this process, so a test can reach
    its pool; it is stopped (and its workers with it) when the block ends.
    """
    import uvicorn

    from offer_render.service.app import create_app, start_pool
    from offer_render.service.server import listen
    from offer_render.service.settings import ServiceSettings

    given: dict[str, Any] = {"workers": 1, "allow_hosts": ("127.0.0.1",), "port": 0, **settings}
    config = ServiceSettings(**given)
    sock = listen("127.0.0.1", 0)
    app = create_app(config, pool=start_pool(config))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", access_log=False,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name="test-render-service")
    thread.start()
    end = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "the service stopped while starting"
        assert time.monotonic() < end, "the service did not start in 30 s"
        time.sleep(0.02)
    try:
        yield RunningService(f"http://127.0.0.1:{sock.getsockname()[1]}", app)
    finally:
        server.should_exit = True
        thread.join(30)


@pytest.fixture(scope="module")
def render_service(http_server: LocalServer, tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[RunningService]:
    """Run one render service for a test module: two workers, a backlog of four, a 64 KiB
    body limit, a 20 s deadline, fonts and backgrounds from ``http_server``."""
    cache = tmp_path_factory.mktemp("service-cache")
    with running_service(workers=2, backlog=4, max_body=64 * 1024, render_timeout=20,
                         cache_dir=cache) as service:
        yield service


# -- job queue and storage servers (tests/test_jobs*.py) ------------------------------


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _required(what: str, fix: str) -> None:
    """Skip the test without ``what``, except in CI (``.ci/run`` installs it), where it fails."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing: {fix}")
    pytest.skip(f"{what} is missing ({fix}; CI installs it and runs this)")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Run Debian's ``redis-server`` on a free loopback port for the session (no persistence);
    yield its URL without a database number (``redis://127.0.0.1:PORT``)."""
    import shutil

    exe = shutil.which("redis-server")
    if exe is None:
        _required("redis-server", "apt-get install redis-server")
    try:
        import redis  # noqa: F401
    except ImportError:
        _required("the redis package", "pip install -e '.[test]'")
    from tests.helpers.redisserver import running_redis

    with running_redis(str(exe), tmp_path_factory.mktemp("redis")) as url:
        yield url


class S3Server:
    """An S3-compatible server on loopback (moto in server mode): its endpoint, the AWS
    variables that point boto and s3fs at it, and a boto3 client."""

    def __init__(self, endpoint: str, env: dict[str, str], client: Any) -> None:
        self.endpoint = endpoint
        self.env = env
        self.client = client

    def bucket(self, name: str) -> str:
        """Create bucket ``name`` (if new) and return it."""
        try:
            self.client.create_bucket(Bucket=name)
        except self.client.exceptions.BucketAlreadyOwnedByYou:
            pass
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Return the object keys under ``prefix``, sorted."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                                      Prefix=prefix)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """Run moto's S3 server (``ThreadedMotoServer``, as s3fs tests itself) on a free loopback
    port for the session, with the standard AWS variables pointing at it in this process."""
    try:
        import boto3
        from moto.server import ThreadedMotoServer
    except ImportError:
        _required("moto and boto3", "pip install -e '.[test]'")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    previous = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield S3Server(endpoint, env, boto3.client("s3", endpoint_url=endpoint))
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.stop()


def wait_for(condition: Any, what: str, timeout: float = 90.0) -> Any:
    """Return ``condition()`` once it is truthy, polling; fail naming ``what`` after
    ``timeout`` seconds (a bound on a hang, generous for a loaded machine, not a
    measurement)."""
    end = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            msg = f"timed out waiting for {what}"
            raise AssertionError(msg)
        time.sleep(0.05)
