"""Standard-events mode (SARRAF_SANDBOX_EVENTS=standard, or create_app(events_mode="standard")): the sandbox
behaves like a real UK Open Banking v4.0 bank, whose only events are `resource-update` and consent revocation.

The admin API's payment events then put a transaction on the customer's account — booked, pending or declined,
with merchant, country and how the card was used — and send a resource-update; the gateway reads what changed
through AIS and derives the alerts itself. Events OB has no standard form for (shipping updates, offers) are not
sent at all. `booking` books a pending transaction under a new id, as some banks do. Held in memory.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from sarraf.sandbox_bank.seed import Entry, SeededAccount

STANDARD, SARRAF = "standard", "sarraf"
NOT_STANDARD = ("shipping-update", "offer")


@dataclass(slots=True)
class Activity:
    """Made-up account activity per account, after the seeded ledger and the payments."""

    _entries: dict[str, list[Entry]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, account_id: str, *, amount: Decimal, credit: bool, merchant: str, code: str, at: datetime,
            status: str = "BOOK", country: str | None = None, card_last4: str | None = None,
            card_present: bool = True, transaction_id: str | None = None) -> Entry:
        entry = Entry(transaction_id or f"std-{uuid.uuid4().hex[:16]}", account_id, at, amount, credit, merchant,
                      code, None, card_last4, Decimal(0), status, country,
                      "Contactless" if card_present else "ConsumerDevice")
        with self._lock:
            self._entries.setdefault(account_id, []).append(entry)
        return entry

    def book(self, transaction_id: str, new_id: str | None = None) -> Entry | None:
        """A pending entry books, under a new id when given (the old row leaves the list)."""
        with self._lock:
            for entries in self._entries.values():
                for n, e in enumerate(entries):
                    if e.transaction_id == transaction_id and e.status == "PDNG":
                        entries[n] = replace(e, transaction_id=new_id or e.transaction_id, status="BOOK")
                        return entries[n]
        return None

    def merged(self, account: SeededAccount) -> SeededAccount:
        """The account with its made-up activity appended; only booked entries move the balance."""
        with self._lock:
            extra = list(self._entries.get(account.account_id, ()))
        if not extra:
            return account
        running = account.balance
        entries = list(account.entries)
        for e in extra:
            if e.status == "BOOK":
                running += e.amount if e.credit else -e.amount
            entries.append(replace(e, balance_after=running))
        return replace(account, entries=tuple(entries))
