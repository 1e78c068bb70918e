"""A payment that settles later, end to end over HTTP on 127.0.0.1 (issue #12): the sandbox accepts it as
pending (PDNG), the chat says so; when the bank settles it — or rejects it because the money left the account
in the meantime — the gateway's status follower finds out and the customer gets exactly one message, also when
the gateway was restarted (a new app on the same database) between submission and settlement."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from sarraf.banks.sandbox_login import complete_sandbox_sca
from sarraf.config import load_settings
from sarraf.sandbox_bank.admin import ADMIN_HEADER, stored_secret
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread
from tests.integration.conftest import Gateway
from tests.integration.helpers import ChatClient
from tests.integration.test_payments import everyday, payload_of, url_of
from tests.support.postgres import temporary_database

CHECK_EVERY_S = "0.2"  # the follower's back-off here: first check, doubling...
CHECK_AT_MOST_S = "0.4"  # ...up to this, so a settled payment is found within a second
SETTLED = "has now sent it"


@contextmanager
def environment(home: Path, port: int, database_url: str | None = None) -> Iterator[Gateway]:
    env = {"SARRAF_HOME": str(home), "SARRAF_DATABASE_URL": database_url or f"sqlite+aiosqlite:///{home / 'sarraf.db'}",
           "SARRAF_PORT": str(port), "SARRAF_PUBLIC_URL": f"http://127.0.0.1:{port}",
           "SARRAF_PAYMENT_CHECK_FIRST_S": CHECK_EVERY_S, "SARRAF_PAYMENT_CHECK_MAX_S": CHECK_AT_MOST_S}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        settings = load_settings()
    with serve_in_thread(create_app(settings), port=port) as url:
        yield Gateway(url, settings)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


async def admin(http: httpx.AsyncClient, gateway: Gateway, path: str, body: dict[str, Any]) -> dict[str, Any]:
    secret = stored_secret(gateway.settings.data_dir)
    assert secret
    answer = await http.post(f"{gateway.url}/bank/sarraf/v1/admin/{path}", json=body, headers={ADMIN_HEADER: secret})
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


async def pay_pending(http: httpx.AsyncClient, gateway: Gateway, ask: str) -> ChatClient:
    """Link sandbox-en-1, ask for the payment, confirm and authorise it: the bank leaves it pending."""
    await admin(http, gateway, "settlement", {"later_above": "100", "after_s": 3600})
    chat = ChatClient(http, gateway.url)
    await chat.link(await chat.say(ask), "sandbox-en-1")
    summary = await chat.say(ask)
    start = url_of(await chat.say(payload=payload_of(summary, "pay:confirm:")), "/pay/start/")
    page = await http.get(await complete_sandbox_sca(http, start, username="sandbox-en-1"))
    assert page.status_code == 200, page.text
    told = [r["text"] for r in await chat.updates()]
    assert any("hasn't confirmed the payment" in t for t in told), told
    return chat


async def told_within(chat: ChatClient, seconds: float) -> list[str]:
    """Every message the chat receives until `seconds` pass with nothing more coming after the first."""
    texts: list[str] = []
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        texts += [r["text"] for r in await chat.updates()]
        await asyncio.sleep(0.1)
    return texts


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    with environment(tmp_path, free_port()) as found:
        yield found


async def test_a_pending_payment_settles_later_and_the_customer_hears_once(
        http: httpx.AsyncClient, gateway: Gateway) -> None:
    before = await everyday(http, gateway, "sandbox-en-1", "Everyday")
    chat = await pay_pending(http, gateway, "send £150 to Alice Smith for the boiler")
    assert not await told_within(chat, 1.5)  # checked meanwhile: still pending, nothing to say
    assert await everyday(http, gateway, "sandbox-en-1", "Everyday") == before
    settled = await admin(http, gateway, "settle", {"due_only": False})
    assert [s["status"] for s in settled["settled"]] == ["ACSC"]
    told = await told_within(chat, 3.0)
    assert len(told) == 1 and SETTLED in told[0] and "£150.00" in told[0] and "Alice Smith" in told[0], told
    assert await everyday(http, gateway, "sandbox-en-1", "Everyday") == before - Decimal("150")
    again = await admin(http, gateway, "settle", {"due_only": False})  # settling again settles nothing
    assert again["settled"] == [] and not await told_within(chat, 1.0)


async def test_a_pending_payment_rejected_at_settlement_tells_the_reason(
        http: httpx.AsyncClient, gateway: Gateway) -> None:
    chat = await pay_pending(http, gateway, "send £200 to Alice Smith")
    balance = await everyday(http, gateway, "sandbox-en-1", "Everyday")
    await admin(http, gateway, "withdraw", {"customer": "sandbox-en-1", "amount": str(balance - Decimal("50"))})
    settled = await admin(http, gateway, "settle", {"due_only": False})
    assert [(s["status"], s["reason"]) for s in settled["settled"]] == [("RJCT", "AM04")]
    told = await told_within(chat, 3.0)
    assert told == ["Update on your payment of £200.00 to Alice Smith: Sarraf Sandbox Bank rejected it "
                    "(there was not enough money in the account). Nothing was paid."], told
    assert await everyday(http, gateway, "sandbox-en-1", "Everyday") == Decimal("50")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
        return
    with temporary_database() as url:
        yield url


async def test_a_restarted_gateway_still_tells_the_outcome_once(
        http: httpx.AsyncClient, tmp_path: Path, database: str | None) -> None:
    port = free_port()
    with environment(tmp_path, port, database) as first:
        chat = await pay_pending(http, first, "send £120 to Alice Smith")
    with environment(tmp_path, port, database) as second:  # a new app on the same database and sandbox file
        resumed = ChatClient(http, second.url, chat.session)
        resumed.cursor = chat.cursor  # the same web chat session, read on from where it was
        assert not await told_within(resumed, 1.0)  # the new gateway checks too: still pending
        await admin(http, second, "settle", {"due_only": False})
        told = await told_within(resumed, 3.0)
        assert len(told) == 1 and SETTLED in told[0] and "£120.00" in told[0], told
