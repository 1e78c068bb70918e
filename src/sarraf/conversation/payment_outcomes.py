"""What the customer is told when a payment left pending settles later (catalogue
i18n/replies/payment_outcomes.{en,pl,ar}.yaml): sent, or rejected with the bank's reason in their
language. A payment confirmed on the secure page (link_only channels) is told without its figures."""

from __future__ import annotations

from sarraf.conversation.payment_texts import Who, money
from sarraf.domain.messages import Outbound
from sarraf.domain.payments import Payment, PaymentState
from sarraf.i18n.replies import catalog

# The StatusReasonCodes the catalogue words; any other is named by its code.
WORDED = frozenset({"AM04", "AM03", "AM05", "AC04", "AC06", "refused"})


def reason_text(lang: str, code: str | None) -> str:
    c = catalog()
    if code in WORDED:
        return c.text(lang, f"pay_reason_{code}")
    return c.text(lang, "pay_reason_other", code=code or "?")


def settled_later(who: Who, p: Payment) -> Outbound:
    """The outcome of a payment the bank settled (COMPLETED) or rejected (REJECTED) after its submission."""
    if p.state not in (PaymentState.COMPLETED, PaymentState.REJECTED):
        raise ValueError(f"payment {p.payment_id} is {p.state}, not settled")
    c = catalog()
    outcome = "completed" if p.state is PaymentState.COMPLETED else "rejected"
    private = p.extra.get("private") == "1"
    key = f"pay_later_{outcome}" + ("_private" if private else "")
    values: dict[str, object] = {"bank": who.bank, "id": (p.bank_payment_id or "")[-8:]}
    if not private:
        values |= {"amount": money(p, who.lang), "payee": p.payee.name if p.payee else ""}
    if p.state is PaymentState.REJECTED:
        values["reason"] = reason_text(who.lang, p.reason)
    return Outbound(c.text(who.lang, key, **values), who.lang)
