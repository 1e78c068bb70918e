"""Word an alert for one customer in their language, under the minimisation level the policy decided.

* full: amounts, merchant and card digits as the bank sent them;
* masked: what ``policy.minimise`` leaves of the payment as a Transaction (rounded amount, merchant replaced
  by its spending category);
* link_only: no bank data at all, only a short-lived link to the gateway-hosted page.
Fraud alerts carry "Was this you?" buttons whatever the level: the buttons hold no bank data.
Messages are stored in the outbox as plain JSON (``to_json`` / ``from_json``) and rendered per channel later.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from sarraf.domain.banking import CreditDebit, Transaction
from sarraf.domain.disclosure import Minimisation
from sarraf.domain.events import AlertKind, BankEvent
from sarraf.domain.messages import Button, Card, CardLine, Outbound, Table
from sarraf.domain.money import Money
from sarraf.i18n.replies import LANGUAGES, catalog, format_money
from sarraf.policy.minimise import minimise

FRAUD_PAYLOAD = "alert:fraud:"  # alert:fraud:<event id>:yes|no
KEYS = {
    AlertKind.CARD_PAYMENT: "alert_card_payment", AlertKind.LARGE_PURCHASE: "alert_large_purchase",
    AlertKind.FOREIGN_PURCHASE: "alert_foreign_purchase", AlertKind.SUSPECTED_FRAUD: "alert_fraud",
    AlertKind.LOW_BALANCE: "alert_low_balance", AlertKind.RECEIPT: "alert_receipt",
    AlertKind.SHIPPING_UPDATE: "alert_shipping", AlertKind.RESOURCE_UPDATE: "alert_resource_update",
    AlertKind.CONSENT_REVOKED: "alert_consent_revoked", AlertKind.DIRECT_DEBIT: "alert_direct_debit",
    AlertKind.REFUND: "alert_refund", AlertKind.SALARY: "alert_salary",
}
SHIPPING = ("ordered", "shipped", "out_for_delivery", "delivered")


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def fraud_buttons(lang: str, event_id: str) -> tuple[Button, ...]:
    c = catalog()
    return (Button(c.text(lang, "alert_yes"), payload=f"{FRAUD_PAYLOAD}{event_id}:yes"),
            Button(c.text(lang, "alert_no"), payload=f"{FRAUD_PAYLOAD}{event_id}:no"))


def _payment(event: BankEvent, level: Minimisation) -> tuple[Money, str]:
    """Amount and merchant as the level allows, via the same minimisation rules as every other disclosure."""
    d = event.data
    txn = Transaction(
        transaction_id=str(d.get("transaction_id", event.event_id)), account_id=str(d.get("account_id", "")),
        booked_at=event.occurred_at, amount=Money(_decimal(d.get("amount")), str(d.get("currency", "GBP")).upper()),
        credit_debit=CreditDebit.DEBIT, description=str(d.get("merchant", "")),
        merchant_name=str(d.get("merchant", "")) or None, category=d.get("category") or "shopping",
        card_last4=str(d.get("card_last4", "")) or None,
    )
    shown: Transaction = minimise(txn, level)
    return shown.amount, shown.merchant_name or shown.description


def _merchant(lang: str, shown: str, level: Minimisation) -> str:
    """Masked, the merchant became a spending category: said in the customer's language, not as our key."""
    key = f"category_{shown}"
    if level is Minimisation.MASKED and key in catalog().messages["en"]:
        return catalog().text(lang, key)
    return shown


def render(event: BankEvent, kind: AlertKind, level: Minimisation, lang: str, bank: str,
           secure_url: str | None = None, *, reminder: bool = False) -> list[Outbound]:
    c = catalog()
    fraud = kind is AlertKind.SUSPECTED_FRAUD
    quick = fraud_buttons(lang, event.event_id) if fraud else ()
    if level is Minimisation.LINK_ONLY and kind not in (AlertKind.RESOURCE_UPDATE, AlertKind.CONSENT_REVOKED):
        text = c.text(lang, "alert_link_only", bank=bank, url=secure_url or "")
        buttons = (Button(c.text(lang, "open_secure_page"), url=secure_url),) if secure_url else ()
        return [Outbound(text, lang, quick_replies=quick, buttons=buttons, link_only=True)]
    d = event.data
    if kind in (AlertKind.RESOURCE_UPDATE, AlertKind.CONSENT_REVOKED):
        return [Outbound(c.text(lang, KEYS[kind], bank=bank), lang)]
    if kind is AlertKind.LOW_BALANCE:
        balance = Money(_decimal(d.get("balance")), str(d.get("currency", "GBP")).upper())
        shown: Money = minimise(balance, level)
        return [Outbound(c.text(lang, KEYS[kind], amount=format_money(shown, lang)), lang)]
    if kind is AlertKind.SHIPPING_UPDATE:
        status = str(d.get("status", "shipped"))
        status_text = c.text(lang, f"alert_shipping_{status}") if status in SHIPPING else status
        # Who shipped says what was bought: masked, the merchant is generalised as a payment's would be.
        merchant = str(d.get("merchant", "")) if level is Minimisation.FULL else c.text(lang, "category_shopping")
        text = c.text(lang, KEYS[kind], order=d.get("order_id", ""), merchant=merchant,
                      status=status_text, carrier=d.get("carrier", ""))
        card = Card(title=merchant, subtitle=status_text,
                    lines=(CardLine(str(d.get("carrier", "")), str(d.get("order_id", ""))),))
        return [Outbound(text, lang, cards=(card,))]
    amount, shown_merchant = _payment(event, level)
    merchant = _merchant(lang, shown_merchant, level)
    key = "alert_fraud_reminder" if reminder else KEYS[kind]
    text = c.text(lang, key, amount=format_money(amount, lang), merchant=merchant,
                  last4=str(d.get("card_last4", ""))[-4:], country=d.get("country", ""))
    cards: tuple[Card, ...] = ()
    if kind is AlertKind.RECEIPT and level is Minimisation.FULL:
        items = [i for i in d.get("items") or [] if isinstance(i, dict)]
        currency = amount.currency
        lines = tuple(CardLine(f"{i.get('quantity', 1)} × {i.get('name', '')}",
                               format_money(Money(_decimal(i.get("amount")), currency), lang)) for i in items)
        cards = (Card(title=merchant, subtitle=c.text(lang, "alert_receipt_items", count=len(items)),
                      lines=(*lines, CardLine(c.text(lang, "alert_receipt_total"), format_money(amount, lang)))),)
    return [Outbound(text, lang, quick_replies=quick, cards=cards)]


def _button(b: Button) -> dict[str, Any]:
    return {"title": b.title, "payload": b.payload, "url": b.url, "login": b.login}


def warm_render(langs: Iterable[str]) -> None:
    """Load the reply catalogue and the CLDR data of every language now, not in the first alert's routing."""
    for lang in {*langs, *LANGUAGES}:
        format_money(Money(Decimal("1.5"), "GBP"), lang)
        catalog().text(lang, KEYS[AlertKind.CARD_PAYMENT], amount="", merchant="", last4="", country="")


def to_json(messages: list[Outbound]) -> list[dict[str, Any]]:
    """What ``dataclasses.asdict`` gives, built directly: asdict deep-copies field by field and was a fifth of
    the routing CPU (tests/alerts/test_render_json.py keeps the two equal)."""
    return [{
        "text": m.text, "lang": m.lang, "quick_replies": [_button(b) for b in m.quick_replies],
        "buttons": [_button(b) for b in m.buttons],
        "cards": [{"title": c.title, "lines": [{"label": ln.label, "value": ln.value} for ln in c.lines],
                   "subtitle": c.subtitle} for c in m.cards],
        "link_only": m.link_only, "extra": dict(m.extra),
        "table": None if m.table is None else {"caption": m.table.caption, "columns": list(m.table.columns),
                                               "rows": [list(row) for row in m.table.rows]},
    } for m in messages]


def from_json(stored: list[dict[str, Any]]) -> list[Outbound]:
    found = []
    for m in stored:
        found.append(Outbound(
            text=m["text"], lang=m["lang"],
            quick_replies=tuple(Button(**b) for b in m.get("quick_replies", ())),
            buttons=tuple(Button(**b) for b in m.get("buttons", ())),
            cards=tuple(Card(title=c["title"], subtitle=c.get("subtitle"),
                             lines=tuple(CardLine(**ln) for ln in c.get("lines", ()))) for c in m.get("cards", ())),
            link_only=bool(m.get("link_only")), extra=dict(m.get("extra") or {}),
            table=None if not m.get("table") else Table(m["table"]["caption"], tuple(m["table"]["columns"]),
                                                        tuple(tuple(row) for row in m["table"]["rows"])),
        ))
    return found
