"""Intake: verify a bank's SET, then write the event to the outbox before the bank hears 2xx."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sarraf.alerts.ports import AlertOutbox
from sarraf.alerts.sets import SetRejected, SetVerifier
from sarraf.domain.events import BankEvent


@dataclass(frozen=True, slots=True)
class Accepted:
    event_id: str
    duplicate: bool  # the bank re-sent an event we already hold: absorbed, never a second message


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


class EventIntake:
    def __init__(self, verifiers: Mapping[str, SetVerifier], outbox: AlertOutbox,
                 on_accept: Callable[[], None] = lambda: None) -> None:
        self._verifiers = verifiers
        self._outbox = outbox
        self._on_accept = on_accept
        self._group = GroupCommit(outbox)

    async def accept(self, tenant: str, token: str) -> Accepted:
        """Raises UnknownBank or SetRejected; returns once the event is durably in the outbox."""
        verifier = self._verifiers.get(tenant)
        if verifier is None:
            raise UnknownBank(tenant)
        event = await verifier.verify(token)
        fresh = await self._group.submit(event)
        if fresh:
            self._on_accept()
        return Accepted(event.event_id, duplicate=not fresh)

    async def accept_many(self, tenant: str, tokens: Mapping[str, str]) -> tuple[list[str], dict[str, dict[str, str]]]:
        """Polled SETs: (jtis to acknowledge, setErrs for the ones refused) in OB /events terms."""
        verifier = self._verifiers.get(tenant)
        if verifier is None:
            raise UnknownBank(tenant)
        events, errors = [], {}
        for jti, token in tokens.items():
            try:
                events.append(await verifier.verify(token))
            except SetRejected as exc:
                errors[jti] = {"err": exc.err, "description": exc.description[:256]}
        if events:
            fresh = await self._outbox.accept(events)
            if any(fresh):
                self._on_accept()
        return [e.event_id for e in events], errors
