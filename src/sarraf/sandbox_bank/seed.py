"""Deterministic ledgers for the sandbox customers, anchored to today's UTC date.

Each calendar day draws from its own random stream, seeded by (customer, date): a given day always
holds the same transactions, whatever day the sandbox starts on, so transaction ids stay stable.
The window is the last SEEDED_DAYS days up to yesterday, so "last month" always has data and
nothing is booked in the future. Balances are the opening balance plus every seeded entry.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sarraf.sandbox_bank.profiles import DAILY_ODDS, PROFILES, AccountSpec, Merchant, Profile

SEED = "sarraf-sandbox-v1"
SEEDED_DAYS = 183
CENT = Decimal("0.01")
CARD_CATEGORIES = frozenset({"shopping", "travel", "restaurants", "entertainment"})


@dataclass(frozen=True, slots=True)
class Entry:
    transaction_id: str
    account_id: str
    booked_at: datetime
    amount: Decimal  # positive; direction in `credit`
    credit: bool
    information: str
    code: str  # proprietary bank transaction code: CardPayment, DirectDebit, Salary, ...
    merchant: Merchant | None
    card_last4: str | None
    balance_after: Decimal  # signed running balance once this entry is booked
    # Card activity made up by the admin API in standard-events mode (sandbox_bank/activity.py):
    status: str = "BOOK"  # OB Status: BOOK, PDNG, or RJCT for a declined attempt
    country: str | None = None  # the merchant's country (CreditorAgent.PostalAddress.Country)
    authorisation: str = "Contactless"  # CardInstrument.AuthorisationType; ConsumerDevice: card not present


@dataclass(frozen=True, slots=True)
class SeededAccount:
    account_id: str
    customer_id: str
    owner: str
    currency: str
    spec: AccountSpec
    entries: tuple[Entry, ...]  # oldest first

    @property
    def balance(self) -> Decimal:
        return self.entries[-1].balance_after if self.entries else self.spec.opening_balance


@dataclass(frozen=True, slots=True)
class SeededBank:
    anchor: date
    profiles: dict[str, Profile]
    accounts: dict[str, SeededAccount]

    def accounts_of(self, customer_id: str) -> list[SeededAccount]:
        return [a for a in self.accounts.values() if a.customer_id == customer_id]


@dataclass(slots=True)
class _Draft:
    suffix: str
    at: datetime
    amount: Decimal
    credit: bool
    information: str
    code: str
    merchant: Merchant | None = None
    card: bool = False


def _amount(rng: random.Random, low: Decimal, high: Decimal) -> Decimal:
    if low == high:
        return low
    return Decimal(str(rng.uniform(float(low), float(high)))).quantize(CENT)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def _day_drafts(profile: Profile, day: date, card_owed: Decimal) -> list[_Draft]:
    rng = random.Random(f"{SEED}:{profile.customer_id}:{day.isoformat()}")
    has_card = any(a.kind == "card" for a in profile.accounts)
    drafts: list[_Draft] = []
    if day.day == profile.payday:
        drafts.append(_Draft("current", _at(day, 9), profile.salary, True, profile.employer, "Salary"))
    if day.day == min(profile.payday + 1, 28):
        note = "Transfer to savings"
        drafts.append(_Draft("current", _at(day, 8), profile.savings_transfer, False, note, "Transfer"))
        drafts.append(_Draft("savings", _at(day, 8), profile.savings_transfer, True, note, "Transfer"))
    if day.day == 1:
        drafts.append(_Draft("current", _at(day, 7), profile.rent, False, profile.landlord, "StandingOrder"))
        interest = (_savings_spec(profile).opening_balance * Decimal("0.035") / 12).quantize(CENT)
        drafts.append(_Draft("savings", _at(day, 2), interest, True, "Interest", "Interest"))
    if has_card and day.day == 20 and card_owed > 0:
        note = "Credit card repayment"
        drafts.append(_Draft("current", _at(day, 6), card_owed, False, note, "Transfer"))
        drafts.append(_Draft("card", _at(day, 6), card_owed, True, note, "Transfer"))
    for bill_day, payee in profile.bills:
        if day.day == bill_day:
            amount = _amount(rng, payee.low, payee.high)
            drafts.append(_Draft("current", _at(day, 6, 30), amount, False, payee.name, "DirectDebit", payee))
    weekend = day.weekday() >= 5
    for category, (weekday_odds, weekend_odds) in DAILY_ODDS.items():
        if rng.random() >= (weekend_odds if weekend else weekday_odds):
            continue
        merchant = rng.choice(profile.spending[category])
        on_card = has_card and category in CARD_CATEGORIES and rng.random() < 0.5
        at = _at(day, rng.randint(7, 21), rng.randint(0, 59))
        amount = _amount(rng, merchant.low, merchant.high)
        where = f"{merchant.name} {merchant.city}".strip().upper()
        code = "CashWithdrawal" if category == "cash" else "CardPayment"
        drafts.append(_Draft("card" if on_card else "current", at, amount, False, where, code, merchant, True))
    return drafts


def _savings_spec(profile: Profile) -> AccountSpec:
    return next(a for a in profile.accounts if a.kind == "savings")


def _seed_profile(profile: Profile, anchor: date) -> list[SeededAccount]:
    drafts: list[_Draft] = []
    card_owed = Decimal(0)
    for offset in range(SEEDED_DAYS, 0, -1):
        day_drafts = _day_drafts(profile, anchor - timedelta(days=offset), card_owed)
        for d in day_drafts:
            if d.suffix == "card":
                card_owed += -d.amount if d.credit else d.amount
        drafts.extend(day_drafts)
    seeded = []
    for spec in profile.accounts:
        account_id = f"{profile.customer_id}-{spec.suffix}"
        own = sorted((d for d in drafts if d.suffix == spec.suffix), key=lambda d: d.at)
        balance = spec.opening_balance
        entries: list[Entry] = []
        per_day: dict[date, int] = {}
        for d in own:
            balance += d.amount if d.credit else -d.amount
            n = per_day[d.at.date()] = per_day.get(d.at.date(), 0) + 1
            entries.append(Entry(
                transaction_id=f"{account_id}-{d.at:%Y%m%d}-{n:02d}", account_id=account_id, booked_at=d.at,
                amount=d.amount, credit=d.credit, information=d.information, code=d.code, merchant=d.merchant,
                card_last4=profile.card_last4 if d.card else None, balance_after=balance,
            ))
        seeded.append(SeededAccount(account_id, profile.customer_id, profile.name, profile.currency, spec,
                                    tuple(entries)))
    return seeded


def seed_bank(today: date) -> SeededBank:
    """Every sandbox customer's accounts and ledgers for the SEEDED_DAYS days before `today`."""
    accounts: dict[str, SeededAccount] = {}
    for profile in PROFILES:
        for account in _seed_profile(profile, today):
            accounts[account.account_id] = account
    return SeededBank(anchor=today, profiles={p.customer_id: p for p in PROFILES}, accounts=accounts)
