"""AlertRuntime: the alert loops of one process — routing, delivery, fraud escalation, polling.

The gateway's web app starts one from its lifespan: by default it routes and delivers in-process (the
embedded default, one process on SQLite). Routing and delivery may instead run in a worker process
(`alert_loops.run_alert_worker`, `sarraf alerts worker`): the gateway's runtime then only takes events
in, and reads the store's count of unrouted rows to hold the bank back (intake.Backlog) as routing falls
behind. Routing is single-flight across processes (the outbox's routing turn), so running it in both is safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager

from sarraf.alerts.delivery import DeliveryWorker, failure_backoff
from sarraf.alerts.fraud import FraudDesk
from sarraf.alerts.intake import Backlog
from sarraf.alerts.polling import EventPoller
from sarraf.alerts.router import AlertRouter

log = logging.getLogger(__name__)
BACKLOG_POLL_S = 0.005  # only while requests wait for room; a bounded count of the unrouted rows
BACKLOG_NOTIFIED_POLL_S = 0.05  # the store says when routing commits: polling only covers a lost notice
FAST_POLL_S = 0.001
# Routing in this process is woken by every arrival here (intake, AIS polling, the payment follower: notify()) and,
# on PostgreSQL, by the store's notices of other processes' arrivals; the poll only covers arrivals in another
# process on SQLite, which that process routes itself when it can. Polling every 20 ms instead cost a turn of the
# chat a few per cent of the gateway's CPU under load (a file lock and a SELECT each time, issue #15).
ROUTE_IDLE_S = 1.0


class AlertRuntime:
    def __init__(self, router: AlertRouter | None, worker: DeliveryWorker | None, fraud: FraudDesk | None,
                 poller: EventPoller | None = None, *, route_idle_s: float = ROUTE_IDLE_S,
                 fraud_interval_s: float = 1.0, batch_window_s: float = 0.002,
                 backlog: Backlog | None = None, unrouted: Callable[[int], Awaitable[int]] | None = None,
                 routed_signal: Callable[[asyncio.Event], AbstractAsyncContextManager[bool]] | None = None) -> None:
        self.router = router
        self.worker = worker
        self.fraud = fraud
        self.poller = poller
        self._route_idle_s = route_idle_s
        self._fraud_interval_s = fraud_interval_s
        self._batch_window_s = batch_window_s
        self.backlog = backlog
        self._unrouted = unrouted  # routing elsewhere: the store's count feeds the backlog
        self._routed_signal = routed_signal  # and its notice that a routing round committed, where it has one
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.arrived = asyncio.Event()  # set by intake: routing starts at once instead of at the next poll
        self.failing: dict[str, str] = {}  # component → its last error, while its rounds keep failing
        self.warmed = asyncio.Event()  # set once routing's reply catalogue and CLDR data are loaded (or not needed)

    def health(self) -> dict[str, str]:
        """Each alert task: "running", "failing: <error>" or "stopped" (for /readyz)."""
        failing = dict(self.failing)
        if self.worker is not None and self.worker.failing:
            failing["delivery"] = self.worker.failing
        found: dict[str, str] = {}
        for task in self._tasks:
            name = task.get_name().removeprefix("alerts-")
            component = {"route": "routing", "deliver": "delivery"}.get(name, name)
            found[component] = "stopped" if task.done() else (
                f"failing: {failing[component]}" if component in failing else "running")
        return found

    def notify(self) -> None:
        self.arrived.set()

    async def _route(self, router: AlertRouter) -> None:
        # Loaded here, before the first batch, in a thread: start() and so a gateway's start-up (it listens
        # only once start() returns) no longer wait the ~0.3-0.5 s for data the first chat reply does not need.
        await asyncio.to_thread(router.warm)
        self.warmed.set()
        async with router.arrivals(self.arrived) as notified:
            if notified:
                log.debug("routing wakes on the store's notifications")
            empty_rounds = failures = 0
            while not self._stop.is_set():
                try:
                    handled = await router.route_pending(on_round=self._round_done)
                    failures = 0
                    self.failing.pop("routing", None)
                except Exception as exc:  # the store is away: nothing was routed; back off, then try again
                    log.exception("alert routing round failed")
                    self.failing["routing"] = f"{type(exc).__name__}"
                    failures += 1
                    await asyncio.sleep(failure_backoff(failures))
                    continue
                if handled:
                    empty_rounds = 0
                    continue
                self.arrived.clear()
                woken = False
                with contextlib.suppress(TimeoutError):
                    woken = await asyncio.wait_for(self.arrived.wait(), self._idle_wait(empty_rounds))
                # Woken by an arrival: look again quickly (another process may hold the routing turn this once),
                # backing off from a millisecond as the quiet lasts.
                empty_rounds = 0 if woken else empty_rounds + 1
                # Let the events arriving together gather: one routing transaction for many, not one each.
                await asyncio.sleep(self._batch_window_s)

    def _round_done(self, handled: int, left_ready: int) -> None:
        if self.backlog is not None:
            self.backlog.release(handled)
        if left_ready and self.worker is not None:  # handed over at routing needs no delivery round
            self.worker.wake.set()

    def _idle_wait(self, empty_rounds: int) -> float:
        """Right after a busy round or an arrival, look again within a millisecond or two and back off to
        route_idle_s as the quiet lasts. Events accepted by another process (SQLite cannot notify across
        processes) otherwise wait a whole idle interval, while that process holds its bank back until they are
        routed: the two processes then take turns waiting and throughput fell by a third (bench/alerts.py)."""
        return min(self._route_idle_s, FAST_POLL_S * (2.0 ** min(empty_rounds, 16)))

    async def _watch_backlog(self, backlog: Backlog, unrouted: Callable[[int], Awaitable[int]]) -> None:
        """Routing runs in another process: follow its progress through the store while events wait, woken by
        the store when a routing round commits (PostgreSQL), else every BACKLOG_POLL_S."""
        routed = asyncio.Event()
        listening = self._routed_signal(routed) if self._routed_signal else contextlib.nullcontext(False)
        async with listening as notified:
            interval = BACKLOG_NOTIFIED_POLL_S if notified else BACKLOG_POLL_S
            while not self._stop.is_set():
                if backlog.pending:
                    routed.clear()
                    try:
                        backlog.observe(await unrouted(backlog.limit))
                    except Exception:  # the count only paces intake; a failed read must not stop it
                        log.exception("reading the routing backlog failed")
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(routed.wait(), interval)
                    continue
                self.arrived.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.arrived.wait(), 1.0)

    async def start(self) -> None:
        self._stop.clear()
        self._tasks = []
        self.warmed.clear()
        if self.router is None:
            self.warmed.set()  # nothing to load: no routing in this process
        if self.router is not None:
            if self.worker is not None:
                self.router.hand_over_with(self.worker.pull_payloads)
            self._tasks.append(asyncio.create_task(self._route(self.router), name="alerts-route"))
        elif self.backlog is not None and self._unrouted is not None:
            self._tasks.append(asyncio.create_task(self._watch_backlog(self.backlog, self._unrouted),
                                                   name="alerts-backlog"))
        if self.fraud is not None:
            if self.worker is not None:
                self.fraud.on_ready = self.worker.wake.set
            self._tasks.append(asyncio.create_task(self.fraud.run(self._stop, self._fraud_interval_s),
                                                   name="alerts-fraud"))
        if self.worker is not None:
            self.worker.woken_locally = self.router is not None
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
