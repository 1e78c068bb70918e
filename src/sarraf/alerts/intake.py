"""Intake: verify a bank's SET, then write the event to the outbox before the bank hears 2xx."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sarraf.alerts.ports import AlertOutbox
from sarraf.alerts.sets import SetRejected, SetVerifier


@dataclass(frozen=True, slots=True)
class Accepted:
    event_id: str
    duplicate: bool  # the bank re-sent an event we already hold: absorbed, never a second message


class UnknownBank(LookupError):
    pass


class EventIntake:
    def __init__(self, verifiers: Mapping[str, SetVerifier], outbox: AlertOutbox,
                 on_accept: Callable[[], None] = lambda: None) -> None:
        self._verifiers = verifiers
        self._outbox = outbox
        self._on_accept = on_accept

    async def accept(self, tenant: str, token: str) -> Accepted:
        """Raises UnknownBank or SetRejected; returns once the event is durably in the outbox."""
        verifier = self._verifiers.get(tenant)
        if verifier is None:
            raise UnknownBank(tenant)
        event = await verifier.verify(token)
        (fresh,) = await self._outbox.accept([event])
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
