"""Wakes the agents' live streams (the queue, a transcript) of this process when the desk changed something here;
streams also look again every few seconds for changes other replicas made."""

from __future__ import annotations

import asyncio
import contextlib


class Changes:
    """Wakes the live streams of this process when the queue or a transcript changed here."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)
