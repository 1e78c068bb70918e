"""What the payment flow says (catalogue i18n/replies/payments.{en,pl,ar}.yaml), with money in the
currency's minor units (Babel), payee and account numbers masked, and on link_only channels nothing of the
payment in the chat: a link to the secure page where it is shown and confirmed."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Protocol

from babel.dates import format_time
from babel.numbers import format_decimal, get_currency_precision

from sarraf.conversation.payment_runs import Step, breach_of
from sarraf.domain.messages import Button, Card, CardLine, Outbound
from sarraf.domain.money import Money
from sarraf.domain.payments import Payment, PaymentState
from sarraf.i18n.replies import catalog, format_date, format_money
from sarraf.i18n.replies.formatting import isolate_ltr
from sarraf.policy.minimise import mask_identifier
from sarraf.policy.payments import Breach, LimitBreach

S = PaymentState
PREFIX = "pay:"
REJECTIONS = {"AM04": "pay_rejected_funds", "payment-limit": "pay_rejected_limit", "refused": "pay_rejected_refused",
              "not_sent": "pay_not_sent"}


class Who(Protocol):
    @property
    def lang(self) -> str: ...

    @property
    def bank(self) -> str: ...

    @property
    def tenant(self) -> str: ...

    @property
    def customer_id(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Payer:
    """Whose payment a status is said to, outside a chat turn (the bank's callback page, `sarraf say`)."""

    tenant: str
    customer_id: str
    lang: str
    bank: str


class PaymentLinks(Protocol):
    ttl_minutes: int

    def issue(self, tenant: str, customer_id: str, view: str, start: str | None, end: str | None) -> str: ...


def money(p: Payment, lang: str) -> str:
    amount = p.amount
    return format_money(Money(amount, p.currency or ""), lang) if amount is not None else ""


def fees(p: Payment, lang: str) -> str:
    """The bank's charges for the payment, as its consent stated them ("" when none)."""
    charged = json.loads(p.extra.get("fees") or "[]")
    return ", ".join(format_money(Money(Decimal(a), c), lang) for a, c in charged)


def quote_values(p: Payment, lang: str) -> dict[str, str] | None:
    """Rate, what the payee receives and until when the rate holds, for a quoted payment abroad."""
    transfer, rate = p.extra.get("transfer"), p.extra.get("rate")
    if not transfer or not rate or p.amount is None:
        return None
    exact = p.amount * Decimal(rate)
    receives = exact.quantize(Decimal(1).scaleb(-get_currency_precision(transfer)), rounding=ROUND_HALF_EVEN)
    expires = p.extra.get("expires")
    until = format_time(datetime.fromisoformat(expires), "HH:mm", tzinfo=UTC, locale=lang) + " UTC" if expires \
        else catalog().text(lang, "pay_rate_indicative")
    return {"rate": f"1 {p.extra.get('unit', p.currency)} = {format_decimal(Decimal(rate), '0.0000##', locale=lang)}"
                    f" {transfer}",
            "receives": format_money(Money(receives, transfer), lang), "until": until}


class PaymentTexts:
    def __init__(self, start_url: str, links: PaymentLinks | None = None) -> None:
        self._start_url = start_url.rstrip("/")
        self._links = links

    def say(self, who: Who, key: str, *buttons: Button, **values: object) -> Outbound:
        return Outbound(catalog().text(who.lang, key, bank=who.bank, **values), who.lang, quick_replies=buttons)

    def _button(self, who: Who, key: str, payload: str) -> Button:
        return Button(catalog().text(who.lang, key), payload=PREFIX + payload)

    def cancel_button(self, who: Who, p: Payment) -> Button:
        return self._button(who, "pay_button_cancel", f"cancel:{p.payment_id}")

    def ask(self, who: Who, p: Payment, slot: str, link_only: bool) -> Outbound:
        cancel = self.cancel_button(who, p)
        if slot in ("which_payee", "source"):
            kind = "payee" if slot == "which_payee" else "source"
            if link_only and slot == "which_payee":  # the names stay out of the platform's chat
                return self.say(who, "pay_ask_which_payee_private", cancel, count=len(p.choices))
            numbered = "\n".join(f"{i}. {c}" for i, c in enumerate(p.choices, start=1))
            choices = tuple(Button(c, payload=f"{PREFIX}{kind}:{p.payment_id}:{i}")
                            for i, c in enumerate(p.choices, start=1))
            asked = self.say(who, f"pay_ask_{slot}", *choices, cancel, count=len(p.choices))
            return replace(asked, text=f"{asked.text}\n{numbered}")
        return self.say(who, f"pay_ask_{slot}", cancel)

    def over_limit(self, who: Who, breach: LimitBreach, *, asking: bool = True) -> Outbound:
        """The limit a payment breaks, stated with its amount; `asking` for another amount (before the
        confirmation) or saying it was not sent (refused at the confirmation)."""
        if breach.kind is Breach.CURRENCY:
            return self.say(who, "pay_currency_not_offered", currency=breach.currency)
        limit = format_money(Money(breach.limit, breach.currency), who.lang)
        left = format_money(Money(breach.left, breach.currency), who.lang) if breach.left is not None else ""
        key = "pay_over_limit" if breach.kind is Breach.SINGLE else f"pay_limit_{breach.kind.value}"
        if not asking:
            key = f"pay_refused_limit_{breach.kind.value}"
        return self.say(who, key, limit=limit, left=left)

    def summary(self, who: Who, p: Payment) -> tuple[str, Card]:
        c = catalog()
        assert p.payee is not None and p.source is not None
        values = {
            "amount": money(p, who.lang), "payee": p.payee.name,
            # kept whole and left to right inside Arabic: "•••• 1234", never "1234 ••••"
            "payee_account": isolate_ltr(mask_identifier(p.payee.identification), who.lang),
            "source": p.source.label,
            "source_account": isolate_ltr(mask_identifier(p.source.identification), who.lang),
            "reference": p.reference or c.text(who.lang, "pay_no_reference"),
            "date": format_date(datetime.now(UTC), who.lang), "fee": c.text(who.lang, "pay_fee_none"),
        }
        labels: tuple[str, ...] = ("amount", "payee", "payee_account", "source", "reference", "date", "fee")
        values["fee"] = fees(p, who.lang) or values["fee"]
        if (abroad := quote_values(p, who.lang)) is not None:
            values |= abroad
            labels += ("rate", "receives", "until")
        text = c.text(who.lang, "pay_confirm_abroad" if abroad else "pay_confirm", bank=who.bank, **values)
        card = Card(c.text(who.lang, "pay_card_title"),
                    tuple(CardLine(c.text(who.lang, f"pay_label_{k}"), str(values[k])) for k in labels))
        return text, card

    def confirmation(self, who: Who, p: Payment, link_only: bool) -> Outbound:
        c = catalog()
        cancel = self.cancel_button(who, p)
        if link_only and self._links is not None:
            url = self._links.issue(who.tenant, who.customer_id, "payment", p.payment_id, None)
            validity = c.text(who.lang, "minutes_count", count=self._links.ttl_minutes)
            return Outbound(c.text(who.lang, "pay_confirm_on_page", bank=who.bank, validity=validity), who.lang,
                            buttons=(Button(c.text(who.lang, "pay_button_open_page"), url=url),),
                            quick_replies=(cancel,), link_only=True)
        text, card = self.summary(who, p)
        confirm = self._button(who, "pay_button_confirm", f"confirm:{p.payment_id}")
        return Outbound(text, who.lang, quick_replies=(confirm, cancel), cards=(card,))

    def authorise(self, who: Who, p: Payment, key: str = "pay_authorise") -> Outbound:
        c = catalog()
        button = Button(c.text(who.lang, "pay_button_authorise", bank=who.bank),
                        url=f"{self._start_url}/{p.auth_state}")
        return Outbound(c.text(who.lang, key, bank=who.bank), who.lang, buttons=(button,),
                        quick_replies=(self.cancel_button(who, p),), extra={"pay_state": p.auth_state or ""})

    def after_confirm(self, who: Who, step: Step) -> Outbound:
        p = step.payment
        if step.problem == "bank_down":
            return self.say(who, "pay_bank_down", self._button(who, "pay_button_confirm", f"confirm:{p.payment_id}"),
                            self.cancel_button(who, p))
        if step.problem in ("consent_unusable", "not_linked"):
            return self.say(who, "pay_link_again")
        if step.problem == "bank_refused":
            return self.say(who, "pay_rejected_refused")
        if step.problem == "quote_expired":
            return self.say(who, "pay_quote_expired")
        if p.state is S.AUTHORISING and p.auth_state:
            return self.authorise(who, p, "pay_authorise" if step.moved else "pay_already_confirmed")
        return self.status(who, p)

    def status(self, who: Who, p: Payment, *, in_chat: bool = True) -> Outbound:
        """Where the payment stands, in words (the outcome after the bank, or a repeat's answer). In the chat of
        a payment confirmed on the secure page (link_only) the amount and payee stay out."""
        payee = p.payee.name if p.payee else ""
        private = in_chat and p.extra.get("private") == "1"
        if private and p.state in (S.COMPLETED, S.SUBMITTED):
            key = "pay_completed_private" if p.state is S.COMPLETED else "pay_pending_private"
            return self.say(who, key, id=(p.bank_payment_id or "")[-8:])
        if p.state is S.COMPLETED:
            return self.say(who, "pay_completed", amount=money(p, who.lang), payee=payee,
                            id=(p.bank_payment_id or "")[-8:])
        if p.state is S.REJECTED:
            if p.reason == "payment-limit":
                breach = breach_of(p)
                return self.over_limit(who, breach, asking=False) if breach else self.say(who, "pay_rejected_limit")
            return self.say(who, REJECTIONS.get(p.reason or "", "pay_rejected_other"))
        if p.state is S.SUBMITTED:
            return self.say(who, "pay_pending", amount=money(p, who.lang), payee=payee)
        if p.state is S.CANCELLED:
            return self.say(who, "pay_sca_refused" if p.reason == "sca_refused" else "pay_cancelled")
        if p.state is S.EXPIRED:
            return self.say(who, "pay_gone")
        if p.state is S.AUTHORISING and p.auth_state:
            return self.authorise(who, p, "pay_already_confirmed")
        return self.say(who, "pay_gone")
