"""Take the service's settings; check them, listen, start the workers and serve with uvicorn.

What ``offer-render serve`` runs, in this order, so that each failure is one line:

1. **Refuse to listen in the open without tokens.** Any address that is not loopback
   (``0.0.0.0``, a LAN address, a name resolving to one) needs ``--token-file``, or
   ``--insecure-no-auth`` to say it is meant (for a service behind a proxy that
   authenticates). The token file is read now.
2. **Listen** on ``--host``/``--port`` (``--port 0``: a free port, printed).
3. **Start the render workers** (:func:`~offer_render.service.app.start_pool`; none
   with ``--workers 0``) and open the job queue and storage.
4. **Serve** the app with uvicorn until SIGINT or SIGTERM; then stop taking requests,
   finish those in flight (up to ``--render-timeout``), and stop the workers.

Logging: one JSON line per request on stderr (the ``offer_render.service.requests``
logger, INFO; ``-q`` turns it off), uvicorn's own start and stop lines; uvicorn's
access log is off, the JSON line replaces it.
"""

from __future__ import annotations

import ipaddress
import logging
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn

from offer_render.errors import InvalidInputError, OfferRenderError
from offer_render.service.app import create_app, start_pool
from offer_render.service.auth import read_tokens
from offer_render.service.requestlog import ACCESS_LOGGER
from offer_render.service.settings import ServiceSettings

MAX_CONNECTIONS = 1000
"""Connections uvicorn serves at once before answering 503 itself. Default: 1000, far above
what the workers and backlog take, as a bound on file descriptors."""


def check_exposure(settings: ServiceSettings) -> None:
    """Raise InvalidInputError (on ``host``) when the address is not loopback and nothing
    guards it: no token file and no ``insecure_no_auth``."""
    if settings.token_file is not None or settings.insecure_no_auth:
        return
    if not is_loopback(settings.host):
        msg = (f"{settings.host} is not a loopback address: give --token-file (every /v1 "
               "call then needs Authorization: Bearer), or --insecure-no-auth to serve "
               "without authentication")
        raise InvalidInputError([("host", msg)])


def is_loopback(host: str) -> bool:
    """Return whether every address ``host`` names is loopback (``127.0.0.0/8``, ``::1``)."""
    name = host.strip().strip("[]")
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise InvalidInputError([("host", f"cannot resolve {host}")]) from None
    return all(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]).is_loopback
               for info in infos)


def listen(host: str, port: int) -> socket.socket:
    """Return a socket bound to ``host``:``port``; raise OfferRenderError saying why not."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)  # connections wait from now on, until the server accepts them
    except OSError as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        msg = f"cannot listen on {host}:{port}: {reason}"
        raise OfferRenderError(msg) from None
    return sock


def serve(settings: ServiceSettings, *, quiet: bool = False,
          announce: Callable[[str], None] | None = None) -> None:
    """Run the service until it is told to stop (see the module docstring for the steps)."""
    check_exposure(settings)
    if settings.token_file is not None:
        read_tokens(settings.token_file)  # a bad token file stops us before anything starts
    sock = listen(settings.host, settings.port)
    port = sock.getsockname()[1]
    pool = start_pool(settings)
    try:
        app = create_app(settings, pool=pool)
    except BaseException:
        if pool is not None:
            pool.close(cancel=True)
        raise
    _log_requests(quiet)
    config = uvicorn.Config(
        app, lifespan="on", access_log=False, server_header=False,
        log_level="warning" if quiet else "info", limit_concurrency=MAX_CONNECTIONS,
        timeout_graceful_shutdown=int(settings.render_timeout) + 1,
    )
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    say = announce or _stderr
    jobs = app.state.jobs
    workers = pool.workers if pool is not None else 0
    say(f"serving on http://{host}:{port} with {workers} render workers; jobs queued in "
        f"{jobs.queue.describe()}, files to {jobs.storage.url}; API docs at /docs, the "
        "studio at /studio")
    with _stop_quietly():
        uvicorn.Server(config).run(sockets=[sock])
    say("stopped")


@contextmanager
def _stop_quietly() -> Iterator[None]:
    """Make SIGTERM and SIGINT end :func:`serve` normally (exit 0).

    uvicorn shuts down cleanly on either, then sends the signal again to the process
    (so a supervisor sees why it stopped); here both arrive as KeyboardInterrupt,
    which ends the block. Signal handlers can only be set from the main thread.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def _log_requests(quiet: bool) -> None:
    """Send the request log's JSON lines to stderr, one per line, unless ``quiet``."""
    logger = logging.getLogger(ACCESS_LOGGER)
    for old in [h for h in logger.handlers if getattr(h, "offer_render_access", False)]:
        logger.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.offer_render_access = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING if quiet else logging.INFO)
    logger.propagate = False


def _stderr(line: str) -> None:
    print(f"offer-render: {line}", file=sys.stderr, flush=True)
