"""Delivery workers: take due outbox rows, send them on the customer's channel, record the outcome.

* retries with exponential back-off and full jitter (AWS architecture blog, "Exponential Backoff And
  Jitter"), up to ``max_attempts``, then the dead-letter table with the last error as the reason;
* per-channel and per-customer rate limits (GCRA, the same sarraf.gcra arithmetic as the channels' quotas),
  kept in process or, given shared `PaceLimits` (the container's RateLimits), shared by every delivery worker:
  a customer's limit then holds however many workers send to them;
* per-customer ordering and deduplication come from the outbox (only a customer's oldest ready row is
  claimable; an event id is accepted once);
* pull channels (web chat) are handed over inside the outbox transaction: exactly once, even across a crash.
  Push platforms are sent before the commit: at least once (their send APIs take no idempotency key, so a
  crash between the send and the commit can repeat that one message).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sarraf.alerts.outbound import Bell, listening
from sarraf.alerts.poison import POISON, poison_reason
from sarraf.alerts.ports import AlertOutbox, ClaimedBatch, Job, PaceLimiter, PaceLimits, Transport
from sarraf.alerts.render import from_json
from sarraf.domain.messages import Outbound
from sarraf.gcra import RateLimiter

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    batch: int = 500
    max_attempts: int = 8
    base_delay_s: float = 0.5
    max_delay_s: float = 300.0
    idle_poll_s: float = 0.02
    notified_poll_s: float = 0.2  # with store notifications, polling only catches retries coming due
    channel_per_second: Mapping[str, float] | None = None  # default DEFAULT_CHANNEL_RATES
    customer_per_second: float = 20.0
    customer_burst: int = 20


DEFAULT_CHANNEL_RATES = {"webchat": 100_000.0, "terminal": 1000.0, "messenger": 300.0, "whatsapp": 80.0,
                         "telegram": 30.0, "alexa": 50.0}


def backoff(attempt: int, policy: DeliveryPolicy, rng: Callable[[], float] = random.random) -> float:
    """Seconds before attempt `attempt + 1`: uniform in [0, min(cap, base * 2**attempt)] (full jitter)."""
    return rng() * min(policy.max_delay_s, policy.base_delay_s * (2.0 ** attempt))


def failure_backoff(failures: int) -> float:
    """Seconds to wait after the `failures`-th failed round in a row: 0.1 s doubling to 5 s. Retrying every
    few milliseconds while the database is down logged sixty thousand lines in twenty seconds."""
    return min(5.0, 0.1 * 2.0 ** min(failures - 1, 6))


class LocalPaceLimits:
    """Rate limits in this process's memory (one delivery worker, or limits each worker keeps alone)."""

    def limiter(self, scope: str, per_second: float, burst: int = 1) -> PaceLimiter:
        return RateLimiter(per_second, burst)


class DeliveryWorker:
    def __init__(self, outbox: AlertOutbox, transport: Transport, policy: DeliveryPolicy | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), *, pace: PaceLimits | None = None,
                 bell: Bell | None = None) -> None:
        """`bell`: what this process's outbound path (alerts/outbound.py) wakes the worker with and hears back
        from once its messages were tried."""
        self._outbox = outbox
        self._transport = transport
        self.policy = policy or DeliveryPolicy()
        self._clock = clock
        rates = self.policy.channel_per_second or DEFAULT_CHANNEL_RATES
        limits = pace or LocalPaceLimits()
        self._channel_limits = {name: limits.limiter(f"alerts-channel-{name}", rate, max(1, int(rate // 10)))
                                for name, rate in rates.items()}
        self._customer_limit = limits.limiter("alerts-customer", self.policy.customer_per_second,
                                              self.policy.customer_burst)
        self._bell = bell
        self.wake = bell.wake if bell is not None else asyncio.Event()
        self.woken_locally = False  # routing runs in this process and sets `wake` whenever rows become ready
        self.sent = 0
        self.failing = ""  # the last error while delivery rounds keep failing (for /readyz)

    def pull_payloads(self, channel: str, messages: list[Outbound]) -> list[dict[str, Any]] | None:
        """What a pull channel's outbox receives for these messages; None for a push channel."""
        return self._transport.render_pull(channel, messages) if self._transport.pull(channel) else None

    async def run(self, stop: asyncio.Event) -> None:
        # Another process (the gateway's router) makes rows ready: sleep until it says so rather than poll
        # the table every few milliseconds, which costs a third of a core when idle.
        # Polling a SQLite outbox every few milliseconds cost the worker process more CPU than delivering.
        async with self._outbox.listen(self.wake) as notified, listening(self._bell):
            woken = notified or self.woken_locally
            await self._loop(stop, self.policy.notified_poll_s if woken else self.policy.idle_poll_s)

    async def _loop(self, stop: asyncio.Event, idle_s: float) -> None:
        failures = 0
        while not stop.is_set():
            self.wake.clear()  # before claiming: a wake-up arriving during the claim is kept, not lost
            try:
                handled = await self.run_once()
                failures, self.failing = 0, ""
            except Exception as exc:  # a database hiccup must not end the worker; the rows stay due
                log.exception("alert delivery batch failed")
                failures, self.failing = failures + 1, type(exc).__name__
                await asyncio.sleep(failure_backoff(failures))  # not every few ms while the store is away
                continue
            if handled == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), idle_s)

    async def run_once(self) -> int:
        async with self._outbox.claim(self.policy.batch, self._clock()) as batch:
            if not batch.jobs:
                return 0
            await self._deliver(batch)
            jobs = batch.jobs
        if self._bell is not None:  # after the commit: whoever waits for these rows may go on
            self._bell.tried([(job.tenant, job.event_id) for job in jobs])
        return len(jobs)

    async def _deliver(self, batch: ClaimedBatch) -> None:
        pushes = []
        for job in batch.jobs:
            try:
                messages = from_json(job.messages)
                handed_over = self._transport.render_pull(job.channel, messages) if self._transport.pull(job.channel) \
                    else None
            except POISON as exc:  # its own data is bad: no retry can help, and the batch goes on without it
                reason = f"unreadable message: {poison_reason(exc)}"
                log.warning("alert %s/%s dead-lettered at delivery: %s", job.tenant, job.event_id, reason)
                batch.dead(job, reason)
                continue
            if handed_over is not None:
                batch.sent(job, handed_over)
            else:
                pushes.append(self._push(batch, job, messages))
        if pushes:
            await asyncio.gather(*pushes)
        self.sent += len(batch.jobs)

    async def _push(self, batch: ClaimedBatch, job: Job, messages: list[Outbound]) -> None:
        limit = self._channel_limits.get(job.channel)
        wait = max(await limit.reserve(job.channel) if limit else 0.0,
                   await self._customer_limit.reserve(job.customer_id))
        if wait > 0:
            await asyncio.sleep(wait)
        try:
            platform_ids = await self._transport.send(job.channel, job.sender, messages)
        except Exception as exc:  # every platform failure is worth a retry until the attempts run out
            reason = f"{type(exc).__name__}: {exc}"
            if job.attempts + 1 >= self.policy.max_attempts:
                batch.dead(job, f"gave up after {job.attempts + 1} attempts; last error {reason}")
            else:
                delay = backoff(job.attempts, self.policy)
                batch.retry(job, self._clock() + timedelta(seconds=delay), reason)
            return
        batch.sent(job, platform_ids=platform_ids or ())
