"""AIS polling for banks that cannot push at all (banks.yaml `alerts: {poll_transactions_seconds: N}`).

Every N seconds each linked consent of the bank gets a resource-update of our own making, put in the outbox like
a bank's: routing then reads the account and derives alerts exactly as for a pushed update (alerts/standard.py),
with the same checks — opt-in, a consent that still stands, the audit of each read. The id names the consent and
the round, so a poller restarted mid-round adds no second update for the same round.

The bank's rate limit: one consent's read costs a few AIS calls (`CALLS_PER_READ`), so the updates of a round are
spread out to stay under `max_calls_per_minute`. While the bank is failing (the deriver says so) rounds back off,
doubling up to `MAX_BACKOFF_ROUNDS` intervals; nothing is lost meanwhile, as the next successful read covers the
window since the last booking seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sarraf.alerts.ports import AlertOutbox
from sarraf.domain.events import AlertKind, BankEvent

log = logging.getLogger(__name__)
CALLS_PER_READ = 4  # accounts, balances, accounts, transactions (one page): for one account
MAX_BACKOFF_ROUNDS = 8


@dataclass(frozen=True, slots=True)
class PollSchedule:
    interval_s: float
    max_calls_per_minute: int

    @property
    def spacing_s(self) -> float:
        """The pause between two consents' updates that keeps a round under the bank's rate limit."""
        return 60.0 * CALLS_PER_READ / self.max_calls_per_minute


class BankHealth(Protocol):
    def failures(self, tenant: str) -> int: ...


def backoff_rounds(failures: int) -> int:
    return 1 if failures <= 0 else min(MAX_BACKOFF_ROUNDS, 2 ** failures)


class AisPoller:
    def __init__(self, outbox: AlertOutbox, consents: Callable[[str], Awaitable[list[str]]],
                 schedules: Mapping[str, PollSchedule], health: BankHealth, *,
                 on_accept: Callable[[], None] = lambda: None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._outbox = outbox
        self._consents = consents
        self._schedules = schedules
        self._health = health
        self._on_accept = on_accept
        self._clock = clock
        self._sleep = sleep

    async def poll_round(self, tenant: str) -> int:
        """One round for one bank: an update per linked consent, paced; returns how many were new."""
        schedule = self._schedules[tenant]
        now = self._clock()
        round_id = int(now.timestamp() // max(schedule.interval_s, 1.0))
        fresh = 0
        for n, consent_id in enumerate(await self._consents(tenant)):
            if n:
                await self._sleep(schedule.spacing_s)
            event = BankEvent(tenant, f"ais-poll:{consent_id}:{round_id}", AlertKind.RESOURCE_UPDATE, consent_id,
                              now, {"polled": True})
            if (await self._outbox.accept([event]))[0]:
                fresh += 1
                self._on_accept()
        return fresh

    async def run(self, tenant: str, stop: asyncio.Event) -> None:
        schedule = self._schedules[tenant]
        while not stop.is_set():
            try:
                await self.poll_round(tenant)
            except Exception:  # the store is away: the next round tries again
                log.warning("AIS polling round for %s failed", tenant, exc_info=True)
            wait = schedule.interval_s * backoff_rounds(self._health.failures(tenant))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)
