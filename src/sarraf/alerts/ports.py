"""What the alerts need from storage and from channels, as small Protocols (adapters: store/alerts_*.py,
channels/registry.py's ChannelSet, banks/event_feed.py). Records are plain dataclasses so nothing here knows SQL."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sarraf.alerts.preferences import AlertPreferences
from sarraf.domain.consent import ConsentStatus
from sarraf.domain.events import BankEvent
from sarraf.domain.messages import Outbound, Receipt


@dataclass(frozen=True, slots=True)
class Received:
    """An accepted event waiting to be routed."""

    row_id: int
    event: BankEvent
    received_at: datetime


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who an event is about, as the gateway knows them; None fields when the consent is not ours."""

    customer_id: str
    lang: str | None
    link_status: ConsentStatus
    permissions: tuple[str, ...]
    link_expires_at: datetime | None
    has_tokens: bool
    identities: tuple[tuple[str, str], ...]  # (channel, sender), most recent first
    preferences: AlertPreferences
    # Why the stored record could not be read (a poisoned row): routing dead-letters this customer's events
    # and goes on with everyone else's. Empty when the record is sound.
    unreadable: str = ""


@dataclass(frozen=True, slots=True)
class Routed:
    """What routing decided for one event."""

    row_id: int
    status: str  # "ready", "filtered", "superseded", "dead" (poisoned: into the dead letters with `reason`)
    customer_id: str | None = None
    channel: str | None = None
    sender: str | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    available_at: datetime | None = None
    lane: str = "normal"
    reason: str = ""
    # A pull channel's payloads when the message can be handed over right away (due now): the outbox then
    # hands it over in the routing transaction, unless an older message of the customer's lane still waits.
    handed_over: list[dict[str, Any]] | None = None


@dataclass(frozen=True, slots=True)
class Job:
    row_id: int
    tenant: str
    event_id: str
    customer_id: str
    channel: str
    sender: str
    messages: list[dict[str, Any]]
    attempts: int
    received_at: datetime


class ClaimedBatch(Protocol):
    @property
    def jobs(self) -> Sequence[Job]: ...

    def sent(self, job: Job, handed_over: Sequence[dict[str, Any]] = (), platform_ids: Sequence[str] = ()) -> None:
        """Mark sent; `handed_over` payloads go into the pull channel's outbox in the same transaction, and the
        platform's ids of the sent messages are kept for its receipts."""

    def retry(self, job: Job, at: datetime, error: str) -> None: ...

    def dead(self, job: Job, reason: str) -> None: ...


READY = "ready"  # what `AlertOutbox.listen` can wake on: rows routed and ready to send,
RECEIVED = "received"  # or events accepted and waiting to be routed,
ROUTED = "routed"  # or a routing round committed (intake's back-pressure eases)


class AlertOutbox(Protocol):
    async def accept(self, events: Sequence[BankEvent]) -> list[bool]:
        """Store events; for each, False when its (tenant, event id) was already accepted (a re-send)."""

    async def unrouted(self, cap: int = 100_000) -> int:
        """How many accepted events wait for routing (counted up to `cap`)."""

    def routing_turn(self) -> AbstractAsyncContextManager[bool]:
        """While open and True, this process is the only one routing (events become ready in their order)."""

    async def routing_batch(self, limit: int) -> tuple[list[Received], dict[tuple[str, str], Recipient]]:
        """The next `limit` accepted events, oldest first, and our customer behind each of their consents by
        (tenant, consent id), read together (consents that are not ours are left out)."""

    async def newer_on_stream(self, event: BankEvent, row_id: int) -> bool: ...

    async def routed(self, results: Sequence[Routed]) -> int:
        """Store routing's outcomes in one transaction; a ready result carrying `handed_over` payloads is sent
        then and there (its payloads into the pull channel's outbox) when nothing older in its customer's lane
        is still waiting, and otherwise becomes ready like the rest. Returns how many were left ready."""

    async def enqueue(self, tenant: str, event_id: str, kind: str, routed: Routed, data: dict[str, Any]) -> bool:
        """Add an already-routed message (a fraud reminder, a follow-up); False if that id exists."""

    def claim(self, limit: int, now: datetime) -> AbstractAsyncContextManager[ClaimedBatch]: ...

    def listen(self, wake: asyncio.Event, on: str = READY) -> AbstractAsyncContextManager[bool]:
        """While open, set `wake` when another process commits rows that are READY to send, newly RECEIVED (to
        route) or ROUTED; yields False when the store cannot notify (the caller then polls)."""


class PaceLimiter(Protocol):
    """One send rate, keyed (by channel or by customer)."""

    async def reserve(self, key: str) -> float:
        """Book `key`'s next slot; returns how many seconds to wait before using it."""
        ...


class PaceLimits(Protocol):
    """Where delivery's rate limits keep their state: this process, or a store every worker shares (the
    channels' RateLimits fits: sarraf.channels.ratelimit, NATS-backed across replicas)."""

    def limiter(self, scope: str, per_second: float, burst: int = 1) -> PaceLimiter: ...


@dataclass(frozen=True, slots=True)
class FraudCase:
    tenant: str
    event_id: str
    customer_id: str
    card_id: str
    data: dict[str, Any]
    status: str  # asked, genuine, fraud, human
    freeze: str  # none, pending, done, refused (the bank declined: final)
    bank_case_id: str | None
    channel: str
    sender: str
    lang: str
    escalations: int
    deadline_at: datetime


class FraudCases(Protocol):
    async def open(self, case: FraudCase) -> None: ...

    async def get(self, tenant: str, event_id: str) -> FraudCase | None: ...

    async def answer(self, tenant: str, event_id: str, status: str, at: datetime) -> bool:
        """Record the customer's answer; False when it was answered before (a double tap, another channel)."""

    async def awaiting(self, tenant: str, customer_id: str) -> FraudCase | None:
        """The customer's latest unanswered fraud question (for a typed or spoken yes/no)."""

    async def begin_freeze(self, tenant: str, event_id: str, now: datetime, lease_s: float) -> bool:
        """Take the case's freeze attempt for `lease_s` (freeze becomes "pending"); False when it is frozen
        already or another attempt, in any process, holds an unexpired lease."""

    async def set_freeze(self, tenant: str, event_id: str, freeze: str, bank_case_id: str | None) -> None:
        """Record an attempt's outcome ("done", or "pending" to be retried); ends its lease."""

    async def overdue(self, now: datetime, limit: int) -> list[FraudCase]: ...

    async def pending_freezes(self, now: datetime, limit: int) -> list[FraudCase]:
        """Cases whose freeze failed and that no attempt holds now."""

    async def escalated(self, tenant: str, event_id: str, escalations: int, status: str,
                        deadline_at: datetime) -> bool: ...


class AlertReceipts(Protocol):
    async def record_receipt(self, channel: str, sender: str, receipt: Receipt) -> int:
        """Mark the alerts a platform receipt covers delivered (or read); returns how many changed."""


class HumanQueue(Protocol):
    async def request(self, tenant: str, customer_id: str, channel: str, sender: str, reason: str) -> None: ...


class Transport(Protocol):
    """Channels as the delivery worker sees them."""

    def pull(self, channel: str) -> bool:
        """True when the channel's messages are collected from our own store (web chat): exactly once."""

    def render_pull(self, channel: str, messages: list[Outbound]) -> list[dict[str, Any]]: ...

    async def send(self, channel: str, sender: str, messages: list[Outbound]) -> list[str]:
        """Push; returns the platform's ids of the messages sent (empty when it gives none)."""


class EventSource(Protocol):
    """A bank's aggregated polling endpoint (OB POST /events)."""

    async def poll(self, tenant: str, ack: Sequence[str], errors: dict[str, dict[str, str]],
                   max_events: int) -> tuple[dict[str, str], bool]: ...
