"""Payments in chat end to end over HTTP on 127.0.0.1 (issue #12): web chat → confirmation → the sandbox's own
strong authentication (login + one-time code) → callback → paid once. Balances are read from the bank's own API,
not from the gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sarraf.banks.sandbox_login import complete_sandbox_sca
from sarraf.sandbox_bank.admin import ADMIN_HEADER, stored_secret
from tests.integration.conftest import Gateway
from tests.integration.helpers import ChatClient, bank_balances


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


async def everyday(http: httpx.AsyncClient, gateway: Gateway, customer: str, nickname: str) -> Decimal:
    found = await bank_balances(http, f"{gateway.url}/bank", customer, f"{gateway.url}/link/callback")
    return next(b.amount.amount for b in found[nickname] if b.balance_type == "InterimAvailable") \
        if any(b.balance_type == "InterimAvailable" for b in found[nickname]) else found[nickname][0].amount.amount


def payload_of(replies: list[dict[str, Any]], prefix: str) -> str:
    return next(q["payload"] for r in replies for q in r["quick_replies"] if (q["payload"] or "").startswith(prefix))


def url_of(replies: list[dict[str, Any]], part: str) -> str:
    return next(b["url"] for r in replies for b in r["buttons"] if b["url"] and part in b["url"])


async def linked_chat(http: httpx.AsyncClient, gateway: Gateway, customer: str, ask: str) -> ChatClient:
    chat = ChatClient(http, gateway.url)
    await chat.link(await chat.say(ask), customer)
    return chat


async def test_pay_a_saved_payee_once_even_with_replayed_confirm_and_callback(
        http: httpx.AsyncClient, gateway: Gateway) -> None:
    before = await everyday(http, gateway, "sandbox-en-1", "Everyday")
    chat = await linked_chat(http, gateway, "sandbox-en-1", "send £7.31 to Alice Smith for dinner")
    summary = await chat.say("send £7.31 to Alice Smith for dinner")
    text = summary[-1]["text"]
    assert "£7.31" in text and "Alice Smith" in text and "dinner" in text and "1733" in text, text
    assert "40127644501733" not in text  # the payee's account is masked
    confirm = payload_of(summary, "pay:confirm:")
    authorise = await chat.say(payload=confirm)
    start = url_of(authorise, "/pay/start/")
    again = await chat.say(payload=confirm)  # tapped twice: the same authorisation, no second consent
    assert url_of(again, "/pay/start/") == start
    redirect = await complete_sandbox_sca(http, start, username="sandbox-en-1")
    assert "/pay/callback" in redirect and "code=" in redirect
    done = await http.get(redirect)
    assert done.status_code == 200, done.text
    told = [r["text"] for r in await chat.updates()]
    assert any("Sent: £7.31 to Alice Smith" in t for t in told), told
    replay = await http.get(redirect)  # a replayed callback: shows the outcome, pays nothing
    assert replay.status_code == 200 and "Sent" in replay.text
    assert not await chat.updates()
    after = await everyday(http, gateway, "sandbox-en-1", "Everyday")
    assert after == before - Decimal("7.31")


async def test_polish_payee_by_diminutive_and_cancel_at_the_confirmation(
        http: httpx.AsyncClient, gateway: Gateway) -> None:
    chat = await linked_chat(http, gateway, "sandbox-pl-1", "przelej 100 zł Kasi za obiad")
    summary = await chat.say("przelej 100 zł Kasi za obiad")
    text = summary[-1]["text"]
    assert "Katarzyna Nowak" in text and "obiad" in text and "100,00" in text, text
    cancelled = await chat.say("anuluj")
    assert "Anulowano" in cancelled[-1]["text"]


async def test_missing_amount_is_asked_for_then_arabic_payee_found(http: httpx.AsyncClient,
                                                                    gateway: Gateway) -> None:
    chat = await linked_chat(http, gateway, "sandbox-ar-1", "حول لأحمد")
    asked = await chat.say("حول لأحمد")
    assert "كم" in asked[-1]["text"], asked[-1]["text"]
    summary = await chat.say("٢٠٠ ريال")
    assert "أحمد العتيبي" in summary[-1]["text"], summary[-1]["text"]


async def test_over_the_limit_is_refused_before_the_bank(http: httpx.AsyncClient, gateway: Gateway) -> None:
    chat = await linked_chat(http, gateway, "sandbox-en-1", "send £5000 to Alice Smith")
    replies = await chat.say("send £5000 to Alice Smith")
    assert any("over the £1,000.00" in r["text"] for r in replies), [r["text"] for r in replies]
    assert not any((q["payload"] or "").startswith("pay:confirm:") for r in replies for q in r["quick_replies"])


async def test_bank_down_when_submitting_tells_the_customer_and_nothing_is_paid_twice(
        http: httpx.AsyncClient, gateway: Gateway) -> None:
    before = await everyday(http, gateway, "sandbox-en-1", "Everyday")
    chat = await linked_chat(http, gateway, "sandbox-en-1", "send £3 to Alice Smith")
    summary = await chat.say("send £3 to Alice Smith")
    start = url_of(await chat.say(payload=payload_of(summary, "pay:confirm:")), "/pay/start/")
    redirect = await complete_sandbox_sca(http, start, username="sandbox-en-1")
    secret = stored_secret(gateway.settings.data_dir)
    assert secret
    fault = await http.post(f"{gateway.url}/bank/sarraf/v1/admin/faults", json={"payments_fail": 2},
                            headers={ADMIN_HEADER: secret})
    assert fault.status_code == 200, fault.text
    page = await http.get(redirect)
    assert page.status_code == 200
    told = [r["text"] for r in await chat.updates()]
    assert any("hasn't confirmed" in t for t in told), told
    assert await everyday(http, gateway, "sandbox-en-1", "Everyday") == before  # nothing half-done
    # Asking again sends the same request with the same idempotency key: paid exactly once.
    status = await chat.say(payload=payload_of(summary, "pay:confirm:"))
    assert any("Sent: £3.00" in r["text"] for r in status), [r["text"] for r in status]
    again = await chat.say(payload=payload_of(summary, "pay:confirm:"))
    assert any("Sent" in r["text"] for r in again)
    assert await everyday(http, gateway, "sandbox-en-1", "Everyday") == before - Decimal("3.00")
