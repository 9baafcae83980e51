"""Turn Ctrl-C and SIGTERM into one clean stop: take signals, raise Interrupted at safe points.

The signal handler only notes the signal; the driver calls :meth:`InterruptGuard.check`
between steps (after a wait, after writing an image and its manifest line), so a
stop never lands inside a lock of the process pool or in the middle of a write.
A second signal while stopping exits at once: what it may leave (a temp file, a
partial manifest line) the next run cleans up.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType
from typing import Any


class Interrupted(KeyboardInterrupt):
    """The batch was stopped by a signal (``signum``); the CLI exits with 128 + signum."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class InterruptGuard:
    """Install SIGINT and SIGTERM handlers for a run (main thread only; else a no-op)."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._old: dict[int, Any] = {}

    def __enter__(self) -> InterruptGuard:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._old[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, old in self._old.items():
            signal.signal(signum, old)
        self._old.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is not None:  # the second signal: stop now
            sys.stderr.write("offer-render: stopped at once; the next run cleans up\n")
            sys.stderr.flush()
            os._exit(128 + signum)
        self.signum = signum

    def check(self) -> None:
        """Raise Interrupted if a signal came since the run started."""
        if self.signum is not None:
            raise Interrupted(self.signum)
