"""The inbound half of the channel seam, free of any web framework: what a platform's webhook request is, what it
may answer, the fail-closed checks every webhook shares, and what an adapter may ask of the gateway while it
answers (`Turns`).

Every request is checked before anything in it is believed: size (413 past 1 MiB, before reading further),
authenticity (the adapter's `verify`: 401 without a signature, 403 with a wrong one or when the bank has no
secret configured), then JSON (400 with the reason; nesting bounded by sarraf/json_body.py). web/routes_channels.py
runs these steps for every registered platform; the adapters only say what their platform signs and sends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sarraf.channels.webhook_models import NotUnderstood
from sarraf.domain.messages import Inbound, InboundKind, Outbound
from sarraf.json_body import JsonRefused, parse_json_object

MAX_BODY_BYTES = 1024 * 1024

# A signed payload of a shape the adapter's parser did not expect (a platform changed it, or a wrong type):
# what the adapters raise reading it. Skipped with a reason and a metric instead of a 500 the platform would
# redeliver for days. Messenger, WhatsApp and Telegram validate each event (webhook_models.py): NotUnderstood
# is the whole Telegram update; the others are a last line for adapters without models (Alexa).
NOT_UNDERSTOOD = (NotUnderstood, AttributeError, TypeError, KeyError, IndexError)


class Refused(Exception):
    """A webhook request refused with an HTTP status and a reason safe to show the sender."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def read_body(declared_length: str | None, chunks: AsyncIterator[bytes]) -> bytes:
    """The raw body, refused past 1 MiB whether or not Content-Length says so."""
    if declared_length is not None:
        if not declared_length.isdigit():
            raise Refused(400, "malformed content-length")
        if int(declared_length) > MAX_BODY_BYTES:
            raise Refused(413, "body too large")
    received = bytearray()
    async for chunk in chunks:
        received += chunk
        if len(received) > MAX_BODY_BYTES:
            raise Refused(413, "body too large")
    return bytes(received)


def json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, or Refused(400) with the reason."""
    try:
        return parse_json_object(raw)
    except JsonRefused as exc:
        raise Refused(400, exc.reason) from exc


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """What a platform sent, as the adapter's checks see it (header names are case-insensitive)."""

    headers: Mapping[str, str]
    raw: bytes


@dataclass(frozen=True, slots=True)
class WebhookAnswer:
    """The HTTP answer to the platform: a JSON object (the 2xx that stops redelivery, or Alexa's response)."""

    body: dict[str, Any] = field(default_factory=lambda: {"status": "ok"})
    status: int = 200


@dataclass(frozen=True, slots=True)
class WebhookRoute:
    """Where a platform posts: `path` serves the default bank, `path/{bank}` any bank; `handshake` when the
    platform verifies the subscription with a GET first (Meta)."""

    path: str
    handshake: bool = False
    summary: str = ""


class Replier(Protocol):
    async def reply(self, sender: str, messages: list[Outbound]) -> None:
        """Send the answer to a customer's message while it is fresh (inside the platform's reply window)."""
        ...


class Turns(Protocol):
    """What the gateway does for an adapter answering a webhook (web/routes_channels.py implements it)."""

    async def answer(self, tenant: str, inbound: Inbound, replier: Replier) -> None:
        """One conversation turn, in order per customer; its replies go out through `replier`. A failure is
        logged and swallowed (one bad event must not lose the batch) except when our store is down."""
        ...

    async def converse(self, tenant: str, inbound: Inbound) -> list[Outbound]:
        """One conversation turn whose replies go back in the HTTP answer (a voice platform)."""
        ...

    async def note(self, tenant: str, inbound: Inbound) -> None:
        """A delivery or read receipt, recorded; nothing is answered and a failure is only logged."""
        ...


ANSWERED = (InboundKind.TEXT, InboundKind.POSTBACK)


async def answer_each(tenant: str, events: list[Inbound], turns: Turns, replier: Replier) -> WebhookAnswer:
    """A batch of a messaging platform: customers' messages answered in order, receipts noted, the rest
    (linking events, our own echoes) absorbed; the platform hears 200 so it does not redeliver."""
    for inbound in events:
        if inbound.kind in ANSWERED:
            await turns.answer(tenant, inbound, replier)
        elif inbound.kind is InboundKind.RECEIPT and inbound.receipt is not None:
            await turns.note(tenant, inbound)
    return WebhookAnswer()
