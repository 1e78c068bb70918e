"""A payment asked for in chat, as a persisted state machine, and the ports it needs.

    draft ──► awaiting_confirmation ──► authorising ──► submitted ──► completed
      │              │   ▲                   │              └──────► rejected
      └──────────────┴───┴─► cancelled / expired ◄──────────┘ (before submission only)

A move is a compare-and-set in the store (`PaymentRepository.move`): of two confirmations, two callbacks or two
replicas racing, exactly one moves the payment on and the others see it already moved, so nothing is ever
submitted twice. The idempotency keys of the bank calls are minted when the draft is created and stored with
it, so a retry after a crash sends the same key and the bank answers the first request's result.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from babel.numbers import get_currency_precision

from sarraf.domain.consent import Tokens


class PaymentState(StrEnum):
    DRAFT = "draft"  # slots being filled: amount, payee, source account
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # everything known, the summary shown, waiting for yes
    AUTHORISING = "authorising"  # confirmed: the bank's consent exists, the customer is at its SCA page
    SUBMITTED = "submitted"  # the payment was sent to the bank (with its idempotency key)
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


FINAL = frozenset({PaymentState.COMPLETED, PaymentState.REJECTED, PaymentState.CANCELLED, PaymentState.EXPIRED})
OPEN = (PaymentState.DRAFT, PaymentState.AWAITING_CONFIRMATION)
# Confirmed by the customer and not failed: what counts towards the day's payment limit.
COMMITTED = (PaymentState.AUTHORISING, PaymentState.SUBMITTED, PaymentState.COMPLETED)
TRANSITIONS: dict[PaymentState, frozenset[PaymentState]] = {
    PaymentState.DRAFT: frozenset({PaymentState.AWAITING_CONFIRMATION, PaymentState.CANCELLED,
                                   PaymentState.EXPIRED, PaymentState.REJECTED}),
    PaymentState.AWAITING_CONFIRMATION: frozenset({PaymentState.DRAFT, PaymentState.AUTHORISING,
                                                   PaymentState.CANCELLED, PaymentState.EXPIRED,
                                                   PaymentState.REJECTED}),
    # back to awaiting_confirmation when the bank was down before any consent was made
    PaymentState.AUTHORISING: frozenset({PaymentState.AWAITING_CONFIRMATION, PaymentState.SUBMITTED,
                                         PaymentState.REJECTED, PaymentState.CANCELLED, PaymentState.EXPIRED}),
    PaymentState.SUBMITTED: frozenset({PaymentState.COMPLETED, PaymentState.REJECTED}),
}


def can_move(source: PaymentState, target: PaymentState) -> bool:
    return target in TRANSITIONS.get(source, frozenset())


class IllegalMove(ValueError):
    """A transition the state machine does not have (a programming error, never a race)."""


# OB v4.0 domestic payment statuses (ISO 20022 codes) and where each leaves the chat's payment.
BANK_DONE = frozenset({"ACSC", "ACCC", "ACSP", "ACWC", "ACFC"})
BANK_REJECTED = frozenset({"RJCT", "BLCK"})


def state_for_bank_status(status: str) -> PaymentState:
    if status in BANK_DONE:
        return PaymentState.COMPLETED
    if status in BANK_REJECTED:
        return PaymentState.REJECTED
    return PaymentState.SUBMITTED  # RCVD, PDNG, ACTC, ACCP, ...: still on its way


@dataclass(frozen=True, slots=True)
class Payee:
    name: str
    scheme: str  # OB SchemeName: UK.OBIE.IBAN or UK.OBIE.SortCodeAccountNumber
    identification: str
    account_id: str = ""  # the customer's account the payee is saved on (a saved payee pays from it)


@dataclass(frozen=True, slots=True)
class SourceAccount:
    account_id: str
    scheme: str
    identification: str
    currency: str
    label: str  # the account's nickname, as the bank names it


@dataclass(frozen=True, slots=True)
class Payment:
    payment_id: str
    tenant: str
    customer_id: str
    channel: str
    sender: str
    lang: str
    state: PaymentState
    created_at: datetime
    expires_at: datetime
    consent_key: str  # x-idempotency-key of the consent POST
    payment_key: str  # x-idempotency-key of the payment POST
    amount_minor: int | None = None
    currency: str | None = None
    payee: Payee | None = None
    source: SourceAccount | None = None
    reference: str | None = None
    asking: str | None = None  # the slot the last reply asked for: amount, payee, which_payee, source, confirm
    choices: tuple[str, ...] = ()  # the names offered when asking which payee / which account
    consent_id: str | None = None
    auth_state: str | None = None  # OAuth state of the SCA redirect
    code_verifier: str | None = None
    auth_url: str | None = None
    bank_payment_id: str | None = None
    bank_status: str | None = None
    reason: str | None = None  # why it was rejected or cancelled (a bank reason code or ours)
    version: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def amount(self) -> Decimal | None:
        if self.amount_minor is None or self.currency is None:
            return None
        return Decimal(self.amount_minor).scaleb(-get_currency_precision(self.currency))

    def missing(self) -> str | None:
        """The first slot still to fill, in the order the flow asks for them."""
        if self.amount_minor is None:
            return "amount"
        if self.payee is None:
            return "payee"
        if self.source is None:
            return "source"
        return None

    def with_(self, **changes: object) -> Payment:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class PaymentOrder:
    """What the bank is asked to pay: one domestic payment, or an international one when `currency_of_transfer`
    is set (the payee receives that currency; `amount` is in the source account's `currency`)."""

    instruction_id: str  # our payment id, cut to OB's 35 characters
    amount: Decimal
    currency: str
    payee: Payee
    source: SourceAccount
    reference: str | None
    currency_of_transfer: str | None = None

    @property
    def international(self) -> bool:
        return self.currency_of_transfer is not None


@dataclass(frozen=True, slots=True)
class ExchangeQuote:
    """OB ExchangeRateInformation as the bank answered it: 1 `unit_currency` = `rate` of the currency of transfer."""

    unit_currency: str
    rate: Decimal
    rate_type: str  # Actual, Agreed, Indicative
    expires_at: datetime | None  # None: the rate promises nothing (Indicative)


@dataclass(frozen=True, slots=True)
class BankPaymentConsent:
    consent_id: str
    status: str  # AWAU, AUTH, RJCT, COND
    charges: tuple[tuple[Decimal, str], ...] = ()  # (amount, currency) the customer pays
    quote: ExchangeQuote | None = None  # international payments: the bank's exchange rate


@dataclass(frozen=True, slots=True)
class BankPayment:
    payment_id: str
    status: str  # an ISO 20022 code: ACSC, RJCT, PDNG, ...
    reason: str | None = None  # StatusReasonCode when rejected (AM04 insufficient funds, ...)


class PaymentInitiation(Protocol):
    """OB v4.0 PIS at one bank (banks/ob_payments.py). Raises BankUnavailable / ConsentUnusable / BankRefused."""

    async def create_payment_consent(self, order: PaymentOrder, idempotency_key: str) -> BankPaymentConsent: ...

    async def payment_authorisation(self, consent_id: str, redirect_uri: str, lang: str) -> tuple[str, str, str]:
        """(url of the bank's SCA page, OAuth state, PKCE code_verifier)."""
        ...

    async def payment_token(self, code: str, code_verifier: str, redirect_uri: str) -> Tokens: ...

    async def submit_payment(self, tokens: Tokens, consent_id: str, order: PaymentOrder,
                             idempotency_key: str) -> BankPayment: ...

    async def payment_status(self, payment_id: str, *, international: bool = False) -> BankPayment: ...

    async def beneficiaries(self, tokens: Tokens, account_id: str) -> list[Payee]: ...

    async def source_accounts(self, tokens: Tokens) -> list[SourceAccount]: ...


class PaymentRepository(Protocol):
    async def create(self, payment: Payment) -> None: ...

    async def get(self, payment_id: str) -> Payment | None: ...

    async def by_auth_state(self, state: str) -> Payment | None: ...

    async def open_for(self, tenant: str, customer_id: str, now: datetime) -> Payment | None:
        """The customer's payment still being put together (draft or awaiting confirmation), if any."""
        ...

    async def committed_since(self, tenant: str, customer_id: str, currency: str, since: datetime,
                              exclude: str) -> int:
        """Minor units of the customer's COMMITTED payments in `currency` created since `since`, but `exclude`."""
        ...

    async def update(self, old: Payment, new: Payment) -> bool:
        """Write `new` over `old` if the stored payment is still `old` (same version): a compare-and-set.
        False when another writer changed it first; IllegalMove when the state machine has no such move."""
        ...
