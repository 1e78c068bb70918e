"""Payments refused in chat over HTTP on the web chat (issue #12), each on a gateway of its own so the day's totals
are the test's: the daily limit counts the day's confirmed payments and names what is left (and the refusal is
audited as a deny by `payment-limit`); an amount in a currency none of the customer's accounts holds is refused
before anything reaches the bank. The bank's ledger is untouched either way."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from sarraf.web.threaded_server import free_port
from tests.integration.conftest import Gateway
from tests.integration.helpers import ChatClient
from tests.integration.test_payment_limits_http import denials
from tests.integration.test_payment_settles_later import environment
from tests.integration.test_payments import everyday, payload_of, url_of


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    with environment(tmp_path, free_port()) as found:
        yield found


@pytest.mark.parametrize(("customer", "nickname", "ask", "said"), [
    ("sandbox-en-1", "Everyday", "send £900 to Alice Smith",
     "That would take today's payments in chat over the daily limit of £2,500.00: you can send £700.00 more today."),
    ("sandbox-pl-1", "Konto osobiste", "przelej 5000 zł Kasi",
     "Wtedy dzisiejsze przelewy na czacie przekroczyłyby dzienny limit 12\u00a0000,00\u00a0zł: dziś możesz przelać "
     "jeszcze 2\u00a0000,00\u00a0zł."),
])
async def test_the_daily_limit_counts_the_days_confirmed_payments(
        http: httpx.AsyncClient, gateway: Gateway, customer: str, nickname: str, ask: str, said: str) -> None:
    before = await everyday(http, gateway, customer, nickname)
    chat = ChatClient(http, gateway.url)
    await chat.link(await chat.say(ask), customer)
    for _ in range(2):  # two confirmed (at the bank's authentication page): they count towards the day
        summary = await chat.say(ask)
        assert url_of(await chat.say(payload=payload_of(summary, "pay:confirm:")), "/pay/start/")
    audited = len(await denials(gateway))
    third = await chat.say(ask)
    texts = [r["text"] for r in third]
    assert said in texts, texts
    assert not any((q["payload"] or "").startswith("pay:confirm:") for r in third for q in r["quick_replies"])
    assert len(await denials(gateway)) == audited + 1
    assert await everyday(http, gateway, customer, nickname) == before


@pytest.mark.parametrize(("customer", "nickname", "ask", "said"), [
    ("sandbox-en-1", "Everyday", "send €50 to Alice Smith",
     "You have no account at Sarraf Sandbox Bank in EUR to pay from, so I can't send that payment. Nothing was paid."),
    ("sandbox-pl-1", "Konto osobiste", "przelej 20 USD Kasi",
     "Nie masz w Sarraf Sandbox Bank rachunku w walucie USD, z którego można zapłacić, więc nie mogę wysłać tego "
     "przelewu. Nic nie zostało zapłacone."),
])
async def test_an_amount_in_a_currency_no_account_holds_is_refused(
        http: httpx.AsyncClient, gateway: Gateway, customer: str, nickname: str, ask: str, said: str) -> None:
    before = await everyday(http, gateway, customer, nickname)
    chat = ChatClient(http, gateway.url)
    replies = await chat.link(await chat.say(ask), customer)
    texts = [r["text"] for r in replies]
    assert said in texts, texts
    assert not any((q["payload"] or "").startswith("pay:confirm:") for r in replies for q in r["quick_replies"])
    assert await everyday(http, gateway, customer, nickname) == before
