"""The channel port: how the core pushes messages to a customer outside a request/response turn."""

from __future__ import annotations

from typing import Protocol

from sarraf.domain.messages import Outbound


class Channel(Protocol):
    name: str

    async def deliver(self, sender: str, messages: list[Outbound]) -> None:
        """Send messages to one customer on this channel (after linking, alerts, hand-off replies)."""
        ...
