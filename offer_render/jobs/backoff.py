"""Take a retry's number and the delay settings; return how long to wait before it.

Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And
Jitter", 2015): the n-th retry waits a random time between 0 and
``min(max_delay, base * 2 ** (n - 1))``. Doubling backs off from a host or a store
that is down; the randomness spreads the retries of many jobs that failed together
(a storage outage fails every job in flight at once), so they do not come back as
one burst.
"""

from __future__ import annotations

import random


def retry_delay(retry: int, *, base: float, max_delay: float,
                rng: random.Random | None = None) -> float:
    """Return the seconds to wait before retry number ``retry`` (1 for the first)."""
    ceiling = min(max_delay, base * 2 ** max(0, retry - 1))
    return (rng or random).uniform(0, ceiling)
