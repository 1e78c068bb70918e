"""Delivery workers in several processes keep one per-customer rate when their limits are shared (NATS at
127.0.0.1:4222, as replicas share the platforms' quotas); each alone would let every worker send at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from sarraf.alerts.delivery import DeliveryPolicy, DeliveryWorker
from sarraf.alerts.ports import Job, PaceLimiter, PaceLimits
from sarraf.alerts.render import to_json
from sarraf.channels.ratelimit import LocalRateLimits
from sarraf.domain.messages import Outbound
from tests.channels.nats_support import delete_bucket, replica, run_bucket
from tests.support.clock import VirtualClock

RATE, BURST, SENDS = 10.0, 1, 8


@pytest.fixture
def bucket() -> Iterator[str]:
    name = run_bucket()
    yield name
    delete_bucket(name)


class Batch:
    def __init__(self, jobs: Sequence[Job]) -> None:
        self.jobs = list(jobs)
        self.done: list[int] = []

    def sent(self, job: Job, handed_over: Sequence[dict[str, Any]] = (), platform_ids: Sequence[str] = ()) -> None:
        self.done.append(job.row_id)

    def retry(self, job: Job, at: datetime, error: str) -> None:
        raise AssertionError(error)

    def dead(self, job: Job, reason: str) -> None:
        raise AssertionError(reason)


class OneAlertEach:
    """Each claim hands out the customer's next alert (the outbox gives a customer's alerts one at a time)."""

    def __init__(self, first_id: int) -> None:
        self.next_id = first_id

    @asynccontextmanager
    async def claim(self, limit: int, now: datetime) -> AsyncIterator[Batch]:
        messages = to_json([Outbound(f"alert {self.next_id}", "en")])
        yield Batch([Job(self.next_id, "bank", f"e{self.next_id}", "cust-1", "telegram", "42", messages, 0,
                         datetime.now(UTC))])
        self.next_id += 2


class WaitsInVirtualTime:
    """The limits a worker is given, with every wait they ask for spent on the virtual clock instead: the worker
    sends at once, at the virtual instant of its booked slot, however slowly this machine runs it."""

    def __init__(self, limits: PaceLimits, clock: VirtualClock) -> None:
        self._limits = limits
        self._clock = clock

    def limiter(self, scope: str, per_second: float, burst: int = 1) -> PaceLimiter:
        return _VirtualWait(self._limits.limiter(scope, per_second, burst), self._clock)


class _VirtualWait:
    def __init__(self, limiter: PaceLimiter, clock: VirtualClock) -> None:
        self._limiter = limiter
        self._clock = clock

    async def reserve(self, key: str) -> float:
        booked = self._clock() + await self._limiter.reserve(key)
        self._clock.now = max(self._clock.now, booked)
        return 0.0


class Platform:
    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.at: list[float] = []

    def pull(self, channel: str) -> bool:
        return False

    def render_pull(self, channel: str, messages: list[Outbound]) -> list[dict[str, Any]]:
        raise AssertionError("a push channel")

    async def send(self, channel: str, sender: str, messages: list[Outbound]) -> list[str]:
        self.at.append(self.clock())
        return []


async def test_two_workers_sharing_limits_keep_one_customer_rate(bucket: str) -> None:
    clock = VirtualClock()
    platform = Platform(clock)
    policy = DeliveryPolicy(customer_per_second=RATE, customer_burst=BURST, channel_per_second={"telegram": 1e6})
    first, second = await replica(bucket, clock), await replica(bucket, clock)
    try:
        workers = [DeliveryWorker(OneAlertEach(start), platform, policy,  # type: ignore[arg-type]
                                  pace=WaitsInVirtualTime(limits, clock))
                   for start, limits in ((1, first), (2, second))]
        for _ in range(SENDS // 2):
            for worker in workers:  # the customer's alerts alternate between the two workers
                assert await worker.run_once() == 1
        assert all(limits.connected for limits in (first, second)), "the limits were shared, not local"
    finally:
        await first.close()
        await second.close()
    # One customer rate across both workers: each send one interval after the one before, whichever worker sent it.
    start = platform.at[0]
    assert [at - start for at in platform.at] == pytest.approx([k / RATE for k in range(SENDS)])


async def test_unshared_limits_are_per_worker() -> None:
    """Without shared limits each worker keeps its own count (the embedded default: one worker)."""
    clock = VirtualClock()
    platform = Platform(clock)
    policy = DeliveryPolicy(customer_per_second=RATE, customer_burst=BURST, channel_per_second={"telegram": 1e6})
    workers = [DeliveryWorker(OneAlertEach(start), platform, policy,  # type: ignore[arg-type]
                              pace=WaitsInVirtualTime(LocalRateLimits(clock=clock), clock)) for start in (1, 2)]
    for worker in workers:
        assert await worker.run_once() == 1
    assert platform.at[1] == platform.at[0], "two workers, two separate counts: neither waits for the other"
