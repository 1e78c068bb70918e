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

from sarraf.gcra import Quota, RateLimiter, Sleep, next_slot, wait_for_slot

__all__ = ["LocalRateLimits", "Quota", "RateLimiter", "RateLimits", "SendRateLimiter", "Sleep", "next_slot",
           "wait_for_slot"]


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


class LocalRateLimits:
    """One machine: every quota counted in this process."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, sleep: Sleep = asyncio.sleep) -> None:
        self._clock = clock
        self._sleep = sleep

    def limiter(self, scope: str, per_second: float, burst: int = 1) -> RateLimiter:
        return RateLimiter(per_second, burst, clock=self._clock, sleep=self._sleep)

    async def close(self) -> None:
        return None
