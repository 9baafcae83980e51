"""Show a batch's progress: take item statuses as they come, show a bar, log lines or nothing.

On a terminal: a tqdm bar with the rate and ETA. Otherwise (CI, a log file):
one plain line every ``interval`` seconds and one at the end. ``quiet``: nothing.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from typing import Any, TextIO

LOG_INTERVAL = 10.0
"""Seconds between plain progress lines when stderr is not a terminal. Default: 10."""


class Progress:
    """Count finished items by status and show them in the chosen way."""

    def __init__(
        self, total: int, *, mode: str = "auto", stream: TextIO | None = None,
        interval: float = LOG_INTERVAL,
    ) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        if mode == "auto":
            mode = "bar" if _isatty(self.stream) else "log"
        self.mode = mode
        self.interval = interval
        self.counts: Counter[str] = Counter()
        self.start = time.monotonic()
        self._last_log = self.start
        self._bar: Any = None
        if mode == "bar":
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="item", file=self.stream, dynamic_ncols=True,
                             smoothing=0.1, desc="offer-render batch")

    @property
    def done(self) -> int:
        """Return how many items have finished, whatever their status."""
        return sum(self.counts.values())

    def update(self, status: str) -> None:
        """Count one finished item."""
        self.counts[status] += 1
        if self._bar is not None:
            self._bar.update(1)
            if status == "error":
                self._bar.set_postfix(errors=self.counts["error"], refresh=False)
        elif self.mode == "log":
            now = time.monotonic()
            if now - self._last_log >= self.interval:
                self._last_log = now
                self._log(now)

    def close(self) -> None:
        """Finish the bar, or write the last log line."""
        if self._bar is not None:
            self._bar.close()
        elif self.mode == "log":
            self._log(time.monotonic())

    def _log(self, now: float) -> None:
        elapsed = max(now - self.start, 1e-9)
        rate = self.done / elapsed
        left = self.total - self.done
        eta = f", ETA {_clock(left / rate)}" if rate > 0 and left > 0 else ""
        pct = 100 * self.done / self.total if self.total else 100.0
        c = self.counts
        self.stream.write(
            f"offer-render batch: {self.done}/{self.total} ({pct:.0f}%): ok {c['ok']}, "
            f"skipped {c['skipped']}, error {c['error']}; {rate:.1f} items/s, "
            f"elapsed {_clock(elapsed)}{eta}\n")
        self.stream.flush()


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
