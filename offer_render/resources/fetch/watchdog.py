"""Hold a fetch to its total deadline: take the per-fetch limit, shut its sockets down at it.

A server that drips headers or body one byte at a time never trips a socket
timeout, so a timer shuts the fetch's sockets down at the deadline and the blocked
read returns. Within a render's budget (:mod:`offer_render.resources.deadline`)
the deadline is cut to what is left of it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from urllib3.connection import HTTPConnection

from offer_render.errors import ResourceError
from offer_render.resources.deadline import time_left


@dataclass(eq=False)
class FetchContext:
    """Per-fetch state the watchdog uses: sockets in use, whether the deadline passed."""

    deadline: float
    """``time.monotonic()`` at which the fetch is cut."""
    timeout: float = 0.0
    """Seconds the fetch was given (for messages)."""
    render_deadline: bool = False
    """The render's budget, not the per-fetch limit, set ``deadline``."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    socks: list[socket.socket] = field(default_factory=list)
    done: bool = False
    expired: bool = False

    def watch(self, sock: socket.socket | None) -> None:
        """Remember ``sock`` so it is shut down if the deadline passes."""
        if sock is None:
            return
        with self.lock:
            if not any(s is sock for s in self.socks):
                self.socks.append(sock)

    def fire(self) -> None:
        """Shut down every watched socket: blocked reads in the fetching thread return."""
        with self.lock:
            if self.done:
                return
            self.expired = True
            for sock in self.socks:
                # socket.socket.shutdown on the fd directly: SSLSocket.shutdown would also
                # drop its SSL object under the reading thread's feet. A socket closed
                # since has fileno -1, so a reused descriptor is never touched.
                try:
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
                except OSError:
                    pass

    def passed(self) -> bool:
        """Say whether the deadline has passed (or the watchdog fired)."""
        return self.expired or time.monotonic() >= self.deadline

    def timed_out(self) -> str:
        """Return the reason a fetch cut at this deadline gives."""
        if self.render_deadline:
            return f"timed out after {self.timeout:g} s (what was left of the render's deadline)"
        return f"timed out after {self.timeout:g} s (total deadline per fetch)"


_ACTIVE = threading.local()
"""``_ACTIVE.ctx``: the :class:`FetchContext` of the fetch running in this thread."""


@contextmanager
def fetch_deadline(url: str, fetch_timeout: float) -> Iterator[FetchContext]:
    """Run the body as one fetch of ``url`` with a watchdog ``fetch_timeout`` seconds away.

    The timeout is cut to what is left of the render's budget; with nothing left the
    fetch is refused before it starts (a transient ResourceError: a stored copy may
    stand in).
    """
    timeout = fetch_timeout
    left = time_left()
    if left is not None and left <= 0:
        raise ResourceError(url, "not fetched: the render's deadline has passed", transient=True)
    capped = left is not None and left < timeout
    if left is not None and capped:
        timeout = left
    ctx = FetchContext(deadline=time.monotonic() + timeout, timeout=timeout,
                       render_deadline=capped)
    timer = threading.Timer(timeout, ctx.fire)
    timer.daemon = True
    previous = getattr(_ACTIVE, "ctx", None)
    _ACTIVE.ctx = ctx
    timer.start()
    try:
        yield ctx
    finally:
        with ctx.lock:
            ctx.done = True
        timer.cancel()
        _ACTIVE.ctx = previous


def watch_current(conn: HTTPConnection) -> None:
    """Put ``conn``'s socket under the watchdog of the fetch running in this thread.

    Called before the request is sent and before the response is read: http.client
    drops ``conn.sock`` once a close-delimited response has started, so the socket
    is captured while it is still there.
    """
    ctx: FetchContext | None = getattr(_ACTIVE, "ctx", None)
    if ctx is not None:
        ctx.watch(conn.sock)
