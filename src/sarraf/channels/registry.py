"""Which channels this gateway runs, built from configuration. Adding a channel touches only this file
and its own module; the conversation never changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sarraf.channels.port import Channel
from sarraf.channels.terminal import TerminalChannel
from sarraf.channels.webchat import Outbox, WebChatChannel


@dataclass
class ChannelSet:
    channels: dict[str, Channel] = field(default_factory=dict)
    disabled: dict[str, str] = field(default_factory=dict)  # channel name → why it is off

    def status(self) -> dict[str, Any]:
        return {**{name: "enabled" for name in self.channels},
                **{name: f"disabled: {why}" for name, why in self.disabled.items()}}


def build_channels(outbox: Outbox, **_: Any) -> ChannelSet:
    return ChannelSet({"webchat": WebChatChannel(outbox), "terminal": TerminalChannel()})
