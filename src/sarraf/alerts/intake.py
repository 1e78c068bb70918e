"""Intake: verify a bank's SET, then write the event to the outbox before the bank hears 2xx."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sarraf.alerts.ports import AlertOutbox
from sarraf.alerts.sets import SetRejected, SetVerifier
from sarraf.domain.events import BankEvent


@dataclass(frozen=True, slots=True)
class Accepted:
    event_id: str
    duplicate: bool  # the bank re-sent an event we already hold: absorbed, never a second message


CHUNK = 50  # SETs of a batch verified and committed together (see EventIntake.accept_many)


class UnknownBank(LookupError):
    pass


class GroupCommit:
    """Writes events that arrive together in one transaction (group commit): each caller still returns only
    after its own event is committed, but a disk flush is shared by every request in flight."""

    def __init__(self, outbox: AlertOutbox, max_batch: int = 256) -> None:
        self._outbox = outbox
        self._max = max_batch
        self._pending: list[tuple[BankEvent, asyncio.Future[bool]]] = []
        self._task: asyncio.Task[None] | None = None

    async def submit(self, event: BankEvent) -> bool:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((event, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[: self._max], self._pending[self._max :]
            try:
                fresh = await self._outbox.accept([event for event, _ in batch])
            except Exception as exc:  # every waiting request learns the write failed; none is told 2xx
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, fresh, strict=True):
                if not future.done():
                    future.set_result(result)


class Backlog:
    """Back-pressure between intake and routing: while `limit` accepted events wait to be routed, a new
    request waits (up to `max_wait_s`) before it is verified and committed. A bank pushing faster than we can
    route then sees slower 2xx answers (RFC 8935 push is synchronous) instead of our outbox growing a queue
    that every later event waits behind. Nothing is refused or dropped: after `max_wait_s` the request goes
    through anyway, so a stalled router never stops intake.

    Routing in this process calls `release` as it routes; routing in another process is seen through
    `observe` (the store's count of unrouted rows, read by AlertRuntime), to which the requests still being
    verified or committed here are added."""

    def __init__(self, limit: int = 500, max_wait_s: float = 2.0) -> None:
        self._limit = limit
        self._max_wait_s = max_wait_s
        self._pending = 0
        self._in_flight = 0  # admitted, not yet committed: not in the store's count yet
        self._room = asyncio.Event()
        self._room.set()

    @property
    def pending(self) -> int:
        return self._pending

    @property
    def limit(self) -> int:
        return self._limit

    async def admit(self, count: int) -> None:
        """Wait for room, then reserve `count` places (given back by `release` once routed or not kept)."""
        deadline = asyncio.get_running_loop().time() + self._max_wait_s
        while self._pending >= self._limit:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            self._room.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._room.wait(), left)
        self._pending += count
        self._in_flight += count

    def settled(self, count: int) -> None:
        """`count` admitted places are committed or refused: from now on the store's count covers them."""
        self._in_flight = max(0, self._in_flight - count)

    def release(self, count: int) -> None:
        # Rows accepted before a restart or by the poller are routed too: never below zero.
        self._set(self._pending - count)

    def observe(self, unrouted: int) -> None:
        """The store's count of accepted, unrouted rows (routing runs in another process)."""
        self._set(self._in_flight + unrouted)

    def _set(self, pending: int) -> None:
        self._pending = max(0, pending)
        if self._pending < self._limit:
            self._room.set()


class EventIntake:
    def __init__(self, verifiers: Mapping[str, SetVerifier], outbox: AlertOutbox,
                 on_accept: Callable[[], None] = lambda: None, backlog: Backlog | None = None) -> None:
        self._verifiers = verifiers
        self._outbox = outbox
        self._on_accept = on_accept
        self._group = GroupCommit(outbox)
        self.backlog = backlog

    def serves(self, tenant: str) -> bool:
        """Whether events of this bank are taken at all (checked before a batch body is parsed)."""
        return tenant in self._verifiers

    async def accept(self, tenant: str, token: str) -> Accepted:
        """Raises UnknownBank or SetRejected; returns once the event is durably in the outbox."""
        verifier = self._verifiers.get(tenant)
        if verifier is None:
            raise UnknownBank(tenant)
        if self.backlog is not None:
            await self.backlog.admit(1)
        fresh = False
        try:
            event = await verifier.verify(token)
            fresh = await self._group.submit(event)
        finally:
            if self.backlog is not None:
                self.backlog.settled(1)
                if not fresh:  # refused or a re-send: nothing for the router
                    self.backlog.release(1)
        if fresh:
            self._on_accept()
        return Accepted(event.event_id, duplicate=not fresh)

    async def accept_many(self, tenant: str, tokens: Mapping[str, str]) -> tuple[list[str], dict[str, dict[str, str]]]:
        """A batch of SETs (OB /events polling, or a bank pushing several in one request): (jtis to
        acknowledge, setErrs for the ones refused) in OB /events terms. Returns once every accepted event is
        committed.

        The batch is taken in chunks of `CHUNK`, each verified and committed before the next: routing can
        start on the first events while later ones are still being verified, and back-pressure is applied
        per chunk. Verifying a whole batch of 250 first held its events back ~25 ms and left the router idle
        meanwhile (bench/alerts.py)."""
        verifier = self._verifiers.get(tenant)
        if verifier is None:
            raise UnknownBank(tenant)
        acked: list[str] = []
        errors: dict[str, dict[str, str]] = {}
        items = list(tokens.items())
        for start in range(0, len(items), CHUNK):
            chunk = items[start:start + CHUNK]
            if self.backlog is not None:
                await self.backlog.admit(len(chunk))
            kept = 0
            try:
                events = []
                for jti, token in chunk:
                    try:
                        events.append(await verifier.verify(token))
                    except SetRejected as exc:
                        errors[jti] = {"err": exc.err, "description": exc.description[:256]}
                if events:
                    kept = sum(await self._outbox.accept(events))
                    if kept:
                        self._on_accept()
                acked.extend(e.event_id for e in events)
            finally:
                if self.backlog is not None:
                    self.backlog.settled(len(chunk))
                    self.backlog.release(len(chunk) - kept)
        return acked, errors
