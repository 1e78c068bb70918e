"""What alerts derived from standard OB events (alerts/standard.py) keep per account, and where."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sarraf.alerts.derive import Memory
from sarraf.domain.banking import Transaction
from sarraf.policy.point import AccountBalances, Disclosure, Subject


@dataclass(frozen=True, slots=True)
class Remembered:
    customer_id: str
    memory: Memory
    last_booking_at: datetime | None  # the newest booking seen: the next fetch window starts a while before it


class DerivationMemory(Protocol):
    async def recall(self, tenant: str, account_id: str) -> Remembered | None: ...

    async def keep_many(self, kept: Mapping[tuple[str, str], Remembered], now: datetime) -> None:
        """Every (bank, account) → memory in one transaction."""


class AccountReader(Protocol):
    """The policy door's reads (policy/point.py BankDataPoint): decided, audited, minimised."""

    async def balances(self, subject: Subject) -> Disclosure[list[AccountBalances]]: ...

    async def transactions(self, subject: Subject, since: datetime | None, until: datetime | None
                           ) -> Disclosure[list[Transaction]]: ...
