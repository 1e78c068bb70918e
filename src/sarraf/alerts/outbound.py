"""The one way out for every message that is not an in-turn reply: the chat's answer after a bank login, a
payment's outcome, a step-up's result, the consent-expiry reminder, an agent's reply (`Container.deliver`).

They go the alerts' way: written to the alert outbox first, each message under an id of its own
(`<key>:<n>`), then sent by the delivery worker with its retries (back-off, dead letters), its pacing per
channel and per customer, and its per-customer ordering. So a message accepted survives a crash of the process
that accepted it, and a repeated request (a replayed callback, a retried reminder) or a failure half-way
through a list sends nothing twice: an id the outbox holds is not written again, and a retry resends only the
message that failed, not the ones before it.

Prompt as before: a web chat message is handed over in the very commit that records it (the chat's outbox is
ours, so that is exactly once). For the platforms that are sent to, the delivery worker of this process is woken
(the `Bell`) and the request waits, at most `WAIT_S`, until the worker has tried each of its messages once: the
customer's chat has the answer by the time the browser shows "done", as when the request sent it itself. With
no worker in this process (separate alert workers) it does not wait; theirs sends it. The messages travel in a
lane of their own, so an alert held back by quiet hours never holds back an answer.

A channel whose conversations live only in this process's memory (the terminal) has nothing to deliver to
after a crash and no worker of its own: its messages are handed to it directly.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from sarraf.alerts.ports import Routed, Transport
from sarraf.alerts.render import to_json
from sarraf.domain.messages import Outbound

KIND = "out_of_turn"  # the outbox's kind column: not a bank event
LANE = "answer"  # ordered among themselves, never behind an alert waiting for quiet hours to end
WAIT_S = 3.0  # how long a request waits for this process's worker to try its messages (a slow platform: less)
Row = tuple[str, str]  # (tenant, event id): an outbox row as the worker reports it


class Bell:
    """Between the outbound path and the delivery worker of the same process: `wake` rings the worker, which
    reports each row it has tried (`tried`, after its commit); `until_tried` waits for given rows."""

    def __init__(self) -> None:
        self.wake = asyncio.Event()
        self.workers = 0  # delivery workers of this process running now (see `listening`)
        self._waiting: dict[Row, asyncio.Future[None]] = {}

    def tried(self, rows: Iterable[Row]) -> None:
        for row in rows:
            waiter = self._waiting.pop(row, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    async def until_tried(self, rows: Sequence[Row], timeout_s: float) -> None:
        """Ring and wait until the worker has tried every one of `rows` (or `timeout_s`); at once without one."""
        if not self.workers or not rows:
            return
        loop = asyncio.get_running_loop()
        waiters = [self._waiting.setdefault(row, loop.create_future()) for row in rows]
        self.wake.set()
        try:
            await asyncio.wait(waiters, timeout=timeout_s)
        finally:
            for row in rows:
                self._waiting.pop(row, None)


@asynccontextmanager
async def listening(bell: Bell | None) -> AsyncIterator[None]:
    """While a delivery worker runs: requests may wait for it."""
    if bell is None:
        yield
        return
    bell.workers += 1
    try:
        yield
    finally:
        bell.workers -= 1


@dataclass(frozen=True, slots=True)
class Addressee:
    """Who a message is for, and where: the customer's conversation on one channel."""

    tenant: str
    customer_id: str
    channel: str
    sender: str


class MessageOutbox(Protocol):
    async def enqueue_messages(self, tenant: str, kind: str, rows: Sequence[tuple[str, Routed]]
                               ) -> list[tuple[str, bool]]:
        """Write each (id, routed message) unless its id exists; hand pull-channel messages over in the same
        commit when nothing older waits in the lane. Returns each new row's id and whether it is left for the
        delivery worker."""


class OutOfTurn:
    def __init__(self, outbox: MessageOutbox, channels: Transport, enabled: Collection[str], *,
                 bell: Bell | None = None, direct: Mapping[str, Transport] | None = None,
                 wait_s: float = WAIT_S) -> None:
        """`enabled`: the channels this gateway runs (a message for any other is refused at once, as no retry
        can help); `bell`: to this process's delivery worker; `direct`: channels handed their messages at once
        (see the module's note)."""
        self._outbox = outbox
        self._channels = channels
        self._enabled = enabled
        self._bell = bell or Bell()
        self._direct = dict(direct or {})
        self._wait_s = wait_s

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
        waiting = [(to.tenant, event_id) for event_id, ready in added if ready]
        if waiting:
            self._bell.wake.set()  # also with no worker listening yet: one starting in this process finds it set
            await self._bell.until_tried(waiting, self._wait_s)
        return len(added)

    def _routed(self, to: Addressee, message: Outbound, pull: bool) -> Routed:
        handed_over: list[dict[str, Any]] | None = self._channels.render_pull(to.channel, [message]) if pull else None
        return Routed(0, "ready", to.customer_id, to.channel, to.sender, to_json([message]), lane=LANE,
                      handed_over=handed_over)
