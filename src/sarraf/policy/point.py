"""The one door for bank data.

Every read of a customer's bank data — by the conversation, alerts, the secure page, exports — asks this
policy point. It decides the disclosure against the bank's agreement and the customer's consent, writes the
decision to the audit log (allow and deny alike), reads the bank only when the decision allows data to
flow, and hands back data already minimised for the recipient. Nothing else in the gateway calls a bank
connector's data methods (tests/architecture enforces it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sarraf.domain.banking import Account, Balance, Transaction
from sarraf.domain.consent import BankLink, Tokens
from sarraf.domain.disclosure import Decision, DisclosureRequest, Minimisation
from sarraf.domain.errors import ConsentUnusable
from sarraf.domain.ports import BankConnector, LinkRepository
from sarraf.domain.service_items import ActivityItem, ExchangeRate
from sarraf.policy.bank_tokens import fresh_tokens, linked, mark_unusable
from sarraf.policy.consent_grant import ConsentGrant
from sarraf.policy.gate import AuditTrail, Decider, PolicyGate
from sarraf.policy.grants import grant_from_link
from sarraf.policy.minimise import minimise

SERVICE_SUPPORT = "essential.service.operations.support"
BALANCE = "user.financial.bank_account.balance"
ACCOUNT_IDENTIFIERS = "user.financial.bank_account.identifiers"
TRANSACTIONS = "user.financial.bank_account.transactions"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Subject:
    """Whose data, seen by which recipient (channel or surface), for which purpose."""

    tenant: str
    customer_id: str
    recipient: str
    purpose: str = SERVICE_SUPPORT


@dataclass(frozen=True, slots=True)
class AccountBalances:
    account: Account
    balances: tuple[Balance, ...]


@dataclass(frozen=True, slots=True)
class Disclosure(Generic[T]):
    decision: Decision
    data: T | None  # None when denied, or when the recipient may only receive a link

    @property
    def link_only(self) -> bool:
        return self.decision.allowed and self.decision.minimisation is Minimisation.LINK_ONLY


class BankDataPoint:
    def __init__(
        self,
        decider: Decider,
        audit: AuditTrail,
        links: LinkRepository,
        connectors: Mapping[str, BankConnector],
        grant_of: Callable[[BankLink], ConsentGrant] = grant_from_link,
    ) -> None:
        self._gate = PolicyGate(decider, audit, links)
        self._links = links
        self._connectors = connectors
        self._grant_of = grant_of

    async def decide(self, subject: Subject, categories: tuple[str, ...]) -> Decision:
        """Decide and audit a disclosure without reading the bank.

        The link is read with its tokens sealed: only a disclosure that reads the bank unseals them."""
        request = DisclosureRequest(
            tenant=subject.tenant,
            customer_id=subject.customer_id,
            purpose=subject.purpose,
            categories=categories,
            recipient=subject.recipient,
        )
        return await self._gate.decide_for_link(request, self._grant_of)

    async def balances(self, subject: Subject) -> Disclosure[list[AccountBalances]]:
        async def read(connector: BankConnector, tokens: Tokens) -> list[AccountBalances]:
            accounts = await connector.accounts(tokens)
            return [AccountBalances(a, tuple(await connector.balances(tokens, a.account_id))) for a in accounts]

        disclosure = await self._disclose(subject, (BALANCE, ACCOUNT_IDENTIFIERS), read)
        if disclosure.data is None or disclosure.decision.minimisation is None:
            return disclosure
        level = disclosure.decision.minimisation
        data = [
            AccountBalances(minimise(item.account, level), tuple(minimise(b, level) for b in item.balances))
            for item in disclosure.data
        ]
        return Disclosure(disclosure.decision, data)

    async def transactions(
        self, subject: Subject, since: datetime | None, until: datetime | None,
        keep: Callable[[Transaction], bool] | None = None,
    ) -> Disclosure[list[Transaction]]:
        """`keep` narrows what the bank returned (e.g. payments at the merchant the customer named) here, inside
        the bank boundary, before minimisation: a masked channel never sees merchant names, so a filter on them
        must run before they are masked, and what it drops is never disclosed."""
        async def read(connector: BankConnector, tokens: Tokens) -> list[Transaction]:
            found: list[Transaction] = []
            for account in await connector.accounts(tokens):
                found.extend(await connector.transactions(tokens, account.account_id, since, until))
            if keep is not None:
                found = [t for t in found if keep(t)]
            return sorted(found, key=lambda t: t.booked_at, reverse=True)

        disclosure = await self._disclose(subject, (TRANSACTIONS,), read)
        if disclosure.data is None or disclosure.decision.minimisation is None:
            return disclosure
        level = disclosure.decision.minimisation
        return Disclosure(disclosure.decision, [minimise(t, level) for t in disclosure.data])

    async def activity(self, subject: Subject) -> Disclosure[list[ActivityItem]]:
        """What is behind a service question (pending and declined items, fees, a payment's exchange rate):
        transaction data, decided, audited and minimised like the ledger itself."""

        async def read(connector: BankConnector, tokens: Tokens) -> list[ActivityItem]:
            return await connector.activity(tokens)

        disclosure = await self._disclose(subject, (TRANSACTIONS,), read)
        if disclosure.data is None or disclosure.decision.minimisation is None:
            return disclosure
        level = disclosure.decision.minimisation
        return Disclosure(disclosure.decision, [minimise(i, level) for i in disclosure.data])

    async def rates(self, tenant: str, base: str) -> list[ExchangeRate]:
        """The bank's published exchange-rate table: nobody's personal data, so no decision to take."""
        return await self._connectors[tenant].rates(base)

    async def _disclose(
        self,
        subject: Subject,
        categories: tuple[str, ...],
        read: Callable[[BankConnector, Tokens], Awaitable[T]],
    ) -> Disclosure[T]:
        decision = await self.decide(subject, categories)
        # Data minimisation starts here: a denied or link-only disclosure never even reads the bank.
        if not decision.allowed or decision.minimisation is Minimisation.LINK_ONLY:
            return Disclosure(decision, None)
        connector = self._connectors[subject.tenant]
        # read again, unsealed: raises NotLinked if the customer unlinked since the decision
        link = await linked(self._links, subject.tenant, subject.customer_id)
        tokens = await fresh_tokens(connector, self._links, link)
        try:
            data = await read(connector, tokens)
        except ConsentUnusable:
            await mark_unusable(self._links, link)
            raise
        return Disclosure(decision, data)
