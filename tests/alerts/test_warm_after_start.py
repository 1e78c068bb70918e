"""Routing's warm-up (reply catalogue, CLDR data) runs after start() returns, off the event loop, before the
first routing round; the gateway's heap is settled once it is done (web/app.py)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
from collections.abc import AsyncIterator
from typing import Any, cast

from sarraf.alerts.router import AlertRouter
from sarraf.alerts.runtime import AlertRuntime
from sarraf.web.app import _settle_when_warm


class SlowWarmRouter:
    """Records where warm() ran and that no routing round came before it."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.warmed_on: threading.Thread | None = None
        self.rounds_before_warm = 0
        self.rounds = 0

    def warm(self) -> None:
        self.release.wait(5)
        self.warmed_on = threading.current_thread()

    @contextlib.asynccontextmanager
    async def arrivals(self, wake: asyncio.Event) -> AsyncIterator[bool]:
        yield False

    async def route_pending(self, **_: Any) -> int:
        if self.warmed_on is None:
            self.rounds_before_warm += 1
        self.rounds += 1
        return 0


async def test_start_returns_before_the_warm_up_and_routing_waits_for_it() -> None:
    router = SlowWarmRouter()
    runtime = AlertRuntime(cast(AlertRouter, router), None, None, route_idle_s=0.01)
    await runtime.start()  # returns although warm() is still blocked: the gateway starts listening now
    await asyncio.sleep(0.05)
    assert not runtime.warmed.is_set() and router.rounds == 0
    router.release.set()
    await asyncio.wait_for(runtime.warmed.wait(), 5)
    assert router.warmed_on is not threading.main_thread()  # not on the event loop's thread
    while router.rounds == 0:
        await asyncio.sleep(0.01)
    assert router.rounds_before_warm == 0
    await runtime.stop()


async def test_a_runtime_without_routing_is_warm_at_once() -> None:
    runtime = AlertRuntime(None, None, None)
    await runtime.start()
    assert runtime.warmed.is_set()
    await runtime.stop()


async def test_the_heap_is_settled_once_warm() -> None:
    warmed = asyncio.Event()
    settling = asyncio.create_task(_settle_when_warm(warmed, delay_s=0.05))
    await asyncio.sleep(0.01)
    try:
        assert not settling.done()
        warmed.set()
        await asyncio.sleep(0.01)
        assert not settling.done()  # waits a moment more: not while a fresh gateway's first requests come in
        await asyncio.wait_for(settling, 30)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # this test process goes on building and dropping apps
