"""The channel port. `Channel` is what the core needs to push messages to a customer outside a request/response
turn; `PlatformChannel` is the whole adapter of a chat platform reached by webhooks: its name, its settings, its
capabilities, its inbound handling (handshake, verify, parse, respond) and its outbound delivery. The webhook
routes (web/routes_channels.py) and the wiring (channel_wiring.py) are written once over this protocol and the
list of registered platforms (channels/registry.py PLATFORMS), so a new platform is one module (or folder)
implementing it plus its registration line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from sarraf.channels.kit import ChannelKit
from sarraf.channels.webhook import Turns, WebhookAnswer, WebhookRequest, WebhookRoute
from sarraf.domain.messages import Outbound


class Channel(Protocol):
    name: str

    async def deliver(self, sender: str, messages: list[Outbound]) -> list[str]:
        """Send messages to one customer on this channel (after linking, alerts, hand-off replies); returns the
        platform's ids of what it sent, which its delivery and read receipts name (empty if it has none)."""
        ...


@dataclass(frozen=True, slots=True)
class Settings:
    """A bank's account on the platform: the keys it must have (or the platform is off for that bank) and may
    have. `checks` are extra rules on the values, each returning what is wrong (the same words as a missing key)."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    checks: tuple[Callable[[Mapping[str, str]], list[str]], ...] = ()

    def problems(self, found: Mapping[str, str]) -> list[str]:
        """What keeps this bank's account off: missing keys, then values the platform would refuse."""
        return [key for key in self.required if key not in found] + [p for check in self.checks for p in check(found)]

    def pick(self, found: Mapping[str, str]) -> dict[str, str]:
        """Only the keys this platform knows (a banks file may carry others)."""
        return {k: v for k, v in found.items() if k in self.required + self.optional}


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What the platform can show and do, for whoever has to know before sending."""

    title: str  # the platform's name as customers know it ("WhatsApp")
    max_buttons: int  # per message; 0: buttons are read out or listed
    cards: bool  # rich cards or templates; else cards are sent as text
    receipts: bool  # reports delivery and reading
    push: bool  # can write to a customer outside their request (Alexa cannot: messages wait for the next one)
    reply_window: timedelta | None = None  # free-form messages only this long after the customer's last one


P = TypeVar("P")


class PlatformChannel(Channel, Protocol[P]):
    """A chat platform's adapter; `P` is what its `parse` makes of one verified webhook body."""

    settings: Settings
    capabilities: Capabilities
    webhook: WebhookRoute

    @classmethod
    def build(cls, accounts: Mapping[str, Mapping[str, str]], kit: ChannelKit) -> PlatformChannel[P]:
        """The adapter for every bank in `accounts` (bank id → its settings, all required keys present)."""
        ...

    def serves(self, tenant: str) -> bool:
        """This bank has an account on the platform here (else its webhook is refused, fail closed)."""
        ...

    def handshake(self, tenant: str, query: Mapping[str, str]) -> str | None:
        """The subscription check's answer (webhook.handshake platforms), None to refuse it."""
        ...

    async def verify(self, tenant: str, request: WebhookRequest) -> None:
        """Raise webhook.Refused unless the platform provably sent this raw body; runs before it is parsed."""
        ...

    async def parse(self, tenant: str, body: dict[str, Any]) -> P:
        """A verified JSON body; ValueError is a 400, webhook.NOT_UNDERSTOOD errors skip it, Refused refuses it."""
        ...

    async def respond(self, tenant: str, parsed: P, turns: Turns) -> WebhookAnswer:
        """Answer what was parsed, through the gateway's `turns`, and say what the platform hears back."""
        ...

    async def reply(self, sender: str, messages: list[Outbound]) -> None:
        """Send the answer to the customer's message (in-turn)."""
        ...
