"""The one door for PAYMENTS: reading the payees and accounts a payment needs, and initiating it.

Like card actions (actions.py), every step is first a decision — purpose essential.service.payment_processing,
categories user.financial.bank_account.identifiers (payees and accounts) or .payments (the payment itself),
recipient the channel that hears about it — against the bank's agreement (Cedar, `permit-payments`) and the
customer's consent (a usable link carries the payees scope when the bank granted ReadBeneficiariesDetail; the
payment itself is authorised again at the bank each time), then against the bank's amount limits (banks.yaml
`payments.max_single`). Allow and deny alike land in the audit log; a denied or over-limit payment never reaches
the bank.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

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


def over_limit(amount: Decimal, currency: str, limits: Mapping[str, Decimal]) -> Decimal | None:
    """The limit `amount` breaks (zero when the currency cannot be paid in chat at all), or None."""
    limit = limits.get(currency)
    if limit is None:
        return Decimal(0)
    return limit if amount > limit else None


class PaymentPoint:
    def __init__(self, decider: Decider, audit: AuditTrail, links: LinkRepository,
                 connectors: Mapping[str, PaymentInitiation], limits: Mapping[str, Mapping[str, Decimal]],
                 redirect_uri: str) -> None:
        self._gate = PolicyGate(decider, audit, links)
        self._links = links
        self._connectors = connectors
        self._limits = limits
        self.redirect_uri = redirect_uri

    def limits(self, tenant: str) -> Mapping[str, Decimal]:
        return self._limits.get(tenant, {})

    async def _decide(self, subject: Subject, category: str, *, limit_check: tuple[Decimal, str] | None = None
                      ) -> Decision:
        request = DisclosureRequest(subject.tenant, subject.customer_id, PAYMENT_PROCESSING, (category,),
                                    subject.recipient)

        def within_limits(decision: Decision) -> Decision:  # the bank's amount limits, after the agreement
            assert limit_check is not None
            broken = over_limit(*limit_check, self.limits(subject.tenant))
            if broken is None:
                return decision
            return Decision(Outcome.DENY, None, LIMIT_POLICY,
                            f"{limit_check[0]} {limit_check[1]} is over the single-payment limit {broken}")

        return await self._gate.decide_for_link(request, payment_grant,
                                                within_limits if limit_check is not None else None)

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

    async def initiate(self, subject: Subject, order: PaymentOrder, idempotency_key: str, lang: str) -> Initiated:
        """Decide (agreement, consent, limits), then create the bank's payment consent and the SCA redirect."""
        decision = await self._decide(subject, PAYMENTS, limit_check=(order.amount, order.currency))
        if not decision.allowed:
            return Initiated(decision)
        await linked(self._links, subject.tenant, subject.customer_id)  # still linked (NotLinked otherwise)
        connector = self._connectors[subject.tenant]
        consent = await connector.create_payment_consent(order, idempotency_key)
        url, state, verifier = await connector.payment_authorisation(consent.consent_id, self.redirect_uri, lang)
        return Initiated(decision, consent, url, state, verifier)

    async def token(self, tenant: str, code: str, verifier: str) -> Tokens:
        """After the customer authorised at the bank: the token for that one consent (single-use code)."""
        return await self._connectors[tenant].payment_token(code, verifier, self.redirect_uri)

    async def pay(self, tenant: str, tokens: Tokens, consent_id: str, order: PaymentOrder,
                  idempotency_key: str) -> BankPayment:
        """Submit the payment; the same key on a retry gets the bank's first answer, never a second payment."""
        return await self._connectors[tenant].submit_payment(tokens, consent_id, order, idempotency_key)

    async def status(self, tenant: str, bank_payment_id: str) -> BankPayment:
        return await self._connectors[tenant].payment_status(bank_payment_id)
