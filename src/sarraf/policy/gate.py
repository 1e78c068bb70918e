"""The one door: every use of a customer's bank data — reading it for a chat, acting on a card, initiating a
payment, sending an alert or an offer — is decided here against the bank's agreement and the customer's consent,
and the decision (allow or deny) is in the audit log before anything is read, done or sent.

The points that read the bank (point.py), act on cards (actions.py), pay (payments.py) and route alerts
(alerts/router.py) each ask this gate; none decides or audits on its own."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from sarraf.domain.consent import BankLink
from sarraf.domain.disclosure import Decision, DisclosureRequest
from sarraf.domain.ports import LinkRepository
from sarraf.policy.bank_tokens import linked
from sarraf.policy.consent_grant import ConsentGrant
from sarraf.policy.grants import grant_from_link


class Decider(Protocol):
    def decide(self, request: DisclosureRequest, grant: ConsentGrant) -> Decision: ...


class AuditTrail(Protocol):
    async def record(self, request: DisclosureRequest, decision: Decision) -> object: ...


class DecisionLog(Protocol):
    """An audit trail that appends a batch in one transaction (the Merkle log does both)."""

    async def record_many(self, decisions: Sequence[tuple[DisclosureRequest, Decision]]) -> object: ...


# A rule of the bank's own beyond the agreement (an amount limit): it may turn an allow into a deny, never the reverse.
Check = Callable[[Decision], Decision]


class PolicyGate:
    def __init__(self, decider: Decider, audit: AuditTrail | DecisionLog, links: LinkRepository | None = None
                 ) -> None:
        self._decider = decider
        self._audit = audit
        self._links = links

    async def decide(self, request: DisclosureRequest, grant: ConsentGrant, check: Check | None = None) -> Decision:
        """Decide `request` under `grant` (then the bank's own `check`, if any) and audit it."""
        decision = self._decider.decide(request, grant)
        if check is not None and decision.allowed:
            decision = check(decision)
        await self._append([(request, decision)])
        return decision

    async def decide_for_link(self, request: DisclosureRequest,
                              grant_of: Callable[[BankLink], ConsentGrant] = grant_from_link,
                              check: Check | None = None) -> Decision:
        """Decide under the consent of the customer's bank link, read with its tokens sealed: only a use the
        decision allows ever unseals them."""
        assert self._links is not None, "a gate without links decides only under grants it is given"
        link = await linked(self._links, request.tenant, request.customer_id, unseal=False)
        return await self.decide(request, grant_of(link), check)

    async def decide_many(self, asked: Sequence[tuple[DisclosureRequest, ConsentGrant]],
                          isolate: tuple[type[Exception], ...] = ()) -> list[Decision | Exception]:
        """Decide each request under its grant; the decisions are audited in one append before any is acted on.

        An error of an `isolate` type while deciding one request (its data is malformed) is returned in that
        request's place, so the caller can set that one aside; nothing is recorded for it and the others stand."""
        results: list[Decision | Exception] = []
        for request, grant in asked:
            try:
                results.append(self._decider.decide(request, grant))
            except isolate as exc:
                results.append(exc)
        await self._append([(request, decision) for (request, _), decision in zip(asked, results, strict=True)
                            if isinstance(decision, Decision)])
        return results

    async def _append(self, decided: Sequence[tuple[DisclosureRequest, Decision]]) -> None:
        if not decided:
            return
        if isinstance(self._audit, _Batched):
            await self._audit.record_many(decided)
            return
        for request, decision in decided:
            await self._audit.record(request, decision)


@runtime_checkable
class _Batched(Protocol):
    async def record_many(self, decisions: Sequence[tuple[DisclosureRequest, Decision]]) -> object: ...
