"""What a bank tells us about a customer's money, independent of any bank API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sarraf.domain.money import Money


class CreditDebit(StrEnum):
    CREDIT = "Credit"
    DEBIT = "Debit"


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    currency: str
    nickname: str
    account_type: str  # OB AccountType/AccountSubType, e.g. "Personal/CurrentAccount"
    identification: str  # sort code + number or IBAN; masked before any channel sees it
    scheme: str = "UK.OBIE.SortCodeAccountNumber"


@dataclass(frozen=True, slots=True)
class Balance:
    account_id: str
    amount: Money  # signed: negative when the balance is a debit
    balance_type: str  # OB BalanceType, e.g. "InterimAvailable"
    as_of: datetime


@dataclass(frozen=True, slots=True)
class Transaction:
    transaction_id: str
    account_id: str
    booked_at: datetime
    amount: Money  # always positive; direction in credit_debit
    credit_debit: CreditDebit
    description: str
    merchant_name: str | None = None
    merchant_category_code: str | None = None
    category: str | None = None  # our spending category: food, transport, shopping, ...
    card_last4: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def signed_amount(self) -> Money:
        return self.amount if self.credit_debit is CreditDebit.CREDIT else -self.amount
