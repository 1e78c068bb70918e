"""The bank's back office can read and revoke a consent; the API fails closed without the right token."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.conftest import OPERATOR_TOKEN, Gateway
from tests.integration.helpers import ChatClient


@pytest.fixture
async def http() -> httpx.AsyncClient:
    async with httpx.AsyncClient(timeout=20) as client:
        yield client


async def test_operator_revokes_a_consent_and_the_chat_stops_reading(gateway: Gateway, http: httpx.AsyncClient) -> None:
    chat = ChatClient(http, gateway.url)
    invite = await chat.say("link my account")
    bank_login = (await http.get(invite[0]["buttons"][0]["url"])).headers["location"]
    consent_id = httpx.URL(bank_login).params["consent_id"]
    await chat.link(invite, "sandbox-en-1")
    url = f"{gateway.url}/api/banks/sandbox/consents/{consent_id}"
    good = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}

    assert (await http.get(url)).status_code == 401
    assert (await http.get(url, headers={"Authorization": "Bearer wrong"})).status_code == 401
    status = await http.get(url, headers=good)
    assert status.status_code == 200 and status.json()["status"] == "AUTH"

    assert (await http.delete(url, headers={"Authorization": "Bearer wrong"})).status_code == 401
    assert (await http.delete(url, headers=good)).status_code == 204
    assert (await http.get(url, headers=good)).status_code == 404
    (after,) = await chat.say("what's my balance?")
    assert after["buttons"], "a revoked consent stops every read: the customer is asked to link again"


async def test_unknown_bank_or_consent_is_404(gateway: Gateway, http: httpx.AsyncClient) -> None:
    good = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    assert (await http.get(f"{gateway.url}/api/banks/nope/consents/x", headers=good)).status_code == 404
    assert (await http.get(f"{gateway.url}/api/banks/sandbox/consents/x", headers=good)).status_code == 404
