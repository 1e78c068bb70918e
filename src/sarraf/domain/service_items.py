"""What a bank tells us behind a service answer: items not (yet) in the ledger, fees, the card on its way
and the bank's exchange-rate table, independent of any bank API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sarraf.domain.money import Money


class ItemKind(StrEnum):
    PENDING = "pending"  # authorised or sent, not yet booked
    DECLINED = "declined"  # attempted and refused: never booked
    FEE = "fee"  # a charge the bank booked
    PAYMENT = "payment"  # a booked payment a service question is about (foreign card payment, direct debit)


@dataclass(frozen=True, slots=True)
class ActivityItem:
    """One item of the customer's recent activity as the bank explains it.

    `topic` says what it is: card_payment, transfer_out, transfer_in, cash_withdrawal, direct_debit for
    pending, declined and payments; card_payment_fee, atm_fee, transfer_fee, fx_fee, account_fee for fees.
    `reason` is the bank's code for a refusal (insufficient_funds, limit_exceeded, security_check,
    beneficiary_check, card_frozen). A payment in another currency names the original amount and the rate
    the bank applied (units of the account's currency per unit of the original)."""

    item_id: str
    account_id: str
    kind: ItemKind
    topic: str
    at: datetime
    amount: Money  # positive, in the account's currency
    incoming: bool
    description: str
    merchant_name: str | None = None
    category: str | None = None
    card_last4: str | None = None
    reason: str | None = None
    original: Money | None = None
    applied_rate: Decimal | None = None
    expected_by: date | None = None  # a pending item: when the bank expects it to settle or arrive


@dataclass(frozen=True, slots=True)
class CardDelivery:
    """A card the bank has ordered for the customer and where it is: ordered, dispatched or delivered."""

    card_id: str
    last4: str
    status: str
    ordered_on: date
    dispatched_on: date | None
    delivered_on: date | None
    expected_by: date


@dataclass(frozen=True, slots=True)
class ExchangeRate:
    """Units of `currency` for one unit of `base` on `on`: the bank's own table (public, not customer data)."""

    base: str
    currency: str
    rate: Decimal
    on: date
