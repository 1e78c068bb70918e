"""Aggregated polling (OB v4.0 POST /events): the fallback for banks that cannot push, and the catch-up
for pushes that never arrived. Acknowledges what the outbox accepted, negatively what failed verification."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from sarraf.alerts.intake import EventIntake
from sarraf.alerts.ports import EventSource

log = logging.getLogger(__name__)


class EventPoller:
    def __init__(self, source: EventSource, intake: EventIntake, tenants: Sequence[str], *,
                 interval_s: float = 5.0, max_events: int = 100) -> None:
        self._source = source
        self._intake = intake
        self._tenants = tenants
        self.interval_s = interval_s
        self._max = max_events
        self._ack: dict[str, list[str]] = {t: [] for t in tenants}
        self._errors: dict[str, dict[str, dict[str, str]]] = {t: {} for t in tenants}

    async def poll_once(self, tenant: str) -> int:
        """One round trip; returns how many SETs came. Acks go with the next request, as OB intends."""
        sets, more = await self._source.poll(tenant, self._ack[tenant], self._errors[tenant], self._max)
        self._ack[tenant], self._errors[tenant] = [], {}
        if sets:
            acked, errors = await self._intake.accept_many(tenant, sets)
            self._ack[tenant], self._errors[tenant] = acked, errors
        if not sets and not more:
            return 0
        return len(sets)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            for tenant in self._tenants:
                try:
                    while await self.poll_once(tenant):
                        pass
                except Exception:  # the bank being away is normal; the next round tries again
                    log.warning("polling events from %s failed", tenant, exc_info=True)
            try:
                await asyncio.wait_for(stop.wait(), self.interval_s)
            except TimeoutError:
                continue
