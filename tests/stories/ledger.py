"""The sandbox bank's own books, read over its Open Banking API with a consent of our own (not the gateway's):
the figures a story expects are computed here, never copied from what the bot said.

Spending follows the rules written in src/sarraf/banks/categories.py's table (a category is a set of ISO 18245
merchant category codes) and the customer's sense of the words: groceries (supermarkets and food stores) and
eating out (restaurants, bars, fast food) are different things. Money moved between one's own accounts, rent
by standing order and money received are not spending.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx

from sarraf.banks.openbanking import OpenBankingConnector
from sarraf.banks.sandbox_login import complete_sandbox_login
from tests.integration.helpers import PERMISSIONS

CATEGORY_MCCS: dict[str, frozenset[int]] = {
    "groceries": frozenset({5411, 5422, 5441, 5451, 5462, 5499}),
    "eating_out": frozenset({5811, 5812, 5813, 5814}),
    "transport": frozenset({4111, 4112, 4121, 4131, 4784, 4789, 7523, 5541, 5542, 5983}),
    "shopping": frozenset({5200, *range(5300, 5400), *range(5611, 5700), *range(5712, 5736), *range(5941, 5950),
                           5977}),
    "entertainment": frozenset({7832, 7922, 7929, 7941, 7991, 7996, 7998, 7999}),
    "health": frozenset({5122, 5912, *range(8011, 8100)}),
    "travel": frozenset({*range(3000, 4000), 4411, 4511, 4722, 7011, 7512}),
    "cash": frozenset({6010, 6011}),
}
NOT_SPENDING_MCC = frozenset({4829, 6540})  # money transfers, stored-value loads
NOT_SPENDING_CODES = frozenset({"transfer", "standingorder", "salary", "interest"})
# Preferred balance: what a customer can spend now (OB InterimAvailable), else the booked one.
BALANCE_ORDER = ("InterimAvailable", "Expected", "InterimBooked", "ClosingBooked")
REDIRECT = "http://127.0.0.1:9/stories-ledger"


@dataclass(frozen=True)
class Entry:
    booked: date
    at: datetime
    amount: Decimal  # positive
    currency: str
    debit: bool
    mcc: int | None
    code: str
    merchant: str

    @property
    def signed_amount(self) -> Decimal:
        return -self.amount if self.debit else self.amount

    @property
    def spending(self) -> bool:
        if not self.debit or (self.mcc is not None and self.mcc in NOT_SPENDING_MCC):
            return False
        return self.mcc is not None or self.code not in NOT_SPENDING_CODES


@dataclass
class Ledger:
    customer: str
    currency: str
    balances: dict[str, Decimal] = field(default_factory=dict)  # by AccountId
    entries: list[Entry] = field(default_factory=list)
    cards: dict[str, str] = field(default_factory=dict)  # CardId -> Last4

    def spent(self, start: date, end: date, category: str | None = None, merchant: str | None = None
              ) -> list[Entry]:
        found = [e for e in self.entries if e.spending and start <= e.booked <= end]
        if category is not None:
            if category not in CATEGORY_MCCS:
                raise ValueError(f"no such story category {category!r}; known: {sorted(CATEGORY_MCCS)}")
            found = [e for e in found if e.mcc in CATEGORY_MCCS[category]]
        if merchant is not None:
            found = [e for e in found if e.merchant.casefold() == merchant.casefold()]
        return found

    def latest(self, since: date, count: int) -> list[Entry]:
        """The newest `count` entries booked since `since`, over every account — without any whose place in
        that order a tie in booking time leaves open."""
        found = sorted((e for e in self.entries if e.booked >= since), key=lambda e: e.at, reverse=True)
        shown = found[:count]
        if len(found) > count:
            shown = [e for e in shown if e.at > found[count].at]
        return shown

    def debit_card(self) -> str:
        return f"{self.customer}-debit"


def period(name: str, today: date) -> tuple[date, date]:
    """A story's period by name, as a customer means it on `today`."""
    first = today.replace(day=1)
    if name == "this_month":
        return first, today
    if name == "last_month":
        end = first - timedelta(days=1)
        return end.replace(day=1), end
    if name == "month_before_last":
        end = period("last_month", today)[0] - timedelta(days=1)
        return end.replace(day=1), end
    raise ValueError(f"unknown period {name!r}: this_month, last_month or month_before_last")


def masked(amount: Decimal) -> Decimal:
    """What a masked channel may show: half-up to 10 below 1,000 and to 100 from 1,000 (README, minimisation)."""
    step = Decimal(100) if abs(amount) >= 1000 else Decimal(10)
    rounded = (amount / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step
    return rounded if rounded else Decimal(0)


async def read_ledger(http: httpx.AsyncClient, bank_url: str, customer: str) -> Ledger:
    connector = OpenBankingConnector(http, base_url=bank_url, client_id="sarraf", client_secret="sandbox-secret",
                                     financial_id="0015800001041RHAAY", tenant="sandbox")
    start = await connector.start_linking(PERMISSIONS, REDIRECT)
    redirect = await complete_sandbox_login(http, start.url, username=customer)
    tokens = await connector.finish_linking(httpx.URL(redirect).params["code"], start.code_verifier, REDIRECT)
    bearer = {"Authorization": f"Bearer {tokens.access_token}", "x-fapi-financial-id": "0015800001041RHAAY"}
    aisp = f"{bank_url}/open-banking/v4.0/aisp"
    accounts = (await _get(http, f"{aisp}/accounts", bearer))["Data"]["Account"]
    ledger = Ledger(customer, accounts[0]["Currency"])
    for account in accounts:
        account_id = account["AccountId"]
        found = (await _get(http, f"{aisp}/accounts/{account_id}/balances", bearer))["Data"]["Balance"]
        found.sort(key=lambda b: BALANCE_ORDER.index(b["Type"]) if b["Type"] in BALANCE_ORDER else 99)
        amount = Decimal(found[0]["Amount"]["Amount"])
        ledger.balances[account_id] = amount if found[0]["CreditDebitIndicator"] == "Credit" else -amount
        url: str | None = f"{aisp}/accounts/{account_id}/transactions"
        while url:
            page = await _get(http, url, bearer)
            ledger.entries += [_entry(t) for t in page["Data"].get("Transaction", [])]
            url = page.get("Links", {}).get("Next")
    cards = await _get(http, f"{bank_url}/sarraf/v1/cards", bearer)
    ledger.cards = {c["CardId"]: c["Last4"] for c in cards["Data"]["Card"]}
    return ledger


async def _get(http: httpx.AsyncClient, url: str, headers: dict[str, str]) -> Any:
    response = await http.get(url, headers=headers)
    assert response.status_code == 200, f"sandbox {url}: {response.status_code} {response.text[:200]}"
    return response.json()


def _entry(t: dict[str, Any]) -> Entry:
    merchant = t.get("MerchantDetails") or {}
    mcc = merchant.get("MerchantCategoryCode")
    code = (t.get("ProprietaryBankTransactionCode") or {}).get("Code", "")
    booked = datetime.fromisoformat(t["BookingDateTime"].replace("Z", "+00:00")).astimezone(UTC)
    return Entry(booked.date(), booked, Decimal(t["Amount"]["Amount"]), t["Amount"]["Currency"],
                 t["CreditDebitIndicator"] == "Debit", int(mcc) if mcc and str(mcc).isdigit() else None,
                 str(code).replace(" ", "").lower(), str(merchant.get("MerchantName") or ""))
