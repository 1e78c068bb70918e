"""The channel port: how the core pushes messages to a customer outside a request/response turn."""

from __future__ import annotations

from typing import Protocol

from sarraf.domain.messages import Outbound


class Channel(Protocol):
    name: str

    async def deliver(self, sender: str, messages: list[Outbound]) -> list[str]:
        """Send messages to one customer on this channel (after linking, alerts, hand-off replies); returns the
        platform's ids of what it sent, which its delivery and read receipts name (empty if it has none)."""
        ...
