"""What the bank knows behind its customers' service questions: a Sarraf extension next to OB v4.0.

    GET /sarraf/v1/activity        (customer token, transactions permission) -> {"Data": {"Item": [...]}}
        items not in the booked ledger (pending, declined attempts), the fees booked, a payment in another
        currency with the rate applied, and the latest direct debit and card payment from the ledger
    GET /sarraf/v1/card-deliveries (customer token) -> {"Data": {"Delivery": [...]}}: a new card ordered,
        dispatched or delivered, with its dates
    GET /sarraf/v1/rates?base=GBP  (public) -> {"Data": {"Base", "Date", "Rate": [{"Currency", "Rate"}]}}

Everything is derived from the seeded profiles and the bank's anchor day, so it is the same on every
start of the same day and always recent (items are a few days old, deliveries due in the coming days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from sarraf.sandbox_bank.aisp import _grant
from sarraf.sandbox_bank.context import Sandbox, sandbox
from sarraf.sandbox_bank.errors import OBError
from sarraf.sandbox_bank.render import iso
from sarraf.sandbox_bank.seed import SeededAccount, SeededBank

router = APIRouter(prefix="/sarraf/v1")
SB = Annotated[Sandbox, Depends(sandbox)]
RATE_PLACES = Decimal("0.0001")

# The bank's rate table: units of each currency for one unit of the base (mid-market plus nothing: the bank's
# published rate, the one a card payment should be converted at).
RATES: dict[str, dict[str, Decimal]] = {
    "GBP": {"EUR": Decimal("1.1650"), "USD": Decimal("1.2700"), "PLN": Decimal("5.0800"), "SAR": Decimal("4.7600")},
    "PLN": {"EUR": Decimal("0.2295"), "USD": Decimal("0.2500"), "GBP": Decimal("0.1969"), "SAR": Decimal("0.9370")},
    "SAR": {"USD": Decimal("0.2667"), "EUR": Decimal("0.2450"), "GBP": Decimal("0.2100"), "PLN": Decimal("1.0670")},
}
# per customer: what is in flight and what was charged (amounts in the account's currency)
SCALE = {"GBP": Decimal(1), "PLN": Decimal(5), "SAR": Decimal(5)}
FOREIGN = {"GBP": ("EUR", "Restaurace U Fleku Praha"), "PLN": ("EUR", "Hotel Adlon Berlin"),
           "SAR": ("USD", "Dubai Mall Apple Store")}
NEW_CARDS = {"sandbox-en-1": ("5530", "dispatched"), "sandbox-pl-1": ("8142", "ordered"),
             "sandbox-ar-1": ("2077", "delivered")}
DELIVERY_DAYS = 5


@dataclass(frozen=True, slots=True)
class _Item:
    suffix: str
    kind: str
    topic: str
    days_ago: int
    hour: int
    amount: str  # in GBP terms, scaled to the account's currency
    incoming: bool
    description: str
    reason: str | None = None
    expected_in_days: int | None = None


ITEMS = (
    _Item("pcp", "pending", "card_payment", 2, 20, "184.50", False, "{hotel}", expected_in_days=5),
    _Item("pto", "pending", "transfer_out", 1, 16, "250.00", False, "{to} {payee}", expected_in_days=1),
    _Item("pti", "pending", "transfer_in", 0, 8, "500.00", True, "{from_} {other_bank}", expected_in_days=1),
    _Item("dcp", "declined", "card_payment", 3, 19, "89.99", False, "{shop}", reason="insufficient_funds"),
    _Item("dtr", "declined", "transfer_out", 4, 11, "1200.00", False, "{to} {payee}",
          reason="beneficiary_check"),
    _Item("ffx", "fee", "card_payment_fee", 10, 21, "1.25", False, "Foreign card payment fee"),
    _Item("fatm", "fee", "atm_fee", 12, 14, "4.00", False, "Cash withdrawal fee (abroad)"),
    _Item("ftr", "fee", "transfer_fee", 20, 10, "5.00", False, "International transfer fee"),
)
NAMES = {
    "GBP": {"to": "Transfer to", "from_": "Transfer from", "hotel": "Premier Inn Edinburgh", "payee": "Sarah Carter",
            "other_bank": "Barclays",
            "shop": "Currys PC World"},
    "PLN": {"to": "Przelew do", "from_": "Przelew z", "hotel": "Hotel Bristol Warszawa", "payee": "Piotr Kowalski",
            "other_bank": "mBank",
            "shop": "Media Expert"},
    "SAR": {"to": "تحويل إلى", "from_": "تحويل من", "hotel": "فندق هيلتون الرياض", "payee": "سارة القحطاني",
            "other_bank": "مصرف الراجحي",
            "shop": "مكتبة جرير"},
}


def _at(anchor: date, days_ago: int, hour: int) -> datetime:
    return datetime.combine(anchor - timedelta(days=days_ago), time(hour, 0), tzinfo=UTC)


def _money(value: Decimal, currency: str) -> dict[str, str]:
    return {"Amount": f"{value:.2f}", "Currency": currency}


def activity_of(bank: SeededBank, customer_id: str) -> list[dict[str, Any]]:
    """The customer's service items, newest first."""
    profile = bank.profiles.get(customer_id)
    current = next((a for a in bank.accounts_of(customer_id) if a.spec.kind == "current"), None)
    if profile is None or current is None:
        return []
    cur = current.currency
    scale, names = SCALE.get(cur, Decimal(1)), NAMES.get(cur, NAMES["GBP"])
    rows: list[dict[str, Any]] = []
    for item in ITEMS:
        at = _at(bank.anchor, item.days_ago, item.hour)
        row: dict[str, Any] = {
            "ItemId": f"{current.account_id}-{item.suffix}", "AccountId": current.account_id, "Kind": item.kind,
            "Topic": item.topic, "DateTime": iso(at), "Amount": _money(Decimal(item.amount) * scale, cur),
            "CreditDebitIndicator": "Credit" if item.incoming else "Debit",
            "Description": item.description.format(**names),
        }
        if item.topic == "card_payment" or item.topic == "card_payment_fee":
            row["CardLast4"] = profile.card_last4
        if item.reason:
            row["Reason"] = item.reason
        if item.expected_in_days is not None:
            row["ExpectedBy"] = (at.date() + timedelta(days=item.expected_in_days)).isoformat()
        rows.append(row)
    foreign, merchant = FOREIGN.get(cur, ("EUR", "Restaurant"))
    original = Decimal("45.00") * (Decimal(10) if foreign == "USD" and cur == "SAR" else Decimal(1))
    table = Decimal(1) / RATES[cur][foreign]
    applied = (table * Decimal("1.02")).quantize(RATE_PLACES, ROUND_HALF_UP)  # 2 % off the bank's own rate
    at = _at(bank.anchor, 10, 20)
    rows.append({
        "ItemId": f"{current.account_id}-fx", "AccountId": current.account_id, "Kind": "payment",
        "Topic": "card_payment", "DateTime": iso(at), "Amount": _money((original * applied).quantize(Decimal("0.01")),
                                                                        cur),
        "CreditDebitIndicator": "Debit", "Description": merchant, "CardLast4": profile.card_last4,
        "OriginalAmount": _money(original, foreign), "AppliedRate": f"{applied}",
    })
    # the latest direct debit, and the latest card payment on each card (the credit card's carry its own digits)
    latest_of: list[tuple[SeededAccount, str, str, str | None]] = [
        (current, "DirectDebit", "direct_debit", None), (current, "CardPayment", "card_payment", None)]
    latest_of += [(a, "CardPayment", "card_payment", a.spec.identification[-4:])
                  for a in bank.accounts_of(customer_id) if a.spec.kind == "card"]
    for account, code, topic, card in latest_of:
        latest = next((e for e in reversed(account.entries) if e.code == code), None)
        if latest is None:
            continue
        last4 = card or latest.card_last4
        rows.append({
            "ItemId": latest.transaction_id, "AccountId": account.account_id, "Kind": "payment", "Topic": topic,
            "DateTime": iso(latest.booked_at), "Amount": _money(latest.amount, account.currency),
            "CreditDebitIndicator": "Debit", "Description": latest.merchant.name if latest.merchant
            else latest.information, **({"CardLast4": last4} if last4 else {}),
        })
    return sorted(rows, key=lambda r: r["DateTime"], reverse=True)


def deliveries_of(bank: SeededBank, customer_id: str) -> list[dict[str, Any]]:
    found = NEW_CARDS.get(customer_id)
    if found is None:
        return []
    last4, status = found
    anchor = bank.anchor
    ordered = anchor - timedelta(days={"ordered": 1, "dispatched": 4, "delivered": 6}[status])
    body: dict[str, Any] = {"CardId": f"{customer_id}-new", "Last4": last4, "Status": status,
                            "OrderedOn": ordered.isoformat(),
                            "ExpectedBy": (ordered + timedelta(days=DELIVERY_DAYS + 1)).isoformat()}
    if status in ("dispatched", "delivered"):
        body["DispatchedOn"] = (ordered + timedelta(days=1)).isoformat()
    if status == "delivered":
        body["DeliveredOn"] = (anchor - timedelta(days=2)).isoformat()
    return [body]


def _customer(request: Request, sb: Sandbox, *needs: str) -> str:
    grant = _grant(request, sb)
    if needs and not grant.has(*needs):
        raise OBError(403, "U003", f"the consent does not grant {' or '.join(needs)}")
    if not grant.consent.customer_id:
        raise OBError(403, "U004", "the consent names no customer")
    return grant.consent.customer_id


@router.get("/activity")
async def activity(request: Request, sb: SB) -> dict[str, Any]:
    customer = _customer(request, sb, "ReadTransactionsBasic", "ReadTransactionsDetail")
    return {"Data": {"Item": activity_of(sb.bank, customer)}}


@router.get("/card-deliveries")
async def card_deliveries(request: Request, sb: SB) -> dict[str, Any]:
    return {"Data": {"Delivery": deliveries_of(sb.bank, _customer(request, sb))}}


@router.get("/rates")
async def rates(sb: SB, base: str = "GBP") -> dict[str, Any]:
    table = RATES.get(base.upper())
    if table is None:
        raise OBError(400, "U001", f"no rate table for {base}", "base")
    return {"Data": {"Base": base.upper(), "Date": sb.now().date().isoformat(),
                     "Rate": [{"Currency": c, "Rate": f"{r}"} for c, r in table.items()]}}
