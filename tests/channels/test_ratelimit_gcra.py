"""The GCRA maths, the same for the in-process limiter and the one shared through NATS JetStream."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sarraf.channels.ratelimit import Quota, RateLimiter, SendRateLimiter, next_slot
from sarraf.channels.ratelimit_nats import NatsRateLimiter, kv_key
from tests.channels.nats_support import delete_bucket, replica, run_bucket
from tests.support.clock import VirtualClock

# (seconds the clock moves before the call, key): a burst of 3 at 2 a second, then an idle spell.
SCRIPT = [(0.0, "a"), (0.0, "a"), (0.0, "a"), (0.0, "a"), (0.0, "a"), (0.0, "b"), (0.25, "a"), (10.0, "a")]
EXPECTED = [0.0, 0.0, 0.0, 0.5, 1.0, 0.0, 1.25, 0.0]


@pytest.fixture(scope="module")
def bucket() -> Iterator[str]:
    name = run_bucket()
    yield name
    delete_bucket(name)


async def play(limiter: SendRateLimiter, clock: VirtualClock, script: list[tuple[float, str]]) -> list[float]:
    waits = []
    for advance, key in script:
        clock.advance(advance)
        waits.append(await limiter.reserve(key))
    return waits


def test_next_slot_books_a_burst_then_one_interval_apart() -> None:
    quota = Quota(2, burst=3)
    theoretical, waits = None, []
    for _ in range(5):
        wait, theoretical = next_slot(theoretical, 100.0, quota)
        waits.append(wait)
    assert waits == [0.0, 0.0, 0.0, 0.5, 1.0] and theoretical == 102.5
    assert next_slot(50.0, 100.0, quota) == next_slot(None, 100.0, quota) == (0.0, 100.5)


def test_a_quota_needs_a_positive_rate_and_a_burst() -> None:
    with pytest.raises(ValueError):
        Quota(0)
    with pytest.raises(ValueError):
        RateLimiter(1, burst=0)


async def test_in_process_limiter_follows_the_script() -> None:
    clock = VirtualClock()
    assert await play(RateLimiter(2, burst=3, clock=clock), clock, SCRIPT) == pytest.approx(EXPECTED)


async def test_shared_limiter_follows_the_script(bucket: str) -> None:
    clock = VirtualClock()
    limits = await replica(bucket, clock)
    try:
        limiter = limits.limiter(f"script-{uuid.uuid4().hex}", 2, burst=3)
        assert await play(limiter, clock, SCRIPT) == pytest.approx(EXPECTED)
        assert limiter.fallbacks == 0
    finally:
        await limits.close()


steps = st.lists(st.tuples(st.sampled_from([0.0, 0.0, 0.01, 0.1, 0.5, 3.0]) | st.floats(0, 2),
                           st.sampled_from(["chat-1", "chat-2", "callback:x y"])), min_size=1, max_size=25)


@settings(max_examples=25, deadline=None)
@given(per_second=st.floats(0.5, 50), burst=st.integers(1, 5), script=steps)
def test_both_limiters_give_the_same_answers(bucket: str, per_second: float, burst: int,
                                             script: list[tuple[float, str]]) -> None:
    """Differential: the same calls at the same times get the same waits, to the last bit."""

    async def compare() -> tuple[list[float], list[float], NatsRateLimiter]:
        local_clock, shared_clock = VirtualClock(), VirtualClock()
        limits = await replica(bucket, shared_clock)
        try:
            shared = limits.limiter(f"differential-{uuid.uuid4().hex}", per_second, burst)
            return (await play(RateLimiter(per_second, burst, clock=local_clock), local_clock, script),
                    await play(shared, shared_clock, script), shared)
        finally:
            await limits.close()

    local, remote, shared = asyncio.run(compare())
    assert local == remote and shared.fallbacks == 0


@given(st.text(max_size=12), st.text(max_size=12), st.text(max_size=12), st.text(max_size=12))
def test_kv_keys_are_valid_and_never_confuse_two_pairs(scope: str, key: str, scope2: str, key2: str) -> None:
    first, second = kv_key(scope, key), kv_key(scope2, key2)
    assert all(c.isascii() and (c.isalnum() or c in "-/_=.") for c in first)
    assert (first == second) == ((scope, key) == (scope2, key2))


def test_kv_keys_stay_readable_when_they_can() -> None:
    assert kv_key("telegram/sandbox/chat", "-100123") == "telegram/sandbox/chat.-100123"
    assert kv_key("telegram/bot", "callback:1") == "telegram/bot.=Y2FsbGJhY2s6MQ"
