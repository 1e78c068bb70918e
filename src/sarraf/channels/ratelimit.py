"""Keyed rate limiting (generic cell rate algorithm) for platform send quotas: the port and its embedded
implementation.

One limiter per quota: per Messenger page (300 calls/s), per WhatsApp number, per Telegram chat (about one
message a second) and per Telegram bot (30 a second). `acquire(key)` waits until the key may send again.

`SendRateLimiter` is the port the channels use; `RateLimits` builds one limiter per quota. The embedded
`LocalRateLimits` keeps GCRA state in process memory, right for one machine. Several replicas share a quota
through `sarraf.channels.ratelimit_nats` (chosen by SARRAF_NATS_URL); both run the same `next_slot` maths.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

from sarraf.gcra import Quota, next_slot


class SendRateLimiter(Protocol):
    """One quota's limiter, keyed (by chat, page, number or bot)."""

    async def reserve(self, key: str) -> float:
        """Book the next slot for `key`; returns how many seconds to wait before using it."""
        ...

    async def acquire(self, key: str) -> None:
        """Wait until `key` may send."""
        ...


class RateLimits(Protocol):
    """Where limiters come from: one process's memory, or state shared by every replica."""

    def limiter(self, scope: str, per_second: float, burst: int = 1) -> SendRateLimiter:
        """The limiter for one quota. `scope` names the quota (platform, tenant, what is counted) so that
        limiters of different quotas never share keys where their state is shared."""
        ...

    async def close(self) -> None: ...


async def wait_for_slot(limiter: SendRateLimiter, key: str) -> None:
    wait = await limiter.reserve(key)
    if wait > 0:
        await asyncio.sleep(wait)


class RateLimiter:
    """The embedded limiter: GCRA state in this process's memory. Keys that fell idle are forgotten, so memory
    follows the number of busy chats, not all chats ever seen."""

    def __init__(self, per_second: float, burst: int = 1, clock: Callable[[], float] = time.monotonic) -> None:
        self.quota = Quota(per_second, burst)
        self._clock = clock
        self._next: dict[str, float] = {}  # key → theoretical arrival time of its next call
        self._calls = 0

    def book(self, key: str) -> float:
        """`reserve` without awaiting: also the shared limiter's fallback, which must never block."""
        now = self._clock()
        wait, self._next[key] = next_slot(self._next.get(key), now, self.quota)
        self._calls += 1
        if self._calls % 1024 == 0:
            self._forget_idle(now)
        return wait

    async def reserve(self, key: str) -> float:
        return self.book(key)

    async def acquire(self, key: str) -> None:
        await wait_for_slot(self, key)

    def _forget_idle(self, now: float) -> None:
        # A theoretical arrival time in the past books exactly like no state at all (see next_slot).
        for key in [k for k, at in self._next.items() if at < now]:
            del self._next[key]


class LocalRateLimits:
    """One machine: every quota counted in this process."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock

    def limiter(self, scope: str, per_second: float, burst: int = 1) -> RateLimiter:
        return RateLimiter(per_second, burst, clock=self._clock)

    async def close(self) -> None:
        return None
