"""Payments abroad end to end over HTTP on the web chat (issue #12): "wyślij 300 zł siostrze w Niemczech" and
«حول ٥٠٠ ريال لعمر» reach the foreign payee, the confirmation carries the sandbox's own rate (its rate table),
what the payee receives and the quote's expiry, and after the bank's strong authentication the international
payment is made once, debited in the account's currency."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import ROUND_HALF_EVEN, Decimal

import httpx
import pytest
from babel.numbers import format_currency

from sarraf.banks.sandbox_login import complete_sandbox_sca
from sarraf.sandbox_bank.rates import rate
from tests.integration.conftest import Gateway
from tests.integration.helpers import ChatClient
from tests.integration.test_payments import everyday, payload_of, url_of


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


@pytest.mark.parametrize(("customer", "ask", "nickname", "amount", "currency", "to", "payee", "sent"), [
    ("sandbox-pl-1", "wyślij 300 zł siostrze w Niemczech", "Konto osobiste", "300", "PLN", "EUR",
     "Magdalena Kowalska", "Wysłano"),
    ("sandbox-ar-1", "حول ٥٠٠ ريال لعمر", "الحساب الجاري", "500", "SAR", "USD", "عمر الحداد", "تم الإرسال"),
])
async def test_a_payment_abroad_is_quoted_then_paid_once(
        http: httpx.AsyncClient, gateway: Gateway, customer: str, ask: str, nickname: str, amount: str,
        currency: str, to: str, payee: str, sent: str) -> None:
    lang = "pl" if customer.endswith("pl-1") else "ar"
    before = await everyday(http, gateway, customer, nickname)
    chat = ChatClient(http, gateway.url)
    summary = await chat.link(await chat.say(ask), customer)
    text = summary[-1]["text"]
    receives = (Decimal(amount) * rate(currency, to)).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    assert payee in text and "UTC" in text, text
    assert format_currency(receives, to, locale=lang) in text, text  # the payee's amount at the bank's own rate
    start = url_of(await chat.say(payload=payload_of(summary, "pay:confirm:")), "/pay/start/")
    redirect = await complete_sandbox_sca(http, start, username=customer)
    done = await http.get(redirect)
    assert done.status_code == 200, done.text
    told = [r["text"] for r in await chat.updates()]
    assert any(t.startswith(sent) for t in told), told
    assert await everyday(http, gateway, customer, nickname) == before - Decimal(amount)

