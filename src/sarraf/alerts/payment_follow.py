"""The payment status follower: payments the bank left pending at submission are asked after, with back-off,
until they settle; the customer is then told the outcome once, through the alert outbox.

Exactly once, whatever repeats: the schedule is claimed row by row (store/payment_follow.py), so two replicas
never check one payment at once and a restarted gateway picks the schedule up from the database; the payment
moves through the state machine's compare-and-set (conversation/payment_runs.py), so only one check — or the
customer's own "did it go through?" in the chat, which then answers it there — moves it; and the message's
outbox id is the payment's (`payment:<id>`), so writing it again after a crash adds nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sarraf.alerts.ports import Routed
from sarraf.alerts.render import to_json
from sarraf.conversation.payment_outcomes import settled_later
from sarraf.conversation.payment_runs import Step
from sarraf.conversation.payment_texts import Payer
from sarraf.domain.errors import BankRefused, BankUnavailable, ConsentUnusable
from sarraf.domain.payments import Payment, PaymentState

log = logging.getLogger(__name__)
SETTLED = (PaymentState.COMPLETED, PaymentState.REJECTED)
KIND = "payment_outcome"
MARK = {"settled_by": "follower"}  # written with the move: a settled row the follower must still tell about


def outcome_id(payment_id: str) -> str:
    return f"payment:{payment_id}"


@dataclass(frozen=True, slots=True)
class Backoff:
    """Seconds until the next check: `first_s`, doubling with each check, at most `max_s`."""

    first_s: float = 5.0
    max_s: float = 3600.0

    def wait(self, checks: int) -> timedelta:
        return timedelta(seconds=min(self.max_s, self.first_s * 2 ** min(checks, 30)))


class FollowedPayments(Protocol):
    async def claim(self, now: datetime, limit: int, wait: Callable[[int], timedelta]) -> list[Payment]: ...

    async def done(self, payment_id: str) -> None: ...


class Refresh(Protocol):
    """conversation/payment_runs.PaymentRuns, as the follower uses it."""

    async def refresh(self, p: Payment, *, mark: dict[str, str] | None = None) -> Step: ...


class OutcomeOutbox(Protocol):
    async def enqueue(self, tenant: str, event_id: str, kind: str, routed: Routed, data: dict[str, Any]) -> bool: ...


class PaymentFollower:
    def __init__(self, followed: FollowedPayments, runs: Refresh, outbox: OutcomeOutbox, bank_names: Mapping[str, str],
                 *, backoff: Backoff | None = None, on_ready: Callable[[], None] = lambda: None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), batch: int = 50) -> None:
        self._followed = followed
        self._runs = runs
        self._outbox = outbox
        self._bank_names = bank_names
        self.backoff = backoff or Backoff()
        self._on_ready = on_ready
        self._clock = clock
        self._batch = batch
        self.failing = ""

    async def round(self) -> int:
        """Check every payment due now; returns how many customers were told an outcome."""
        told = 0
        for p in await self._followed.claim(self._clock(), self._batch, self.backoff.wait):
            if p.state in SETTLED:  # settled by an earlier check that may have stopped before telling
                if p.extra.get("settled_by") == MARK["settled_by"]:
                    told += await self._tell(p)
                await self._followed.done(p.payment_id)
                continue
            try:
                step = await self._runs.refresh(p, mark=MARK)
            except (BankUnavailable, BankRefused, ConsentUnusable) as exc:
                log.info("payment %s: its bank did not answer (%s); checking again later", p.payment_id, exc)
                continue  # the claim already set the next check
            except Exception:  # one payment's odd answer must not hold back the others claimed with it
                log.exception("payment %s: status check failed; checking again later", p.payment_id)
                continue
            if step.payment.state in SETTLED:
                if step.moved:  # this check settled it; otherwise whoever did told the customer
                    told += await self._tell(step.payment)
                await self._followed.done(p.payment_id)
        return told

    async def _tell(self, p: Payment) -> int:
        who = Payer(p.tenant, p.customer_id, p.lang, self._bank_names.get(p.tenant, p.tenant))
        routed = Routed(0, "ready", p.customer_id, p.channel, p.sender, to_json([settled_later(who, p)]))
        if await self._outbox.enqueue(p.tenant, outcome_id(p.payment_id), KIND, routed,
                                      {"payment_id": p.payment_id, "state": p.state.value}):
            self._on_ready()
            return 1
        return 0

    async def run(self, stop: asyncio.Event, interval_s: float = 1.0) -> None:
        while not stop.is_set():
            try:
                await self.round()
                self.failing = ""
            except Exception as exc:  # the store is away: nothing was claimed for long; try again next round
                log.exception("payment status round failed")
                self.failing = type(exc).__name__
            try:
                await asyncio.wait_for(stop.wait(), interval_s)
            except TimeoutError:
                continue
