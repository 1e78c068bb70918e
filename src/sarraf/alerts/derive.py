"""Alerts derived from what a bank's account information says, for banks whose only events are OB's standard
`resource-update` (or none at all: polled). Pure: no I/O, no clock; `alerts/standard.py` feeds it.

Input: the transactions a fetch returned (any order, duplicates across pages allowed), the account's balance,
the rules, and what earlier derivations remembered about the account (`Memory`). Output: the alerts (each with
a stable id, so re-fetching the same transactions, or a restart, never alerts twice: the outbox refuses an id it
holds) and the memory to keep.

A pending transaction that books is not a second alert, even when the bank gives the booked one a new id: a
booked transaction whose id we never saw takes the id of a pending one we saw with the same account, amount,
currency, direction, merchant and day, which has since left the bank's list ("open" pending). The alert id is
built from that first id, so it is the same before and after booking.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sarraf.domain.events import AlertKind

BOOKED, PENDING, DECLINED = "BOOK", "PDNG", "RJCT"
DECLINED_STATUSES = frozenset({"RJCT", "REJC", "DECL"})
CARD_CODES = frozenset({"CardPayment", "CardPurchase", "POS", "CNP"})
DIRECT_DEBIT_CODES = frozenset({"DirectDebit", "DD"})
SALARY_CODES = frozenset({"Salary", "SAL", "Payroll"})
REFUND_CODES = frozenset({"Refund", "CardRefund", "RFND"})
MEMORY_DAYS = 35  # what is remembered of a transaction: longer than any pending waits to book


@dataclass(frozen=True, slots=True)
class Observed:
    """One transaction as the bank listed it (mapped from OB by `standard.observed`)."""

    transaction_id: str
    account_id: str
    booked_at: datetime  # aware
    amount: Decimal  # positive; direction in `credit`
    currency: str
    credit: bool
    status: str = BOOKED  # OB Status: BOOK, PDNG; declined attempts as RJCT
    merchant: str = ""
    country: str = ""  # the merchant's ISO country, when the bank says
    code: str = ""  # the bank's transaction code: CardPayment, DirectDebit, Salary, Refund...
    card_last4: str = ""
    card_present: bool | None = None  # None: the bank does not say
    instructed_currency: str = ""  # the currency the merchant charged, when it differs

    @property
    def status_kind(self) -> str:
        if self.status in DECLINED_STATUSES:
            return DECLINED
        return PENDING if self.status == PENDING else BOOKED

    def fingerprint(self) -> str:
        """What a pending and its booked self share, whatever ids the bank gives them."""
        return "|".join((self.account_id, str(self.amount.normalize()), self.currency.upper(),
                         "C" if self.credit else "D", self.merchant.strip().casefold(),
                         self.booked_at.date().isoformat()))


@dataclass(frozen=True, slots=True)
class FraudRules:
    """Fraud signals for a bank without a fraud feed (banks.yaml `alerts.fraud`, or the agreement)."""

    new_merchant_abroad_above: Decimal | None = None
    declined_attempts: int | None = None  # this many declined card attempts within `declined_window`
    declined_window: timedelta = timedelta(hours=1)
    night_card_not_present: tuple[time, time] | None = None  # local night, e.g. 00:00-05:00
    timezone: str = "UTC"

    @property
    def any(self) -> bool:
        return bool(self.new_merchant_abroad_above is not None or self.declined_attempts
                    or self.night_card_not_present)


@dataclass(frozen=True, slots=True)
class Rules:
    home_country: str = "GB"
    large_from: Decimal | None = None
    low_balance_below: Decimal | None = None
    fraud: FraudRules = field(default_factory=FraudRules)


@dataclass(frozen=True, slots=True)
class Seen:
    alert_key: str  # the id alerts of this transaction are named by (its first id)
    fingerprint: str
    status: str  # BOOK, PDNG or RJCT, as last seen
    at: str  # ISO booking time: old records are forgotten after MEMORY_DAYS


@dataclass(frozen=True, slots=True)
class Memory:
    seen: dict[str, Seen] = field(default_factory=dict)  # reported transaction id → what we made of it
    # payee / merchant → the key of the first transaction with them: that one stays "new" when derived again
    direct_debit_payees: dict[str, str] = field(default_factory=dict)
    merchants: dict[str, str] = field(default_factory=dict)
    low: bool = False  # the balance was under the threshold at the last look
    low_count: int = 0  # how many times it went under: names the low-balance alerts
    horizon: str = ""  # ISO time of the first look's `alert_from`: nothing booked before it is ever alerted

    def to_json(self) -> dict[str, Any]:
        return {"seen": {k: [s.alert_key, s.fingerprint, s.status, s.at] for k, s in sorted(self.seen.items())},
                "dd": dict(sorted(self.direct_debit_payees.items())), "merchants": dict(sorted(self.merchants.items())),
                "low": self.low, "low_count": self.low_count, "horizon": self.horizon}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Memory:
        return cls({k: Seen(*v) for k, v in (raw.get("seen") or {}).items()}, dict(raw.get("dd") or {}),
                   dict(raw.get("merchants") or {}), bool(raw.get("low")), int(raw.get("low_count") or 0),
                   str(raw.get("horizon") or ""))


@dataclass(frozen=True, slots=True)
class Derived:
    alert_id: str  # stable: "std:<account>:<transaction key>:<slot>"
    kind: AlertKind
    data: dict[str, Any]


def unique(txns: Iterable[Observed]) -> list[Observed]:
    """One row per reported id (pages may repeat a row): the most settled status wins (booked over pending),
    then a fixed order, so the outcome never depends on which page came first."""
    rank = {BOOKED: 0, DECLINED: 1, PENDING: 2}
    best: dict[str, Observed] = {}
    for t in txns:
        held = best.get(t.transaction_id)
        if held is None or (rank[t.status_kind], repr(t)) < (rank[held.status_kind], repr(held)):
            best[t.transaction_id] = t
    return sorted(best.values(), key=lambda t: (t.booked_at, t.transaction_id))


def _keys(txns: list[Observed], memory: Memory) -> dict[str, str]:
    """Reported id → alert key. New pendings and unmatched rows keep their own id; a new booked row takes the
    key of an open pending with its fingerprint (pairs formed in sorted order: deterministic)."""
    present = {t.transaction_id for t in txns}
    keys = {t.transaction_id: memory.seen[t.transaction_id].alert_key for t in txns if t.transaction_id in memory.seen}
    booked_keys = {s.alert_key for s in memory.seen.values() if s.status != PENDING}
    open_pending: dict[str, list[str]] = {}
    for reported, s in sorted(memory.seen.items()):
        if s.status == PENDING and reported not in present and s.alert_key not in booked_keys:
            open_pending.setdefault(s.fingerprint, []).append(s.alert_key)
    for t in txns:
        if t.transaction_id in keys:
            continue
        waiting = open_pending.get(t.fingerprint())
        if t.status_kind == BOOKED and waiting:
            keys[t.transaction_id] = waiting.pop(0)
        else:
            keys[t.transaction_id] = t.transaction_id
    return keys


def _abroad(t: Observed, account_currency: str, home: str) -> bool:
    if t.country and t.country.upper() != home.upper():
        return True
    charged = t.instructed_currency or t.currency
    return bool(charged) and charged.upper() != account_currency.upper()


def _card(t: Observed) -> bool:
    return bool(t.card_last4) or t.code in CARD_CODES


def _data(t: Observed, key: str) -> dict[str, Any]:
    return {"transaction_id": key, "account_id": t.account_id, "amount": str(t.amount),
            "currency": t.currency, "merchant": t.merchant or t.code, "country": t.country.upper(),
            "card_last4": t.card_last4, "card_id": "", "booked_at": t.booked_at.isoformat(), "derived": True}


def _at_night(t: Observed, rules: FraudRules) -> bool:
    if rules.night_card_not_present is None or t.card_present is not False:
        return False
    start, end = rules.night_card_not_present
    local = t.booked_at.astimezone(ZoneInfo(rules.timezone)).time().replace(tzinfo=None)
    return (start <= local or local < end) if start > end else (start <= local < end)


def _declined_bursts(declined: list[Observed], rules: FraudRules) -> list[Observed]:
    """The attempt that completes each run of `declined_attempts` declines within the window (then a new run)."""
    if not rules.declined_attempts:
        return []
    found: list[Observed] = []
    window: list[Observed] = []
    for t in declined:
        window = [w for w in window if t.booked_at - w.booked_at <= rules.declined_window] + [t]
        if len(window) >= rules.declined_attempts:
            found.append(t)
            window = []
    return found


def derive(txns: Iterable[Observed], account_id: str, account_currency: str, balance: Decimal | None,
           rules: Rules, memory: Memory, *, alert_from: datetime | None = None) -> tuple[list[Derived], Memory]:
    """Alerts for one account and the memory to keep. Rows booked before `alert_from` (the first look at an
    account: its history) are remembered, never alerted; the memory keeps that bound for every later look."""
    if memory.horizon:  # the first look's history stays history on every later look
        floor = datetime.fromisoformat(memory.horizon)
        alert_from = floor if alert_from is None else max(alert_from, floor)
    rows = [t for t in unique(txns) if t.account_id == account_id]
    keys = _keys(rows, memory)
    out: dict[str, Derived] = {}
    merchants, payees = dict(memory.merchants), dict(memory.direct_debit_payees)
    fraud = rules.fraud
    for t in rows:
        key = keys[t.transaction_id]
        alert = alert_from is None or t.booked_at >= alert_from
        name = t.merchant.strip().casefold()
        prefix = f"std:{account_id}:{key}"
        if t.status_kind == DECLINED or not alert:
            if not alert:
                merchants.setdefault(name, key)
                if t.code in DIRECT_DEBIT_CODES:
                    payees.setdefault(name, key)
            continue
        data = _data(t, key)
        if t.credit:
            if t.code in SALARY_CODES:
                out[f"{prefix}:salary"] = Derived(f"{prefix}:salary", AlertKind.SALARY, data)
            elif t.code in REFUND_CODES or _card(t):
                out[f"{prefix}:refund"] = Derived(f"{prefix}:refund", AlertKind.REFUND, data)
            continue
        if t.code in DIRECT_DEBIT_CODES:
            if payees.setdefault(name, key) == key:
                out[f"{prefix}:direct_debit"] = Derived(f"{prefix}:direct_debit", AlertKind.DIRECT_DEBIT, data)
            continue
        if not _card(t):
            continue
        abroad = _abroad(t, account_currency, rules.home_country)
        reason = ""
        first_here = merchants.setdefault(name, key) == key
        if fraud.new_merchant_abroad_above is not None and abroad and first_here \
                and t.amount > fraud.new_merchant_abroad_above:
            reason = "first payment at a new merchant abroad"
        elif _at_night(t, fraud):
            reason = "card-not-present payment at night"
        if reason:  # the question replaces the payment alert: one message about one payment
            out[f"{prefix}:fraud"] = Derived(f"{prefix}:fraud", AlertKind.SUSPECTED_FRAUD, {**data, "reason": reason})
            continue
        kind = AlertKind.FOREIGN_PURCHASE if abroad else (
            AlertKind.LARGE_PURCHASE if rules.large_from is not None and t.amount >= rules.large_from
            else AlertKind.CARD_PAYMENT)
        # One slot for the payment whatever its wording: a booked amount that differs from the pending one
        # must not make a second alert.
        out[f"{prefix}:payment"] = Derived(f"{prefix}:payment", kind, data)
    # Declined attempts are read again while in the fetch window: a burst ends on the same attempt each time.
    declined = [t for t in rows if t.status_kind == DECLINED and _card(t)
                and (alert_from is None or t.booked_at >= alert_from)]
    for t in _declined_bursts(declined, fraud):
        prefix = f"std:{account_id}:{keys.get(t.transaction_id, t.transaction_id)}"
        out[f"{prefix}:fraud"] = Derived(f"{prefix}:fraud", AlertKind.SUSPECTED_FRAUD,
                                         {**_data(t, t.transaction_id), "reason": "several declined attempts"})
    low, low_count = memory.low, memory.low_count
    if balance is not None and rules.low_balance_below is not None:
        now_low = balance < rules.low_balance_below
        if now_low and not memory.low:
            low_count += 1
            alert_id = f"std:{account_id}:balance:{low_count}"
            out[alert_id] = Derived(alert_id, AlertKind.LOW_BALANCE,
                                    {"account_id": account_id, "currency": account_currency, "balance": str(balance),
                                     "threshold": str(rules.low_balance_below), "derived": True})
        low = now_low
    seen = dict(memory.seen)
    for t in rows:
        seen[t.transaction_id] = Seen(keys[t.transaction_id], t.fingerprint(), t.status_kind, t.booked_at.isoformat())
    return sorted(out.values(), key=lambda d: d.alert_id), replace(
        memory, seen=seen, merchants=merchants, direct_debit_payees=payees,
        low=low, low_count=low_count, horizon=alert_from.isoformat() if alert_from else "")


def forget_before(memory: Memory, cutoff: datetime) -> Memory:
    """Drop transactions booked before `cutoff` (never fetched again: the fetch window starts later)."""
    kept = {k: s for k, s in memory.seen.items() if datetime.fromisoformat(s.at) >= cutoff}
    return replace(memory, seen=kept)
