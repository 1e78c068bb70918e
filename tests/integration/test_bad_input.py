"""Bad input gets a clear answer or a 4xx with a reason — never a 500 — and loses nothing."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.conftest import Gateway
from tests.integration.helpers import ChatClient, new_session


@pytest.fixture
async def http() -> httpx.AsyncClient:
    async with httpx.AsyncClient(timeout=20) as client:
        yield client


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'{"text": "hi"}',
        b'{"session": "short", "text": "hi"}',
        b'{"session": "../../etc/passwd-xxxxxxxx", "text": "hi"}',
        b'{"session": "abcdefghijklmnopqrstuvwx"}',
        ('{"session": "abcdefghijklmnopqrstuvwx", "text": "' + "a" * 30_000 + '"}').encode(),
    ],
)
async def test_malformed_messages_get_4xx_with_a_reason(gateway: Gateway, http: httpx.AsyncClient, body: bytes) -> None:
    response = await http.post(
        f"{gateway.url}/webchat/api/messages", content=body, headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500
    assert response.json().get("reasons") or response.json().get("detail")


async def test_unknown_bank_is_a_404(gateway: Gateway, http: httpx.AsyncClient) -> None:
    response = await http.post(
        f"{gateway.url}/webchat/api/messages", json={"session": new_session(), "text": "hi", "bank": "nobank"}
    )
    assert response.status_code == 404
    assert "nobank" in response.json()["detail"]


async def test_ten_kilobyte_message_gets_a_polite_answer_in_the_customers_language(
    gateway: Gateway, http: httpx.AsyncClient
) -> None:
    chat = ChatClient(http, gateway.url)
    await chat.say("cześć, jak się masz?")
    (reply,) = await chat.say("saldo " * 1700)
    assert reply["lang"] == "pl"
    assert "za długa" in reply["text"]


@pytest.mark.parametrize(
    "text",
    ["🙂🙂🙂", "\u202eecnalab ym si tahw", "كم \u202eرصيدي\u202c؟", "asdkjh qwe zxcmnb", "\x00\x01\x02", "' OR 1=1 --"],
)
async def test_odd_text_never_breaks_the_conversation(gateway: Gateway, http: httpx.AsyncClient, text: str) -> None:
    replies = await ChatClient(http, gateway.url).say(text)
    assert replies and replies[0]["text"]


async def test_a_retried_message_is_answered_once(gateway: Gateway, http: httpx.AsyncClient) -> None:
    chat = ChatClient(http, gateway.url)
    first = await chat.say("hello", message_id="m-1")
    second = await chat.say("hello", message_id="m-1")
    assert first and second == []


async def test_bad_callbacks_and_links_are_4xx(gateway: Gateway, http: httpx.AsyncClient) -> None:
    assert (await http.get(f"{gateway.url}/link/callback")).status_code == 400
    assert (await http.get(f"{gateway.url}/link/callback", params={"state": "nope", "code": "x"})).status_code == 400
    assert (await http.get(f"{gateway.url}/secure/not-a-token")).status_code == 410
    assert (await http.get(f"{gateway.url}/webchat/api/updates", params={"session": "bad"})).status_code == 422


async def test_health_metrics_and_docs(gateway: Gateway, http: httpx.AsyncClient) -> None:
    health = (await http.get(f"{gateway.url}/healthz")).json()
    assert health["status"] == "ok" and health["banks"] == ["sandbox"]
    metrics = await http.get(f"{gateway.url}/metrics")
    assert "sarraf_messages_total" in metrics.text
    assert (await http.get(f"{gateway.url}/docs")).status_code == 200
    assert "/webchat/api/messages" in (await http.get(f"{gateway.url}/openapi.json")).json()["paths"]


async def test_forged_postbacks_are_not_honoured(gateway: Gateway, http: httpx.AsyncClient) -> None:
    chat = ChatClient(http, gateway.url)
    for payload in ("intent:card_arrival", "intent:../../admin", "intent:" + "x" * 150):
        (reply,) = await chat.say(payload=payload)
        assert "say it another way" in reply["text"], reply
