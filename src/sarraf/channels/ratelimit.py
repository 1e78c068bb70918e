"""A keyed rate limiter (generic cell rate algorithm) for platform send quotas.

One limiter per quota: per Messenger page (300 calls/s), per WhatsApp number, per Telegram chat (about one
message a second). `acquire(key)` waits until the key may send again; keys that fell idle are forgotten so
memory follows the number of busy chats, not all chats ever seen.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class RateLimiter:
    def __init__(self, per_second: float, burst: int = 1, clock: Callable[[], float] = time.monotonic) -> None:
        if per_second <= 0 or burst < 1:
            raise ValueError("a rate limit needs a positive rate and a burst of at least 1")
        self._interval = 1.0 / per_second
        self._tolerance = self._interval * (burst - 1)
        self._clock = clock
        self._next: dict[str, float] = {}  # key → theoretical arrival time of its next call
        self._calls = 0

    def reserve(self, key: str) -> float:
        """Book the next slot for `key`; returns how many seconds to wait before using it."""
        now = self._clock()
        theoretical = max(self._next.get(key, now), now)
        start = max(now, theoretical - self._tolerance)
        self._next[key] = theoretical + self._interval
        self._calls += 1
        if self._calls % 1024 == 0:
            self._forget_idle(now)
        return start - now

    async def acquire(self, key: str) -> None:
        wait = self.reserve(key)
        if wait > 0:
            await asyncio.sleep(wait)

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, at in self._next.items() if at < now]:
            del self._next[key]
