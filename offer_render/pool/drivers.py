"""Watch a pool's pipes and deadlines: take the dispatcher's handles; call it back when they stir.

The dispatcher (:mod:`.dispatch`) decides; a driver waits. It waits on every worker's
pipe and exit sentinel, on a wake-up socket and on the next deadline, and hands what
became ready to :meth:`Dispatcher.run_once`, which answers how long to wait next
(None: the pool is finished).

- :class:`ThreadDriver` (the default) waits in a thread of its own, on an epoll
  selector. Any program can use it, with or without an event loop.
- :class:`LoopDriver` waits in a running asyncio loop (``loop.add_reader``), so a
  worker's answer is read, and its next task sent, by the loop's own thread. An
  asyncio server (the render service) switches to it at start-up: with a second
  thread, every answer had to wait for the loop's thread to let go of the GIL, which
  a busy loop holds for up to the interpreter's switch interval (5 ms), while the
  worker stood idle.
"""

from __future__ import annotations

import asyncio
import os
import selectors
import threading
from typing import Any, Protocol


class Dispatching(Protocol):
    """What a driver calls back: the dispatcher."""

    def run_once(self, ready: list[Any]) -> float | None:
        """Handle what became ready; return how long to wait next, None when finished."""
        ...

    def finish(self) -> None:
        """Stop the workers and release everything (called once, when finished)."""
        ...


class ThreadDriver:
    """Wait on an epoll selector in a thread of its own."""

    def __init__(self, dispatcher: Dispatching) -> None:
        self._dispatcher = dispatcher
        self._selector = selectors.DefaultSelector()
        self._handing_over = False
        self.thread = threading.Thread(target=self._run, name="offer-render-pool", daemon=True)

    def add(self, handle: Any, data: Any) -> None:
        """Watch ``handle`` (a pipe, a sentinel, a socket); ``data`` comes back when it stirs."""
        self._selector.register(handle, selectors.EVENT_READ, data)

    def remove(self, handle: Any) -> None:
        """Stop watching ``handle``."""
        try:
            self._selector.unregister(handle)
        except (KeyError, ValueError):
            pass  # never watched, or closed already

    def start(self) -> None:
        """Start the thread."""
        self.thread.start()

    def hand_over(self) -> None:
        """Make the thread stop at its next wake-up without finishing the pool (the caller
        wakes it, joins it, then takes :meth:`watched` over)."""
        self._handing_over = True

    def on_thread(self) -> bool:
        """Return whether the caller runs on the driver's thread."""
        return threading.current_thread() is self.thread

    def watched(self) -> list[tuple[Any, Any]]:
        """Return what the selector watches, as ``(handle, data)`` pairs; close it."""
        pairs = [(key.fileobj, key.data) for key in self._selector.get_map().values()]
        self._selector.close()
        return pairs

    def _run(self) -> None:
        timeout = self._dispatcher.run_once([])
        while timeout is not None and not self._handing_over:
            ready = [key.data for key, _ in self._selector.select(timeout)]
            timeout = self._dispatcher.run_once(ready)
        if timeout is None:
            self._selector.close()
            self._dispatcher.finish()


class LoopDriver:
    """Wait in a running asyncio loop; every call back happens on the loop's thread."""

    def __init__(self, dispatcher: Dispatching, loop: asyncio.AbstractEventLoop,
                 watched: list[tuple[Any, Any]]) -> None:
        self._dispatcher = dispatcher
        self._loop = loop
        self._timer: asyncio.TimerHandle | None = None
        self._finished = False
        self._handles: dict[int, Any] = {}
        self.thread_id = threading.get_ident()
        for handle, data in watched:
            self.add(handle, data)

    def add(self, handle: Any, data: Any) -> None:
        """Watch ``handle``; ``data`` comes back to the dispatcher when it stirs.

        The handle keeps its blocking mode: uvloop makes what it watches non-blocking,
        but the dispatcher reads a worker's answer whole once its first bytes are there.
        """
        fd = handle if isinstance(handle, int) else handle.fileno()
        blocking = os.get_blocking(fd)
        self._loop.add_reader(handle, self._ready, data)
        os.set_blocking(fd, blocking)
        self._handles[id(handle)] = handle

    def remove(self, handle: Any) -> None:
        """Stop watching ``handle``."""
        self._handles.pop(id(handle), None)
        try:
            self._loop.remove_reader(handle)
        except (OSError, ValueError):
            pass  # closed already

    def on_thread(self) -> bool:
        """Return whether the caller runs on the loop's thread."""
        return threading.get_ident() == self.thread_id

    def kick(self) -> None:
        """Run the dispatcher once now (after taking over), and plan the next wake-up."""
        self._ready(None, initial=True)

    def _ready(self, data: Any, *, initial: bool = False) -> None:
        if self._finished:
            return
        timeout = self._dispatcher.run_once([] if initial or data is _TICK else [data])
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if timeout is None:
            self._finished = True
            for handle in list(self._handles.values()):
                self.remove(handle)
            # Stopping workers waits for them to exit: not on the loop's thread.
            threading.Thread(target=self._dispatcher.finish, name="offer-render-pool-stop",
                             daemon=True).start()
            return
        self._timer = self._loop.call_later(timeout, self._ready, _TICK)


_TICK = object()
"""What a timer hands the dispatcher: nothing became ready, time passed."""
