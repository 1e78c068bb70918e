"""What a customer is told when a pending payment settles later (conversation/payment_outcomes.py): the outcome in
their language, the bank's StatusReasonCode in words (its code when the catalogue has none), and no figures for a
payment confirmed on the secure page (link_only channels)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sarraf.conversation.payment_outcomes import settled_later
from sarraf.conversation.payment_texts import Payer
from sarraf.domain.payments import Payee, Payment, PaymentState

NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)


def payment(lang: str, state: PaymentState, reason: str | None = None, private: bool = False) -> Payment:
    return Payment(payment_id="pay-1", tenant="sandbox", customer_id="c-1", channel="webchat", sender="s", lang=lang,
                   state=state, created_at=NOW, expires_at=NOW + timedelta(minutes=15), consent_key="c",
                   payment_key="p", amount_minor=15000, currency="PLN",
                   payee=Payee("Katarzyna Nowak", "UK.OBIE.IBAN", "PL27114020040000300201355387"),
                   bank_payment_id="dp-0123456789abcdef", reason=reason,
                   extra={"private": "1"} if private else {})


def said(p: Payment) -> str:
    return settled_later(Payer(p.tenant, p.customer_id, p.lang, "Sarraf Sandbox Bank"), p).text


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "Update on your payment of PLN150.00 to Katarzyna Nowak: Sarraf Sandbox Bank rejected it (there was "
           "not enough money in the account). Nothing was paid."),
    ("pl", "Aktualizacja przelewu 150,00\u00a0zł do Katarzyna Nowak: Sarraf Sandbox Bank go odrzucił (na rachunku "
           "zabrakło środków). Nic nie zostało zapłacone."),
])
def test_a_rejection_names_the_banks_reason_in_the_customers_language(lang: str, expected: str) -> None:
    assert said(payment(lang, PaymentState.REJECTED, "AM04")) == expected


def test_arabic_and_an_unworded_reason_code_is_named() -> None:
    text = said(payment("ar", PaymentState.REJECTED, "FF01"))
    assert "رفضها" in text and "FF01" in text and "رمز السبب" in text


def test_completed_gives_the_banks_reference_and_private_payments_no_figures() -> None:
    shown = said(payment("en", PaymentState.COMPLETED))
    assert "has now sent it" in shown and "89abcdef" in shown and "Katarzyna" in shown and "150.00" in shown
    private = said(payment("en", PaymentState.COMPLETED, private=True))
    assert "89abcdef" in private and "Katarzyna" not in private and "150" not in private
    refused = said(payment("pl", PaymentState.REJECTED, "AM04", private=True))
    assert "zabrakło środków" in refused and "150" not in refused and "Katarzyna" not in refused


def test_only_a_settled_payment_has_an_outcome() -> None:
    with pytest.raises(ValueError):
        said(payment("en", PaymentState.SUBMITTED))
