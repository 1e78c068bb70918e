"""The one door for PAYMENTS: reading the payees and accounts a payment needs, and initiating it.

Like card actions (actions.py), every step is first a decision — purpose essential.service.payment_processing,
categories user.financial.bank_account.identifiers (payees and accounts) or .payments (the payment itself),
recipient the channel that hears about it — against the bank's agreement (Cedar, `permit-payments`) and the
customer's consent (a usable link carries the payees scope when the bank granted ReadBeneficiariesDetail; the
payment itself is authorised again at the bank each time), then against the bank's amount limits (banks.yaml
`payments`: `max_single` per payment, `max_daily` for the day's payments together, `max_new_payee` for a payee
the bank has not saved). Allow and deny alike land in the audit log; a denied or over-limit payment never reaches
the bank.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from babel.numbers import get_currency_precision

from sarraf.domain.consent import BankLink, Tokens
from sarraf.domain.disclosure import Decision, DisclosureRequest, Outcome
from sarraf.domain.errors import ConsentUnusable
from sarraf.domain.payments import (
    BankPayment,
    BankPaymentConsent,
    Payee,
    PaymentInitiation,
    PaymentOrder,
    SourceAccount,
)
from sarraf.domain.ports import LinkRepository
from sarraf.policy.bank_tokens import fresh_tokens, linked, mark_unusable
from sarraf.policy.consent_grant import Scope
from sarraf.policy.gate import AuditTrail, Decider, PolicyGate
from sarraf.policy.grants import payment_grant
from sarraf.policy.point import ACCOUNT_IDENTIFIERS, Subject

PAYMENT_PROCESSING = "essential.service.payment_processing"
PAYMENTS = "user.financial.bank_account.payments"
LIMIT_POLICY = "payment-limit"  # the policy id of a refusal by the bank's amount limits (not Cedar's)


@dataclass(frozen=True, slots=True)
class Parties:
    decision: Decision
    accounts: tuple[SourceAccount, ...] = ()
    payees: tuple[Payee, ...] = ()


@dataclass(frozen=True, slots=True)
class Initiated:
    decision: Decision
    consent: BankPaymentConsent | None = None
    url: str | None = None
    state: str | None = None
    verifier: str | None = None
    breach: LimitBreach | None = None  # when the decision is a deny by the bank's limits


class Breach(StrEnum):
    CURRENCY = "currency"  # the bank does not let this currency be paid in chat at all
    SINGLE = "single"
    DAILY = "daily"
    NEW_PAYEE = "new_payee"


@dataclass(frozen=True, slots=True)
class PaymentLimits:
    """A bank's limits on payments in chat, per currency (banks.yaml `payments`). A currency without a
    single-payment limit cannot be paid in chat; the daily and new-payee limits apply where they are set."""

    single: Mapping[str, Decimal] = field(default_factory=dict)
    daily: Mapping[str, Decimal] = field(default_factory=dict)
    new_payee: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LimitBreach:
    kind: Breach
    limit: Decimal
    currency: str
    left: Decimal | None = None  # daily: what may still be sent today

    def describe(self, amount: Decimal) -> str:
        """For the audit log (operators read it in English)."""
        if self.kind is Breach.CURRENCY:
            return f"{self.currency} cannot be paid in chat"
        said = {Breach.SINGLE: "single-payment", Breach.DAILY: "daily", Breach.NEW_PAYEE: "new-payee"}[self.kind]
        return f"{amount} {self.currency} is over the {said} limit {self.limit}" + (
            f" ({self.left} left today)" if self.left is not None else "")


def limit_breach(amount: Decimal, currency: str, limits: PaymentLimits, *, new_payee: bool,
                 spent_today: Decimal) -> LimitBreach | None:
    """The first limit `amount` breaks, or None. `spent_today` is what the customer's other payments in the
    same currency already took of today's limit (confirmed, on their way or paid)."""
    single = limits.single.get(currency)
    if single is None:
        return LimitBreach(Breach.CURRENCY, Decimal(0), currency)
    if amount > single:
        return LimitBreach(Breach.SINGLE, single, currency)
    first_time = limits.new_payee.get(currency)
    if new_payee and first_time is not None and amount > first_time:
        return LimitBreach(Breach.NEW_PAYEE, first_time, currency)
    daily = limits.daily.get(currency)
    if daily is not None and spent_today + amount > daily:
        return LimitBreach(Breach.DAILY, daily, currency, left=max(daily - spent_today, Decimal(0)))
    return None


class PaymentTotals(Protocol):
    async def committed_since(self, tenant: str, customer_id: str, currency: str, since: datetime,
                              exclude: str) -> int:
        """Minor units of the customer's payments in `currency` created since `since` that were confirmed
        (authorising, submitted or completed), other than payment `exclude`."""
        ...


class PaymentPoint:
    def __init__(self, decider: Decider, audit: AuditTrail, links: LinkRepository,
                 connectors: Mapping[str, PaymentInitiation], limits: Mapping[str, PaymentLimits],
                 redirect_uri: str, totals: PaymentTotals | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._gate = PolicyGate(decider, audit, links)
        self._links = links
        self._connectors = connectors
        self._limits = limits
        self._totals = totals
        self._clock = clock
        self.redirect_uri = redirect_uri

    def limits(self, tenant: str) -> PaymentLimits:
        return self._limits.get(tenant, PaymentLimits())

    async def _breach(self, subject: Subject, amount: Decimal, currency: str, new_payee: bool,
                      exclude: str) -> LimitBreach | None:
        spent = Decimal(0)
        if self._totals is not None:
            # The day is the UTC day: the same for every replica and every customer of the bank.
            midnight = datetime.combine(self._clock().astimezone(UTC).date(), time(0), tzinfo=UTC)
            minor = await self._totals.committed_since(subject.tenant, subject.customer_id, currency, midnight,
                                                       exclude)
            spent = Decimal(minor).scaleb(-get_currency_precision(currency))
        return limit_breach(amount, currency, self.limits(subject.tenant), new_payee=new_payee, spent_today=spent)

    async def check_limits(self, subject: Subject, amount: Decimal, currency: str, *, new_payee: bool,
                           payment_id: str) -> LimitBreach | None:
        """The limit a payment put together in chat breaks, before it is ever confirmed; a breach is audited as a
        deny (the customer is told the limit and asked for another amount)."""
        breach = await self._breach(subject, amount, currency, new_payee, payment_id)
        if breach is not None:
            request = DisclosureRequest(subject.tenant, subject.customer_id, PAYMENT_PROCESSING, (PAYMENTS,),
                                        subject.recipient)
            refusal = Decision(Outcome.DENY, None, LIMIT_POLICY, breach.describe(amount))
            # through the gate like every decision: the agreement first, then the bank's limit turns it into a deny
            await self._gate.decide_for_link(request, payment_grant, lambda _allowed: refusal)
        return breach

    async def _decide(self, subject: Subject, category: str) -> Decision:
        request = DisclosureRequest(subject.tenant, subject.customer_id, PAYMENT_PROCESSING, (category,),
                                    subject.recipient)
        return await self._gate.decide_for_link(request, payment_grant)

    async def _decide_payment(self, subject: Subject, order: PaymentOrder, payment_id: str
                              ) -> tuple[Decision, LimitBreach | None]:
        request = DisclosureRequest(subject.tenant, subject.customer_id, PAYMENT_PROCESSING, (PAYMENTS,),
                                    subject.recipient)
        # the bank's limits, read before the decision (they need the day's total) and applied after the agreement
        breach = await self._breach(subject, order.amount, order.currency, not order.payee.account_id, payment_id)
        refusal = None if breach is None else Decision(Outcome.DENY, None, LIMIT_POLICY, breach.describe(order.amount))
        decision = await self._gate.decide_for_link(request, payment_grant,
                                                    None if refusal is None else (lambda _allowed: refusal))
        if decision is not refusal:
            breach = None  # the agreement refused first (or allowed within the limits): no limit to name
        return decision, breach

    async def _tokens(self, subject: Subject) -> tuple[BankLink, Tokens]:
        link = await linked(self._links, subject.tenant, subject.customer_id)
        connector = self._connectors[subject.tenant]
        return link, await fresh_tokens(connector, self._links, link)  # type: ignore[arg-type]

    async def parties(self, subject: Subject) -> Parties:
        """The customer's accounts that can pay and the payees saved on them (none when the bank did not
        grant the beneficiary read). Read for processing; what the chat is shown is minimised by the flow."""
        decision = await self._decide(subject, ACCOUNT_IDENTIFIERS)
        if not decision.allowed:
            return Parties(decision)
        link, tokens = await self._tokens(subject)
        connector = self._connectors[subject.tenant]
        try:
            accounts = await connector.source_accounts(tokens)
            payees: list[Payee] = []
            if Scope.PAYEES in payment_grant(link).scopes:
                for account in accounts:
                    payees.extend(p for p in await connector.beneficiaries(tokens, account.account_id)
                                  if p not in payees)
        except ConsentUnusable:
            await mark_unusable(self._links, link)
            raise
        return Parties(decision, tuple(accounts), tuple(payees))

    async def initiate(self, subject: Subject, order: PaymentOrder, idempotency_key: str, lang: str, *,
                       payment_id: str = "") -> Initiated:
        """Decide (agreement, consent, limits), then create the bank's payment consent and the SCA redirect.
        `payment_id` is the chat's payment, left out of the day's total it is checked against."""
        decision, breach = await self._decide_payment(subject, order, payment_id)
        if not decision.allowed:
            return Initiated(decision, breach=breach)
        await linked(self._links, subject.tenant, subject.customer_id)  # still linked (NotLinked otherwise)
        connector = self._connectors[subject.tenant]
        consent = await connector.create_payment_consent(order, idempotency_key)
        url, state, verifier = await connector.payment_authorisation(consent.consent_id, self.redirect_uri, lang)
        return Initiated(decision, consent, url, state, verifier)

    async def quote(self, subject: Subject, order: PaymentOrder, idempotency_key: str, *,
                    payment_id: str = "") -> Initiated:
        """An international payment: decide (agreement, consent, limits), then create the bank's consent, whose
        answer carries the bank's exchange rate and how long it holds, shown before the customer confirms. The
        strong authentication follows the customer's yes (`authorise`)."""
        decision, breach = await self._decide_payment(subject, order, payment_id)
        if not decision.allowed:
            return Initiated(decision, breach=breach)
        await linked(self._links, subject.tenant, subject.customer_id)
        consent = await self._connectors[subject.tenant].create_payment_consent(order, idempotency_key)
        return Initiated(decision, consent)

    async def authorise(self, tenant: str, consent_id: str, lang: str) -> tuple[str, str, str]:
        """The bank's SCA redirect for a consent already made (a quoted international payment)."""
        return await self._connectors[tenant].payment_authorisation(consent_id, self.redirect_uri, lang)

    async def token(self, tenant: str, code: str, verifier: str) -> Tokens:
        """After the customer authorised at the bank: the token for that one consent (single-use code)."""
        return await self._connectors[tenant].payment_token(code, verifier, self.redirect_uri)

    async def pay(self, tenant: str, tokens: Tokens, consent_id: str, order: PaymentOrder,
                  idempotency_key: str) -> BankPayment:
        """Submit the payment; the same key on a retry gets the bank's first answer, never a second payment."""
        return await self._connectors[tenant].submit_payment(tokens, consent_id, order, idempotency_key)

    async def status(self, tenant: str, bank_payment_id: str, *, international: bool = False) -> BankPayment:
        return await self._connectors[tenant].payment_status(bank_payment_id, international=international)
