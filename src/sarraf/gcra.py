"""The generic cell rate algorithm: the arithmetic (`next_slot`) and the in-process keyed limiter built on it
(`RateLimiter`). Shared by the channels' send quotas (in process, or over NATS with this limiter as the
fallback) and the alert delivery worker's per-channel and per-customer limits, which may not import each other.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Quota:
    per_second: float
    burst: int = 1

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError("a rate limit needs a positive rate and a burst of at least 1")

    @property
    def interval(self) -> float:
        return 1.0 / self.per_second

    @property
    def tolerance(self) -> float:
        return self.interval * (self.burst - 1)


def next_slot(theoretical: float | None, now: float, quota: Quota) -> tuple[float, float]:
    """GCRA: from a key's theoretical arrival time (None: never seen or forgotten), book its next call.

    Returns (seconds to wait before the booked call, the key's new theoretical arrival time). A call is always
    booked, even one that must wait: callers queue behind each other instead of retrying.
    """
    arrival = now if theoretical is None else max(theoretical, now)
    start = max(now, arrival - quota.tolerance)
    return start - now, arrival + quota.interval


class _Reserving(Protocol):
    async def reserve(self, key: str) -> float: ...


Sleep = Callable[[float], Awaitable[None]]


async def wait_for_slot(limiter: _Reserving, key: str, sleep: Sleep = asyncio.sleep) -> None:
    wait = await limiter.reserve(key)
    if wait > 0:
        await sleep(wait)


class RateLimiter:
    """The embedded limiter: GCRA state in this process's memory. Keys that fell idle are forgotten, so memory
    follows the number of busy chats, not all chats ever seen."""

    def __init__(self, per_second: float, burst: int = 1, clock: Callable[[], float] = time.monotonic,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.quota = Quota(per_second, burst)
        self._clock = clock
        self._sleep = sleep  # waits in `clock`'s time: tests give a virtual clock and its sleep together
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
        await wait_for_slot(self, key, self._sleep)

    def _forget_idle(self, now: float) -> None:
        # A theoretical arrival time in the past books exactly like no state at all (see next_slot).
        for key in [k for k, at in self._next.items() if at < now]:
            del self._next[key]
