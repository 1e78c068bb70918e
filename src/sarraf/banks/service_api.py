"""The bank's service extension next to OB v4.0 (the sandbox's, sandbox_bank/service.py): recent activity
behind service questions, cards on their way and the rate table — response parsing only; the HTTP calls are
OpenBankingConnector methods."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sarraf.banks.ob_json import MalformedResponse, _get, _money, parse_time
from sarraf.domain.service_items import ActivityItem, CardDelivery, ExchangeRate, ItemKind

ACTIVITY_PATH = "/sarraf/v1/activity"
DELIVERIES_PATH = "/sarraf/v1/card-deliveries"
RATES_PATH = "/sarraf/v1/rates"
CATEGORY_OF_TOPIC = {"card_payment": "shopping", "cash_withdrawal": "cash", "direct_debit": "utilities",
                     "transfer_out": "transfers", "transfer_in": "transfers"}


def _day(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise MalformedResponse(f"{field} is not an ISO date: {value!r}") from exc


def _item(raw: Any) -> ActivityItem:
    try:
        kind = ItemKind(str(_get(raw, "Kind")))
    except ValueError as exc:
        raise MalformedResponse(f"unknown activity kind {raw.get('Kind')!r}") from exc
    topic = str(_get(raw, "Topic"))
    rate = raw.get("AppliedRate")
    return ActivityItem(
        item_id=str(_get(raw, "ItemId")), account_id=str(raw.get("AccountId", "")), kind=kind, topic=topic,
        at=parse_time(_get(raw, "DateTime"), "DateTime"), amount=_money(_get(raw, "Amount"), "Item.Amount"),
        incoming=raw.get("CreditDebitIndicator") == "Credit", description=str(raw.get("Description", "")),
        merchant_name=str(raw["Description"]) if topic in ("card_payment", "direct_debit") and raw.get(
            "Description") else None,
        category="fees" if kind is ItemKind.FEE else CATEGORY_OF_TOPIC.get(topic),
        card_last4=str(raw["CardLast4"])[-4:] if raw.get("CardLast4") else None,
        reason=str(raw["Reason"]) if raw.get("Reason") else None,
        original=_money(raw["OriginalAmount"], "Item.OriginalAmount") if raw.get("OriginalAmount") else None,
        applied_rate=Decimal(str(rate)) if rate else None,
        expected_by=_day(raw.get("ExpectedBy"), "ExpectedBy"),
    )


def activity(body: Any) -> list[ActivityItem]:
    return [_item(i) for i in _get(body, "Data", "Item") or []]


def deliveries(body: Any) -> list[CardDelivery]:
    found = []
    for raw in _get(body, "Data", "Delivery") or []:
        ordered, expected = _day(_get(raw, "OrderedOn"), "OrderedOn"), _day(_get(raw, "ExpectedBy"), "ExpectedBy")
        if ordered is None or expected is None:
            raise MalformedResponse("a card delivery needs OrderedOn and ExpectedBy")
        found.append(CardDelivery(str(_get(raw, "CardId")), str(raw.get("Last4", ""))[-4:], str(_get(raw, "Status")),
                                  ordered, _day(raw.get("DispatchedOn"), "DispatchedOn"),
                                  _day(raw.get("DeliveredOn"), "DeliveredOn"), expected))
    return found


def rates(body: Any) -> list[ExchangeRate]:
    data = _get(body, "Data")
    base, on = str(_get(data, "Base")), _day(_get(data, "Date"), "Date")
    if on is None:
        raise MalformedResponse("a rate table needs its Date")
    return [ExchangeRate(base, str(_get(r, "Currency")), Decimal(str(_get(r, "Rate"))), on)
            for r in _get(data, "Rate") or []]
