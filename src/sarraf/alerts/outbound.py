"""The one way out for every message that is not an in-turn reply: the chat's answer after a bank login, a
payment's outcome, a step-up's result, the consent-expiry reminder, an agent's reply (`Container.deliver`).

They go the alerts' way: written to the alert outbox first, each message under an id of its own
(`<key>:<n>`), then sent by the delivery worker with its retries (back-off, dead letters), its pacing per
channel and per customer, and its per-customer ordering. So a message accepted survives a crash of the process
that accepted it, and a repeated request (a replayed callback, a retried reminder) or a failure half-way
through a list sends nothing twice: an id the outbox holds is not written again, and a retry resends only the
message that failed, not the ones before it.

Prompt as before: a web chat message is handed over in the very commit that records it (the chat's outbox is
ours, so that is exactly once), and the worker of this process is woken for the platforms that are sent to.
They travel in a lane of their own, so an alert held back by quiet hours never holds back an answer.

A channel whose conversations live only in this process's memory (the terminal) has nothing to deliver to
after a crash and no worker of its own: its messages are handed to it directly.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sarraf.alerts.ports import Routed, Transport
from sarraf.alerts.render import to_json
from sarraf.domain.messages import Outbound

KIND = "out_of_turn"  # the outbox's kind column: not a bank event
LANE = "answer"  # ordered among themselves, never behind an alert waiting for quiet hours to end


@dataclass(frozen=True, slots=True)
class Addressee:
    """Who a message is for, and where: the customer's conversation on one channel."""

    tenant: str
    customer_id: str
    channel: str
    sender: str


class MessageOutbox(Protocol):
    async def enqueue_messages(self, tenant: str, kind: str, rows: Sequence[tuple[str, Routed]]) -> int:
        """Write each (id, routed message) unless its id exists; hand pull-channel messages over in the same
        commit when nothing older waits in the lane. Returns how many were new."""


class OutOfTurn:
    def __init__(self, outbox: MessageOutbox, channels: Transport, enabled: Collection[str], *,
                 wake: Callable[[], None] = lambda: None, direct: Mapping[str, Transport] | None = None) -> None:
        """`enabled`: the channels this gateway runs (a message for any other is refused at once, as no retry
        can help); `wake`: the in-process delivery worker's bell; `direct`: channels handed their messages
        at once (see the module's note)."""
        self._outbox = outbox
        self._channels = channels
        self._enabled = enabled
        self._wake = wake
        self._direct = dict(direct or {})

    async def send(self, to: Addressee, messages: list[Outbound], key: str) -> int:
        """Accept `messages` for delivery, in order; `key` names this telling of them (a login's, a payment
        outcome's...): the same key again adds nothing. Returns how many messages were new."""
        if not messages:
            return 0
        if to.channel not in self._enabled:
            raise LookupError(f"channel {to.channel} is not enabled")
        direct = self._direct.get(to.channel)
        if direct is not None:
            await direct.send(to.channel, to.sender, messages)
            return len(messages)
        pull = self._channels.pull(to.channel)
        rows = [(f"{key}:{n}", self._routed(to, message, pull)) for n, message in enumerate(messages)]
        added = await self._outbox.enqueue_messages(to.tenant, KIND, rows)
        if added and not pull:
            self._wake()
        return added

    def _routed(self, to: Addressee, message: Outbound, pull: bool) -> Routed:
        handed_over: list[dict[str, Any]] | None = self._channels.render_pull(to.channel, [message]) if pull else None
        return Routed(0, "ready", to.customer_id, to.channel, to.sender, to_json([message]), lane=LANE,
                      handed_over=handed_over)
