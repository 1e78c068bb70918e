"""Send quotas shared by replicas through NATS JetStream: two replicas keep one quota, races are retried, and
an unreachable NATS falls back to limiting in process."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.channels.platform_http import RetryPolicy
from sarraf.channels.ratelimit import LocalRateLimits, RateLimiter
from sarraf.channels.ratelimit_nats import NatsRateLimiter, NatsRateLimits
from sarraf.channels.registry import open_rate_limits
from sarraf.channels.telegram import DeepLinks, TelegramAccount, TelegramChannel
from sarraf.config import load_settings
from sarraf.domain.messages import Outbound
from sarraf.store.channel_state import SqlDeepLinkStore
from tests.channels.fake_platform import FakePlatform
from tests.channels.nats_support import NATS_URL, closed_port, delete_bucket, replica, run_bucket
from tests.support.clock import VirtualClock


@pytest.fixture(scope="module")
def bucket() -> Iterator[str]:
    name = run_bucket()
    yield name
    delete_bucket(name)


def most_in_any_window(starts: list[float], window: float) -> int:
    ordered = sorted(starts)
    return max(sum(1 for t in ordered[i:] if t <= start + window) for i, start in enumerate(ordered))


async def test_two_replicas_together_keep_one_quota(bucket: str) -> None:
    clock = VirtualClock()
    first, second = await replica(bucket, clock), await replica(bucket, clock)
    scope, rate, burst = f"page-{uuid.uuid4().hex}", 20.0, 4
    alone = RateLimiter(rate, burst, clock=clock)  # one process alone, for comparison
    try:
        limiters = [first.limiter(scope, rate, burst), second.limiter(scope, rate, burst)]
        sends, expected = [], []
        for _ in range(3):  # three rounds of both replicas sending at once, half a second apart
            waits = await asyncio.gather(*(limiter.reserve("page-1") for limiter in limiters for _ in range(15)))
            sends += [clock.now + wait for wait in waits]
            expected += [clock.now + alone.book("page-1") for _ in range(30)]
            clock.advance(0.5)
        for window in (0.0, 0.25, 1.0, 2.0):
            assert most_in_any_window(sends, window) <= burst + window * rate + 1e-9
        # Together they get exactly the slots one process would have booked: the quota, no more, no less.
        assert sorted(sends) == pytest.approx(sorted(expected))
        assert all(limiter.fallbacks == 0 for limiter in limiters)
    finally:
        await first.close()
        await second.close()


async def test_lost_races_are_retried_so_no_slot_is_given_twice(bucket: str) -> None:
    clock = VirtualClock()
    replicas = [await replica(bucket, clock) for _ in range(4)]
    scope, rate = f"chat-{uuid.uuid4().hex}", 10.0
    try:
        limiters = [limits.limiter(scope, rate) for limits in replicas]
        waits = await asyncio.gather(*(limiter.reserve("hot") for limiter in limiters for _ in range(25)))
        # 100 bookings at one instant, one a tenth of a second apart: each slot exactly once.
        assert sorted(waits) == pytest.approx([k / rate for k in range(100)])
        assert sum(limiter.conflicts for limiter in limiters) > 0  # the races did happen, and were retried
        assert all(limiter.fallbacks == 0 for limiter in limiters)
    finally:
        for limits in replicas:
            await limits.close()


async def test_unreachable_nats_falls_back_to_limiting_in_process(caplog: pytest.LogCaptureFixture) -> None:
    clock = VirtualClock()
    caplog.set_level(logging.WARNING, logger="sarraf.channels.ratelimit_nats")
    async with asyncio.timeout(30):  # a guard, not a measurement: start-up and sends must never hang on NATS
        limits = await replica(run_bucket(), clock, url=f"nats://127.0.0.1:{closed_port()}", connect_wait=0.2)
        limiter = limits.limiter("telegram/sandbox/chat", 1, burst=2)
        waits = [await limiter.reserve("9") for _ in range(4)] + [await limiter.reserve("10")]
    try:
        assert waits == [0.0, 0.0, 1.0, 2.0, 0.0]  # still limited, per process
        assert limiter.fallbacks == 5 and not limits.connected
        assert len(caplog.records) == 1 and "unavailable" in caplog.records[0].getMessage()
    finally:
        await limits.close()


async def test_a_failing_store_mid_run_falls_back_and_logs_once(caplog: pytest.LogCaptureFixture) -> None:
    clock, own_bucket = VirtualClock(), run_bucket()
    caplog.set_level(logging.WARNING, logger="sarraf.channels.ratelimit_nats")
    limits = await replica(own_bucket, clock)
    try:
        limiter = limits.limiter("whatsapp/sandbox/number", 1)
        assert await limiter.reserve("n") == 0.0 and limiter.fallbacks == 0
        await asyncio.to_thread(delete_bucket, own_bucket)  # the store disappears under a connected replica
        waits = [await limiter.reserve("n") for _ in range(3)]
        assert waits == [0.0, 1.0, 2.0] and limiter.fallbacks == 3
        assert len(caplog.records) == 1
    finally:
        await limits.close()


async def test_settings_choose_the_limiter(monkeypatch: pytest.MonkeyPatch, bucket: str) -> None:
    monkeypatch.setenv("SARRAF_NATS_URL", NATS_URL)
    assert load_settings().nats_url == NATS_URL
    monkeypatch.delenv("SARRAF_NATS_URL")
    assert load_settings().nats_url is None
    assert isinstance(await open_rate_limits(None), LocalRateLimits)
    shared = await open_rate_limits(NATS_URL, bucket=bucket)
    try:
        assert isinstance(shared, NatsRateLimits)
        async with asyncio.timeout(30):  # a guard: start() waits 2 s, which a busy machine may need more than
            while not shared.connected:
                await asyncio.sleep(0.01)
        assert isinstance(shared.limiter("messenger/sandbox/page", 300, 300), NatsRateLimiter)
    finally:
        await shared.close()


async def test_two_telegram_replicas_pace_one_chat_together(
    bucket: str, platform: tuple[FakePlatform, str], http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    fake, url = platform
    chat = str(uuid.uuid4().int % 10**9)
    # Time stands still and every wait is recorded instead of slept: each booked slot is then exactly the
    # instant plus its wait, whatever order the replicas' tasks run in on a busy machine.
    clock, waits = VirtualClock(), []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(0)

    replicas = [await replica(bucket, clock, sleep=sleep) for _ in range(2)]
    try:
        channels = [TelegramChannel({"sandbox": TelegramAccount("sandbox", "1:T", "s", api_url=url)}, "sandbox", http,
                                    RetryPolicy(attempts=1), per_chat_per_second=5,
                                    links=DeepLinks(SqlDeepLinkStore(engine)), limits=limits)
                    for limits in replicas]
        await asyncio.gather(*(channel.deliver(chat, [Outbound(f"{i}", "en"), Outbound(f"{i}.", "en")])
                               for i, channel in enumerate(channels)))
        assert len(fake.calls) == 4
        # 5 a second across both replicas: four sends booked 0.2 s apart (alone, each would book 0 and 0.2)
        assert sorted(waits) == pytest.approx([0.2, 0.4, 0.6])
        assert all(limits.connected for limits in replicas)
    finally:
        for limits in replicas:
            await limits.close()
