"""The gateway-hosted page behind link-only replies: shows the data after its own checks, never a stale link."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from sarraf.policy.secure_links import SignedLinks
from sarraf.store.key_store import key_provider
from tests.integration.conftest import Gateway
from tests.integration.helpers import ChatClient


@pytest.fixture
async def http() -> httpx.AsyncClient:
    async with httpx.AsyncClient(timeout=20) as client:
        yield client


async def _linked_customer(gateway: Gateway, http: httpx.AsyncClient, who: str) -> str:
    chat = ChatClient(http, gateway.url)
    await chat.link(await chat.say("link my account"), who)
    (summary,) = await chat.say("show me my data")
    return str((await http.get(summary["buttons"][0]["url"])).json()["customer"]["id"])


async def test_secure_page_shows_balance_and_transactions(gateway: Gateway, http: httpx.AsyncClient) -> None:
    customer_id = await _linked_customer(gateway, http, "sandbox-en-1")
    links = SignedLinks(await key_provider(gateway.settings).secret("secure-links"), gateway.url)
    page = await http.get(links.issue("sandbox", customer_id, "balance", None, None))
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert "Your balances" in page.text and "£" in page.text
    start, end = (date.today() - timedelta(days=20)).isoformat(), date.today().isoformat()
    listing = await http.get(links.issue("sandbox", customer_id, "transactions", start, end))
    assert listing.status_code == 200 and "<table class=\"rows\">" in listing.text  # rows, not "·" lines


async def test_expired_or_forged_links_show_nothing(gateway: Gateway, http: httpx.AsyncClient) -> None:
    customer_id = await _linked_customer(gateway, http, "sandbox-en-1")
    key = await key_provider(gateway.settings).secret("secure-links")
    expired = SignedLinks(key, gateway.url, ttl_minutes=-1).issue("sandbox", customer_id, "balance", None, None)
    forged = SignedLinks(b"x" * 32, gateway.url).issue("sandbox", customer_id, "balance", None, None)
    for url in (expired, forged):
        page = await http.get(url)
        assert page.status_code == 410
        assert "£" not in page.text
