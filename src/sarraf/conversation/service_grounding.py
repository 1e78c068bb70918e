"""The customer's own data behind a service answer: "where is my card?" → that card's dates; "why was I
charged?" → the fees found; "my transfer was declined" → the last declined attempt and the bank's reason.

Every read goes through a policy door — the data point (activity: transaction data) or the card door (cards on
their way: the state of the customer's cards) — so it is decided, audited and minimised for the channel like
any disclosure. On a link-only channel (Messenger, WhatsApp) no figure goes into the chat: the customer gets a
short-lived link to a secure page that shows the same facts (`page`). The bank's rate table is public.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from babel.numbers import format_decimal

from sarraf.conversation.answers import category_name
from sarraf.conversation.ports import SecureLinks
from sarraf.domain.disclosure import Decision, Minimisation
from sarraf.domain.messages import Button, Outbound
from sarraf.domain.money import Money
from sarraf.domain.service_items import ActivityItem, CardDelivery, ItemKind
from sarraf.i18n.replies import catalog, format_date, format_money
from sarraf.i18n.replies.formatting import isolate_ltr, locale_for
from sarraf.policy.actions import subject_for
from sarraf.policy.consent_grant import CONSENT_POLICY_ID
from sarraf.policy.point import BankDataPoint, Subject

LOOK_BACK = timedelta(days=90)
SHOWN = 3  # items listed in a chat bubble; the rest are on the secure page
FEES = ("card_payment_fee", "atm_fee", "transfer_fee", "fx_fee", "account_fee")
# intent → (what to read, which topics)
GROUNDED: dict[str, tuple[str, tuple[str, ...]]] = {
    "card_arrival": ("delivery", ()),
    "card_delivery_estimate": ("delivery", ()),
    "pending_card_payment": ("pending", ("card_payment",)),
    "pending_transfer": ("pending", ("transfer_out",)),
    "transfer_not_received_by_recipient": ("pending", ("transfer_out",)),
    "balance_not_updated_after_bank_transfer": ("pending_in", ("transfer_in",)),
    "card_payment_fee_charged": ("fees", ("card_payment_fee",)),
    "extra_charge_on_statement": ("fees", FEES),
    "cash_withdrawal_charge": ("fees", ("atm_fee",)),
    "transfer_fee_charged": ("fees", ("transfer_fee",)),
    "declined_card_payment": ("declined", ("card_payment",)),
    "declined_transfer": ("declined", ("transfer_out",)),
    "exchange_rate": ("rates", ()),
    "card_payment_wrong_exchange_rate": ("fx", ()),
    "direct_debit_payment_not_recognised": ("unrecognised", ("direct_debit",)),
    "card_payment_not_recognised": ("unrecognised", ("card_payment",)),
}
REASONS = ("insufficient_funds", "limit_exceeded", "security_check", "beneficiary_check", "card_frozen")
WHAT = {"card_payment": "what_card_payment", "transfer_out": "what_transfer", "direct_debit": "what_direct_debit"}
FREEZE_PAYLOAD = "intent:freeze_card"
DISPUTE_PREFIX = "service:dispute:"
CARD_PREFIX = "service:card:"  # the answer to "which card?": service:card:<intent>:<last4>


class CardDoor(Protocol):
    async def deliveries(self, subject: Subject) -> tuple[Decision, list[CardDelivery] | None]: ...


@dataclass(frozen=True, slots=True)
class Found:
    """What the bank's data says, worded: the lines and any buttons (freeze, dispute)."""

    text: str
    buttons: tuple[Button, ...] = ()
    which: tuple[str, ...] = ()  # asking "which card?": the cards' last digits to choose from


class ServiceGrounding:
    def __init__(self, point: BankDataPoint, cards: CardDoor | None, links: SecureLinks,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._point = point
        self._cards = cards
        self._links = links
        self._clock = clock

    @property
    def intents(self) -> frozenset[str]:
        return frozenset(i for i, (kind, _) in GROUNDED.items() if kind != "delivery" or self._cards is not None)

    async def ground(self, subject: Subject, intent: str, lang: str, bank: str, detail: str | None = None
                     ) -> list[Outbound]:
        """The customer's facts for `intent` as chat replies: in full or masked as the channel may receive
        them, or a secure link. `detail` narrows the answer: the last digits of the card the customer chose
        when asked "which card?" (Found.which), or the currency of a follow-up ("and in euros?").
        Raises NotLinked / ConsentUnusable / BankUnavailable for the caller to word."""
        decision, found = await self._facts(subject, intent, lang, bank, detail, ask=True)
        if not decision.allowed:
            key = "not_granted" if decision.policy_id == CONSENT_POLICY_ID else "denied"
            return [Outbound(catalog().text(lang, key, bank=bank), lang)]
        if decision.minimisation is Minimisation.LINK_ONLY or found is None:
            url = self._links.issue(subject.tenant, subject.customer_id, "service", intent, None)
            c = catalog()
            text = c.text(lang, "service_secure_page", validity=c.text(lang, "minutes_count",
                                                                        count=self._links.ttl_minutes))
            buttons = (Button(c.text(lang, "service_secure_button"), url=url),)
            return [Outbound(text, lang, buttons=buttons)]
        return [Outbound(found.text, lang, quick_replies=found.buttons,
                         extra={"which_card": ",".join(found.which)} if found.which else {})]

    async def page(self, tenant: str, customer_id: str, intent: str, lang: str, bank: str) -> str | None:
        """The secure page's text (recipient bank_page, full data); None when the agreement refuses it."""
        if intent not in GROUNDED:
            return None
        subject = Subject(tenant, customer_id, recipient="bank_page")
        decision, found = await self._facts(subject, intent, lang, bank, None, ask=False)
        return found.text if decision.allowed and found is not None else None

    async def _facts(self, subject: Subject, intent: str, lang: str, bank: str, detail: str | None, *,
                     ask: bool) -> tuple[Decision, Found | None]:
        kind, topics = GROUNDED[intent]
        if kind == "delivery":
            assert self._cards is not None
            card_subject = subject_for(subject.tenant, subject.customer_id, subject.recipient, fraud=False)
            decision, cards = await self._cards.deliveries(card_subject)
            return decision, None if cards is None else _delivery(cards, lang, self._clock())
        disclosed = await self._point.activity(subject)
        if disclosed.data is None:
            return disclosed.decision, None
        since = self._clock() - LOOK_BACK
        items = [i for i in disclosed.data if i.at >= since]
        masked = disclosed.decision.minimisation is Minimisation.MASKED
        if kind == "rates" or kind == "fx":
            return disclosed.decision, await self._rates(subject.tenant, kind, items, lang, bank, masked, detail)
        if kind in ("pending", "pending_in"):
            chosen = [i for i in items if i.kind is ItemKind.PENDING and i.topic in topics]
            key = "service_pending_in" if kind == "pending_in" else "service_pending"
            return disclosed.decision, Found(_listing(lang, key, chosen, masked, expected=True))
        if kind == "fees":
            chosen = [i for i in items if i.kind is ItemKind.FEE and i.topic in topics]
            return disclosed.decision, Found(_listing(lang, "service_fees", chosen, masked))
        if kind == "declined":
            return disclosed.decision, Found(_declined(lang, bank, topics[0], items, masked))
        return disclosed.decision, _unrecognised(lang, intent, topics[0], items, masked, detail, ask)

    async def _rates(self, tenant: str, kind: str, items: list[ActivityItem], lang: str, bank: str,
                     masked: bool, only: str | None) -> Found:
        c = catalog()
        foreign = next((i for i in items if i.original is not None and i.applied_rate is not None), None)
        base = foreign.amount.currency if foreign is not None else next(
            (i.amount.currency for i in items), None)
        if base is None:
            return Found(c.text(lang, "service_fx_none"))
        table = {r.currency: r.rate for r in await self._point.rates(tenant, base)}
        if kind == "rates" and only in table:  # "and in euros?"
            inverse = (Decimal(1) / table[only]).quantize(Decimal("0.0001"), ROUND_HALF_UP)
            return Found(c.text(lang, "service_rate_one", bank=bank, base=base, currency=only,
                                rate=isolate_ltr(f"{_rate(table[only], lang)} {only}", lang),
                                inverse=isolate_ltr(f"{_rate(inverse, lang)} {base}", lang)))
        if kind == "rates" or foreign is None or foreign.original is None:
            rates = ", ".join(isolate_ltr(f"{cur} {_rate(rate, lang)}", lang) for cur, rate in sorted(table.items()))
            text = c.text(lang, "service_rates", bank=bank, base=base, rates=rates)
            if kind == "fx" and foreign is None:
                text = c.text(lang, "service_fx_none") + " " + text
            return Found(text)
        original = foreign.original.currency
        if original not in table or foreign.applied_rate is None:
            return Found(c.text(lang, "service_fx_none"))
        ours = (Decimal(1) / table[original]).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        diff = ((foreign.applied_rate - ours) / ours * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
        return Found(c.text(lang, "service_fx_applied", item=_item(lang, foreign, masked), original=original,
                            applied=isolate_ltr(f"{_rate(foreign.applied_rate, lang)} {base}", lang),
                            table=isolate_ltr(f"{_rate(ours, lang)} {base}", lang),
                            diff=format_decimal(diff, format="+0.0;-0.0", locale=locale_for(lang))))


def _rate(rate: Decimal, lang: str) -> str:
    """An exchange rate to four places, with the language's decimal separator (0,2295 in Polish)."""
    return str(format_decimal(rate, format="0.0000", locale=locale_for(lang)))


def _delivery(cards: list[CardDelivery], lang: str, now: datetime) -> Found:
    c = catalog()
    if not cards:
        return Found(c.text(lang, "card_delivery_none"))
    lines = []
    for card in cards:
        def day(d: object) -> str:
            return format_date(d, lang) if d is not None else "—"  # type: ignore[arg-type]

        key = f"card_delivery_{card.status}"
        if card.status == "dispatched" and card.expected_by < now.date():
            key = "card_delivery_late"
        if key not in c.messages["en"]:
            key = "card_delivery_ordered"
        lines.append(c.text(lang, key, last4=card.last4, ordered=day(card.ordered_on),
                            dispatched=day(card.dispatched_on), delivered=day(card.delivered_on),
                            expected=day(card.expected_by)))
    return Found(" ".join(lines))


def _description(lang: str, item: ActivityItem, masked: bool) -> str:
    if item.kind is ItemKind.FEE and item.topic in FEES:
        return catalog().text(lang, f"fee_{item.topic}")
    if masked or not item.description:
        return category_name(lang, item.category)
    return item.description


def _item(lang: str, item: ActivityItem, masked: bool) -> str:
    amount = format_money(Money(item.amount.amount, item.amount.currency), lang)
    if item.original is not None:
        amount += " " + isolate_ltr(f"({format_money(item.original, lang)})", lang)
    return catalog().text(lang, "service_item", date=format_date(item.at, lang),
                          description=_description(lang, item, masked), amount=amount)


def _listing(lang: str, key: str, items: Sequence[ActivityItem], masked: bool, *, expected: bool = False) -> str:
    c = catalog()
    if not items:
        return c.text(lang, key + "_none")
    lines = [c.text(lang, key, count=len(items))]
    for item in items[:SHOWN]:
        line = "• " + _item(lang, item, masked)
        if expected and item.expected_by is not None:
            line += " " + c.text(lang, "service_expected", date=format_date(item.expected_by, lang))
        lines.append(line)
    return "\n".join(lines)


def _declined(lang: str, bank: str, topic: str, items: list[ActivityItem], masked: bool) -> str:
    c = catalog()
    what = c.text(lang, WHAT[topic])
    last = next((i for i in items if i.kind is ItemKind.DECLINED and i.topic == topic), None)
    if last is None:
        return c.text(lang, "service_declined_none", what=what)
    reason = c.text(lang, f"reason_{last.reason}" if last.reason in REASONS else "reason_other")
    return c.text(lang, "service_declined", what=what, item=_item(lang, last, masked), bank=bank, reason=reason)


def _unrecognised(lang: str, intent: str, topic: str, items: list[ActivityItem], masked: bool, card: str | None,
                  ask: bool) -> Found:
    """The latest payment of the kind; for card payments on more than one card, "which card?" first (in chat),
    or the latest on each card (on the secure page, where nobody can answer a question)."""
    c = catalog()
    what = c.text(lang, WHAT[topic])
    found = [i for i in items if i.kind is ItemKind.PAYMENT and i.topic == topic and i.original is None]
    # offered in a stable order (by their digits), not by which card happened to pay last
    cards = tuple(sorted({i.card_last4 for i in found if i.card_last4}))
    if card is not None:
        found = [i for i in found if i.card_last4 == card] or found
    elif len(cards) > 1 and ask:
        shown = ", ".join(isolate_ltr(f"•• {last4}", lang) for last4 in cards)
        buttons = tuple(Button(isolate_ltr(f"•• {last4}", lang), payload=f"{CARD_PREFIX}{intent}:{last4}")
                        for last4 in cards)
        return Found(c.text(lang, "service_which_card", cards=shown), buttons, which=cards)
    if not found:
        return Found(c.text(lang, "service_unrecognised_none", what=what))
    shown_items = [found[0]] if card is not None or len(cards) <= 1 else [
        next(i for i in found if i.card_last4 == last4) for last4 in cards]
    item = "; ".join(_item(lang, i, masked) + (" " + isolate_ltr(f"(•• {i.card_last4})", lang)
                                                if i.card_last4 and len(cards) > 1 else "") for i in shown_items)
    actions: tuple[Button, ...] = (Button(c.text(lang, "qr_service_freeze"), payload=FREEZE_PAYLOAD),
                                   Button(c.text(lang, "qr_service_dispute"), payload=DISPUTE_PREFIX + topic))
    if topic != "card_payment":
        actions = actions[1:]
    return Found(c.text(lang, "service_unrecognised", what=what, item=item), actions)
