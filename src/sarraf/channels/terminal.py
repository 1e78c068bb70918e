"""The terminal channel (like `rasa shell`): plain text in, plain text out."""

from __future__ import annotations

from sarraf.domain.messages import Inbound, Outbound

NAME = "terminal"


def inbound(customer: str, text: str) -> Inbound:
    return Inbound(NAME, customer, text=text)


def render(message: Outbound) -> str:
    lines = [message.text]
    lines += [f"  [{b.title}] {b.url}" for b in message.buttons if b.url]
    if message.quick_replies:
        lines.append("  " + " | ".join(q.title for q in message.quick_replies))
    return "\n".join(lines)


class TerminalChannel:
    """Messages pushed outside a turn are printed by the shell that owns this channel."""

    name = NAME

    def __init__(self) -> None:
        self.pending: list[Outbound] = []

    async def deliver(self, sender: str, messages: list[Outbound]) -> list[str]:
        self.pending.extend(messages)
        return []
