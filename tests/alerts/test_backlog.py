"""Back-pressure between intake and routing: waits while the router is behind, never refuses, never hangs."""

from __future__ import annotations

import asyncio

from sarraf.alerts.intake import Backlog


async def test_admission_waits_for_room_and_resumes_on_release() -> None:
    backlog = Backlog(limit=10, max_wait_s=5.0)
    await backlog.admit(10)
    waiting = asyncio.create_task(backlog.admit(4))
    await asyncio.sleep(0.05)
    assert not waiting.done(), "a full backlog holds the next request back"
    backlog.release(3)
    await asyncio.wait_for(waiting, 30)  # a guard against hanging, not a measurement
    assert backlog.pending == 11


async def test_a_stalled_router_delays_but_never_blocks_intake() -> None:
    backlog = Backlog(limit=1, max_wait_s=0.1)
    await backlog.admit(1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with asyncio.timeout(30):  # never blocks: a guard, not a measurement (a busy machine is slow)
        await backlog.admit(5)
    assert loop.time() - started >= 0.09  # it did wait for the router, up to max_wait_s
    assert backlog.pending == 6


def test_release_never_goes_below_zero() -> None:
    backlog = Backlog(limit=2)
    backlog.release(7)  # rows accepted before a restart are routed too
    assert backlog.pending == 0


async def test_routing_in_another_process_is_followed_through_the_store_count() -> None:
    backlog = Backlog(limit=10, max_wait_s=5.0)
    await backlog.admit(6)
    backlog.settled(6)  # committed: the store's count covers them now
    await backlog.admit(4)  # still being verified: not in the store yet
    waiting = asyncio.create_task(backlog.admit(2))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    backlog.observe(6)  # the other process has routed nothing yet
    await asyncio.sleep(0.05)
    assert not waiting.done(), "requests in flight count with the stored rows"
    backlog.observe(1)  # it routed five
    await asyncio.wait_for(waiting, 30)  # a guard against hanging, not a measurement
    assert backlog.pending == 7
