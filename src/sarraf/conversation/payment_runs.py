"""Running a confirmed payment through its states: confirm → bank consent + SCA → callback → submit → outcome.

Each step starts with a compare-and-set of the payment's state (domain/payments.py), so a confirmation tapped
twice (or on two channels at once), a callback replayed, or two replicas racing move the payment once: the
others find it already moved and only report where it is. The bank calls carry idempotency keys stored with the
draft, and the payment token is sealed with the payment, so a submission whose answer was lost is sent again
with the same key (the bank answers the first result) rather than paid twice.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Protocol

from sarraf.domain.consent import Tokens
from sarraf.domain.errors import BankRefused, BankUnavailable, ConsentUnusable, NotLinked
from sarraf.domain.payments import (
    BankPayment,
    Payment,
    PaymentOrder,
    PaymentRepository,
    PaymentState,
    state_for_bank_status,
)
from sarraf.policy.payments import Breach, Initiated, LimitBreach
from sarraf.policy.point import Subject

S = PaymentState


class PaymentDoor(Protocol):
    """policy/payments.PaymentPoint, as the runs use it."""

    async def initiate(self, subject: Subject, order: PaymentOrder, idempotency_key: str, lang: str, *,
                       payment_id: str = "") -> Initiated: ...

    async def quote(self, subject: Subject, order: PaymentOrder, idempotency_key: str, *,
                    payment_id: str = "") -> Initiated: ...

    async def authorise(self, tenant: str, consent_id: str, lang: str) -> tuple[str, str, str]: ...

    async def token(self, tenant: str, code: str, verifier: str) -> Tokens: ...

    async def pay(self, tenant: str, tokens: Tokens, consent_id: str, order: PaymentOrder,
                  idempotency_key: str) -> BankPayment: ...

    async def status(self, tenant: str, bank_payment_id: str, *, international: bool = False) -> BankPayment: ...


def order_of(p: Payment) -> PaymentOrder:
    assert p.amount is not None and p.currency and p.payee and p.source
    return PaymentOrder(instruction_id=p.payment_id.replace("-", "")[:35], amount=p.amount, currency=p.currency,
                        payee=p.payee, source=p.source, reference=p.reference,
                        currency_of_transfer=p.extra.get("transfer") or None)


QUOTE_KEYS = ("rate", "unit", "rate_type", "expires", "fees")


@dataclass(frozen=True, slots=True)
class Step:
    payment: Payment
    moved: bool  # False: someone else had already moved it (a repeat), `payment` is where it is now
    problem: str | None = None  # bank_down, bank_refused, consent_unusable, not_linked, denied


class PaymentRuns:
    def __init__(self, door: PaymentDoor, repo: PaymentRepository,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._door = door
        self._repo = repo
        self._clock = clock

    async def move(self, old: Payment, **changes: object) -> Payment | None:
        """The payment after the change, or None when another writer changed it first."""
        new = old.with_(**changes)
        if not await self._repo.update(old, new):
            return None
        return new.with_(version=old.version + 1)

    async def _current(self, p: Payment) -> Payment:
        return await self._repo.get(p.payment_id) or p

    async def quote(self, p: Payment, subject: Subject, transfer: str) -> Step:
        """An international payment about to be shown for confirmation: the bank's consent, with its exchange
        rate and the quote's expiry, kept with the payment (the customer's yes then only authorises it)."""
        asked = p.with_(extra={**{k: v for k, v in p.extra.items() if k not in QUOTE_KEYS}, "transfer": transfer})
        try:
            started = await self._door.quote(subject, order_of(asked), p.consent_key, payment_id=p.payment_id)
        except (BankUnavailable, BankRefused, ConsentUnusable, NotLinked) as exc:
            return Step(p, moved=False, problem=_problem(exc))
        if not started.decision.allowed:
            limit = {"limit": breach_json(started.breach)} if started.breach is not None else {}
            refused = await self.move(p, state=S.REJECTED, reason=started.decision.policy_id,
                                      extra={**asked.extra, **limit})
            return Step(refused or await self._current(p), moved=True, problem="denied")
        assert started.consent is not None
        extra = {**asked.extra, "fees": json.dumps([[str(a), c] for a, c in started.consent.charges])}
        if (q := started.consent.quote) is not None:
            extra |= {"rate": str(q.rate), "unit": q.unit_currency, "rate_type": q.rate_type,
                      "expires": q.expires_at.isoformat() if q.expires_at else ""}
        quoted = await self.move(p, consent_id=started.consent.consent_id, extra=extra)
        return Step(quoted or await self._current(p), moved=quoted is not None)

    async def _authorise_quoted(self, p: Payment) -> Step:
        expires = p.extra.get("expires")
        if expires and self._clock() >= datetime.fromisoformat(expires):
            # Never a payment at a stale rate: the quote is dropped, a new consent key minted for a fresh one.
            fresh = await self.move(p, consent_id=None, consent_key=secrets.token_hex(16),
                                    extra={k: v for k, v in p.extra.items() if k not in QUOTE_KEYS})
            return Step(fresh or await self._current(p), moved=fresh is not None, problem="quote_expired")
        claimed = await self.move(p, state=S.AUTHORISING, asking=None)
        if claimed is None:
            return Step(await self._current(p), moved=False)
        try:
            url, state, verifier = await self._door.authorise(p.tenant, p.consent_id or "", p.lang)
        except (BankUnavailable, BankRefused, ConsentUnusable) as exc:
            back = await self.move(claimed, state=S.AWAITING_CONFIRMATION, asking="confirm")
            return Step(back or await self._current(claimed), moved=True, problem=_problem(exc))
        ready = await self.move(claimed, auth_state=state, code_verifier=verifier, auth_url=url)
        return Step(ready or await self._current(claimed), moved=True)

    async def confirm(self, p: Payment, subject: Subject) -> Step:
        """The customer's yes: decide and create the bank's consent, once; a repeat reports where it is."""
        if p.state is not S.AWAITING_CONFIRMATION:
            return Step(p, moved=False)
        if p.extra.get("transfer"):  # abroad: only a quoted consent is authorised; without one, quote first
            if not p.consent_id:
                return Step(p, moved=False, problem="quote_expired")
            return await self._authorise_quoted(p)
        claimed = await self.move(p, state=S.AUTHORISING, asking=None)
        if claimed is None:
            return Step(await self._current(p), moved=False)
        try:
            started = await self._door.initiate(subject, order_of(claimed), claimed.consent_key, claimed.lang,
                                                payment_id=claimed.payment_id)
        except (BankUnavailable, BankRefused, ConsentUnusable, NotLinked) as exc:
            # Nothing was paid: the customer may say yes again (the same consent key finds the same consent).
            back = await self.move(claimed, state=S.AWAITING_CONFIRMATION, asking="confirm")
            return Step(back or await self._current(claimed), moved=True, problem=_problem(exc))
        if not started.decision.allowed:
            limit = {"limit": breach_json(started.breach)} if started.breach is not None else {}
            refused = await self.move(claimed, state=S.REJECTED, reason=started.decision.policy_id,
                                      extra={**claimed.extra, **limit})
            return Step(refused or await self._current(claimed), moved=True, problem="denied")
        assert started.consent is not None
        ready = await self.move(claimed, consent_id=started.consent.consent_id, auth_state=started.state,
                                code_verifier=started.verifier, auth_url=started.url,
                                extra={**claimed.extra, "fees": json.dumps([[str(a), c] for a, c in
                                                                            started.consent.charges])})
        return Step(ready or await self._current(claimed), moved=True)

    async def cancel(self, p: Payment) -> Step:
        if p.state not in (S.DRAFT, S.AWAITING_CONFIRMATION, S.AUTHORISING):
            return Step(p, moved=False)
        done = await self.move(p, state=S.CANCELLED, asking=None, reason="customer")
        return Step(done or await self._current(p), moved=done is not None)

    async def complete(self, state: str, code: str | None, error: str | None) -> Step | None:
        """The bank sent the customer back. None for a state we never issued."""
        p = await self._repo.by_auth_state(state)
        if p is None:
            return None
        if p.state is not S.AUTHORISING:
            return Step(p, moved=False)  # a replayed callback: the payment has moved on already
        if error or not code:
            refused = await self.move(p, state=S.CANCELLED, reason="sca_refused")
            return Step(refused or await self._current(p), moved=refused is not None)
        claimed = await self.move(p, state=S.SUBMITTED)  # claimed before any bank call: one submitter only
        if claimed is None:
            return Step(await self._current(p), moved=False)
        try:
            tokens = await self._door.token(claimed.tenant, code, claimed.code_verifier or "")
        except (BankUnavailable, BankRefused, ConsentUnusable) as exc:
            # No payment was sent (the token never came): final, and the customer told nothing was paid.
            failed = await self.move(claimed, state=S.REJECTED, reason="not_sent")
            return Step(failed or await self._current(claimed), moved=True, problem=_problem(exc))
        kept = await self.move(claimed, extra={**claimed.extra, "token": tokens.access_token})
        return await self._submit(kept or await self._current(claimed), tokens)

    async def _submit(self, p: Payment, tokens: Tokens) -> Step:
        answer: BankPayment | None = None
        problem = None
        for _ in range(2):  # one immediate retry with the same idempotency key
            try:
                answer = await self._door.pay(p.tenant, tokens, p.consent_id or "", order_of(p), p.payment_key)
                break
            except BankUnavailable as exc:
                problem = _problem(exc)
            except (BankRefused, ConsentUnusable) as exc:
                refused = await self.move(p, state=S.REJECTED, reason="refused")
                return Step(refused or await self._current(p), moved=True, problem=_problem(exc))
        if answer is None:
            # The bank's answer is unknown: stay submitted, ask again later with the same key.
            noted = await self.move(p, reason="unconfirmed")
            return Step(noted or await self._current(p), moved=True, problem=problem)
        return await self._settle(p, answer)

    async def _settle(self, p: Payment, answer: BankPayment, mark: dict[str, str] | None = None) -> Step:
        target = state_for_bank_status(answer.status)
        extra = {k: v for k, v in p.extra.items() if k != "token"} if target is not S.SUBMITTED else p.extra
        if mark and target is not S.SUBMITTED:  # who settled it, written with the move itself
            extra = {**extra, **mark}
        settled = await self.move(p, state=target, bank_payment_id=answer.payment_id, bank_status=answer.status,
                                  reason=answer.reason, extra=extra)
        return Step(settled or await self._current(p), moved=settled is not None)

    async def refresh(self, p: Payment, *, mark: dict[str, str] | None = None) -> Step:
        """Where a submitted payment stands at the bank now (sent again with its key if the answer was lost).
        `mark` goes into the payment's extra in the same write that settles it (the status follower's)."""
        if p.state is not S.SUBMITTED:
            return Step(p, moved=False)
        if p.bank_payment_id:
            answer = await self._door.status(p.tenant, p.bank_payment_id, international=bool(p.extra.get("transfer")))
            return await self._settle(p, answer, mark)
        token = p.extra.get("token")
        if not token:
            return Step(p, moved=False)
        return await self._submit(p, Tokens(access_token=token, refresh_token=None, expires_at=self._clock()))


def breach_json(breach: LimitBreach) -> str:
    """The limit a refused payment broke, kept with it so its status names the limit."""
    left = str(breach.left) if breach.left is not None else None
    return json.dumps([breach.kind.value, str(breach.limit), breach.currency, left])


def breach_of(p: Payment) -> LimitBreach | None:
    raw = p.extra.get("limit")
    if not raw:
        return None
    kind, limit, currency, left = json.loads(raw)
    return LimitBreach(Breach(kind), Decimal(limit), currency, Decimal(left) if left is not None else None)


def _problem(exc: Exception) -> str:
    if isinstance(exc, BankUnavailable):
        return "bank_down"
    if isinstance(exc, BankRefused):
        return "bank_refused"
    if isinstance(exc, NotLinked):
        return "not_linked"
    return "consent_unusable"
