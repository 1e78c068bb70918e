"""AlertRuntime: the alert loops of one gateway process — routing, delivery, fraud escalation, polling.

Started and stopped by the web app's lifespan. On PostgreSQL more delivery workers may run as separate
processes (`sarraf alerts worker`); routing stays here, in the process that writes the audit log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sarraf.alerts.delivery import DeliveryWorker
from sarraf.alerts.fraud import FraudDesk
from sarraf.alerts.intake import Backlog
from sarraf.alerts.polling import EventPoller
from sarraf.alerts.router import AlertRouter

log = logging.getLogger(__name__)


class AlertRuntime:
    def __init__(self, router: AlertRouter, worker: DeliveryWorker | None, fraud: FraudDesk,
                 poller: EventPoller | None = None, *, route_idle_s: float = 0.02,
                 fraud_interval_s: float = 1.0, batch_window_s: float = 0.002,
                 backlog: Backlog | None = None) -> None:
        self.router = router
        self.worker = worker
        self.fraud = fraud
        self.poller = poller
        self._route_idle_s = route_idle_s
        self._fraud_interval_s = fraud_interval_s
        self._batch_window_s = batch_window_s
        self.backlog = backlog
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.arrived = asyncio.Event()  # set by intake: routing starts at once instead of at the next poll

    def notify(self) -> None:
        self.arrived.set()

    async def _route(self) -> None:
        while not self._stop.is_set():
            try:
                handled = await self.router.route_pending()
            except Exception:
                log.exception("alert routing round failed")
                handled = 0
            if handled:
                if self.backlog is not None:
                    self.backlog.release(handled)
                if self.worker is not None:
                    self.worker.wake.set()
                continue
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), self._route_idle_s)
            # Let the events arriving together gather: one routing transaction for many, not one each.
            await asyncio.sleep(self._batch_window_s)

    async def start(self) -> None:
        self._stop.clear()
        self._tasks = [asyncio.create_task(self._route(), name="alerts-route"),
                       asyncio.create_task(self.fraud.run(self._stop, self._fraud_interval_s), name="alerts-fraud")]
        if self.worker is not None:
            self._tasks.append(asyncio.create_task(self.worker.run(self._stop), name="alerts-deliver"))
        if self.poller is not None:
            self._tasks.append(asyncio.create_task(self.poller.run(self._stop), name="alerts-poll"))

    async def stop(self) -> None:
        self._stop.set()
        self.arrived.set()
        if self.worker is not None:
            self.worker.wake.set()
        for task in self._tasks:
            try:
                await asyncio.wait_for(task, 5)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
        self._tasks = []
