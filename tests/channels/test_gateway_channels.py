"""The four platforms against a real gateway on 127.0.0.1 (sandbox bank at /bank, SQLite), their send APIs
played by a fake platform that records every call.

Refusals: forged, unsigned, replayed, oversized and malformed requests get a 4xx and nothing reaches the
conversation (the fake platform receives no call). Conversations: link the account from the invite, ask the
balance in the channel's language, get it as the default agreement allows that platform (link-only on
Messenger and WhatsApp, masked on Telegram and Alexa).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from sarraf.banks.sandbox_login import complete_sandbox_login
from sarraf.channels.alexa.verify import AlexaRequestVerifier
from sarraf.channels.signatures import hub_signature
from sarraf.config import load_settings
from sarraf.domain.money import Money
from sarraf.i18n.replies import format_money
from sarraf.policy.minimise import round_amount
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread
from tests.channels.alexa_ca import AlexaChain, build_chain, envelope
from tests.channels.fake_platform import FakePlatform, fixture
from tests.integration.helpers import bank_balances

SECRET = "meta-app-secret"
TG_SECRET = "telegram-secret_token-1"
SKILL = "amzn1.ask.skill.sarraf-test"
WA_NUMBER = "106540352242922"


@dataclass
class World:
    url: str
    fake: FakePlatform
    chain: AlexaChain


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    fake = FakePlatform()
    chain = build_chain()
    with serve_in_thread(fake.app()) as platform_url:
        home = tmp_path_factory.mktemp("channels-home")
        port = free_port()
        env = {
            "SARRAF_HOME": str(home),
            "SARRAF_PORT": str(port),
            "SARRAF_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "SARRAF_DATABASE_URL": f"sqlite+aiosqlite:///{home / 'sarraf.db'}",
            "SARRAF_MESSENGER_APP_SECRET": SECRET,
            "SARRAF_MESSENGER_VERIFY_TOKEN": "verify-me",
            "SARRAF_MESSENGER_PAGE_TOKEN": "page-token",
            "SARRAF_MESSENGER_API_URL": platform_url,
            "SARRAF_WHATSAPP_APP_SECRET": SECRET,
            "SARRAF_WHATSAPP_VERIFY_TOKEN": "verify-me",
            "SARRAF_WHATSAPP_ACCESS_TOKEN": "wa-token",
            "SARRAF_WHATSAPP_PHONE_NUMBER_ID": WA_NUMBER,
            "SARRAF_WHATSAPP_API_URL": platform_url,
            "SARRAF_TELEGRAM_BOT_TOKEN": "123:BOT",
            "SARRAF_TELEGRAM_SECRET_TOKEN": TG_SECRET,
            "SARRAF_TELEGRAM_API_URL": platform_url,
            "SARRAF_ALEXA_SKILL_ID": SKILL,
        }
        with pytest.MonkeyPatch.context() as patch:
            for key, value in env.items():
                patch.setenv(key, value)
            app = create_app(load_settings())
            with serve_in_thread(app, port=port) as url:
                # Amazon's certificate URL cannot be served here: the verifier fetches from our own CA instead.
                app.state.container.channels.channels["alexa"].verifier = AlexaRequestVerifier(
                    chain.fetch, roots=[chain.root]
                )
                yield World(url, fake, chain)


@pytest.fixture
async def http() -> httpx.AsyncClient:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def _signed(body: dict[str, Any], secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    return raw, {"X-Hub-Signature-256": hub_signature(secret, raw), "Content-Type": "application/json"}


def _messenger_text(psid: str, mid: str, text: str) -> dict[str, Any]:
    return {
        "object": "page",
        "entry": [
            {
                "id": "PAGE",
                "time": 1,
                "messaging": [
                    {
                        "sender": {"id": psid},
                        "recipient": {"id": "PAGE"},
                        "timestamp": 1,
                        "message": {"mid": mid, "text": text},
                    }
                ],
            }
        ],
    }


def _whatsapp_text(wa_id: str, mid: str, text: str) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "1555", "phone_number_id": WA_NUMBER},
                            "messages": [
                                {"from": wa_id, "id": mid, "timestamp": "1", "type": "text", "text": {"body": text}}
                            ],
                        },
                    }
                ],
            }
        ],
    }


def _telegram_text(update_id: int, chat: int, text: str, lang: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1,
            "text": text,
            "from": {"id": chat, "is_bot": False, "first_name": "T", "language_code": lang},
            "chat": {"id": chat, "type": "private"},
        },
    }


async def _link(http: httpx.AsyncClient, login_url: str, customer: str) -> None:
    redirect = await complete_sandbox_login(http, login_url, username=customer)
    assert (await http.get(redirect)).status_code == 200


async def _expected(http: httpx.AsyncClient, world: World, customer: str) -> list[Money]:
    balances = await bank_balances(http, f"{world.url}/bank", customer, f"{world.url}/link/callback")
    return [next(b for b in found if b.balance_type == "InterimAvailable").amount for found in balances.values()]


# ---- refusals ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/channels/messenger/webhook", "/channels/whatsapp/webhook"])
async def test_meta_webhooks_refuse_unsigned_forged_oversized_and_malformed(
    world: World, http: httpx.AsyncClient, path: str
) -> None:
    world.fake.calls.clear()
    body = (
        _messenger_text("9001", "m_refuse", "hi")
        if "messenger" in path
        else _whatsapp_text("9001", "wamid.refuse", "hi")
    )
    raw, _ = _signed(body)
    unsigned = await http.post(world.url + path, content=raw, headers={"Content-Type": "application/json"})
    forged = await http.post(world.url + path, content=raw, headers=_signed(body, "not-the-secret")[1])
    big = b'{"object": "page", "pad": "' + b"x" * (1024 * 1024) + b'"}'
    oversized = await http.post(world.url + path, content=big, headers=_signed({})[1])
    bad = b"{not json"
    malformed = await http.post(
        world.url + path, content=bad, headers={"X-Hub-Signature-256": hub_signature(SECRET, bad)}
    )
    assert [r.status_code for r in (unsigned, forged, oversized, malformed)] == [401, 403, 413, 400]
    assert "malformed JSON" in malformed.json()["error"]
    assert world.fake.calls == []
    handshake = await http.get(
        world.url + path,
        params={"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"},
    )
    wrong = await http.get(
        world.url + path, params={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"}
    )
    assert (handshake.status_code, handshake.text, wrong.status_code) == (200, "1158201444", 403)


async def test_telegram_refuses_missing_and_wrong_secret_tokens(world: World, http: httpx.AsyncClient) -> None:
    world.fake.calls.clear()
    path = world.url + "/channels/telegram/webhook"
    body = _telegram_text(500, 500, "hi", "en")
    missing = await http.post(path, json=body)
    wrong = await http.post(path, json=body, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"})
    malformed = await http.post(path, content=b"[1,", headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET})
    other_bank = await http.post(path + "/nobank", json=body, headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET})
    assert [r.status_code for r in (missing, wrong, malformed, other_bank)] == [401, 403, 400, 403]
    assert world.fake.calls == []


async def test_alexa_refuses_unsigned_forged_replayed_and_foreign_skill_requests(
    world: World, http: httpx.AsyncClient
) -> None:
    path = world.url + "/channels/alexa"
    template = fixture("alexa_requests.json")["launch"]
    body = envelope(template, skill=SKILL, user="amzn1.ask.account.R", request_id="r-refuse")
    raw = json.dumps(body).encode()
    unsigned = await http.post(path, content=raw)
    forged = await http.post(path, content=raw, headers=build_chain().headers(raw))  # a CA we do not trust
    tampered = await http.post(path, content=raw.replace(b"ar-SA", b"en-US"), headers=world.chain.headers(raw))
    foreign = envelope(template, skill="amzn1.ask.skill.other", user="amzn1.ask.account.R", request_id="r-f")
    foreign_raw = json.dumps(foreign).encode()
    other_skill = await http.post(path, content=foreign_raw, headers=world.chain.headers(foreign_raw))
    old = envelope(
        template,
        skill=SKILL,
        user="amzn1.ask.account.R",
        request_id="r-old",
        timestamp=datetime.now(UTC) - timedelta(minutes=5),
    )
    old_raw = json.dumps(old).encode()
    replayed = await http.post(path, content=old_raw, headers=world.chain.headers(old_raw))
    assert [r.status_code for r in (unsigned, forged, tampered, other_skill, replayed)] == [403, 403, 403, 403, 400]


async def test_alexa_account_linking_is_off_without_client_credentials(world: World, http: httpx.AsyncClient) -> None:
    # This gateway has a skill id but no SARRAF_ALEXA_CLIENT_ID/SECRET: our OAuth server refuses everything.
    authorize = await http.get(world.url + "/oauth/alexa/authorize", params={
        "client_id": "", "redirect_uri": "https://layla.amazon.com/api/skill/link/M2X", "state": "s",
        "response_type": "code"})
    token = await http.post(world.url + "/oauth/alexa/token", data={
        "grant_type": "authorization_code", "code": "c", "client_id": "", "client_secret": ""})
    assert (authorize.status_code, token.status_code) == (400, 401)
    status = (await http.get(world.url + "/healthz")).json()["channels"]
    assert status["alexa"] == "enabled"
    assert status["alexa account linking/sandbox"] == "disabled: missing client_id, client_secret"


# ---- one conversation per platform -----------------------------------------------------------------------


async def test_messenger_links_then_answers_link_only(world: World, http: httpx.AsyncClient) -> None:
    world.fake.calls.clear()
    raw, headers = _signed(_messenger_text("7001", "m_conv_1", "what's my balance?"))
    assert (await http.post(world.url + "/channels/messenger/webhook", content=raw, headers=headers)).status_code == 200
    # The platform retries: the same mid is absorbed, nothing is sent twice.
    assert (await http.post(world.url + "/channels/messenger/webhook", content=raw, headers=headers)).status_code == 200
    (invite,) = world.fake.calls
    assert invite.path == "/me/messages" and invite.body["messaging_type"] == "RESPONSE"
    (button,) = invite.body["message"]["attachment"]["payload"]["buttons"]
    # Messenger's Log In button: the platform opens our URL adding its redirect_uri and linking token.
    assert button["type"] == "account_link" and button["url"].startswith(f"{world.url}/link/start/")
    messenger_return = "https://www.facebook.com/messenger_platform/account_linking/?account_linking_token=T0K"
    opened = httpx.URL(button["url"], params={"redirect_uri": messenger_return, "account_linking_token": "T0K"})
    redirect = await complete_sandbox_login(http, str(opened), username="sandbox-en-1")
    back = await http.get(redirect)
    assert back.status_code == 303
    assert back.headers["location"].startswith(messenger_return + "&authorization_code=")
    linked, answer = world.fake.calls[1:]
    assert linked.body["messaging_type"] == "UPDATE" and "linked" in linked.body["message"]["text"]
    template = answer.body["message"]["attachment"]["payload"]
    assert template["buttons"][0]["url"].startswith(f"{world.url}/secure/")
    for amount in await _expected(http, world, "sandbox-en-1"):
        assert format_money(amount, "en") not in json.dumps(answer.body, ensure_ascii=False)


async def test_whatsapp_links_then_answers_link_only_in_arabic(world: World, http: httpx.AsyncClient) -> None:
    world.fake.calls.clear()
    raw, headers = _signed(_whatsapp_text("966500000001", "wamid.conv1", "كم رصيدي؟"))
    assert (await http.post(world.url + "/channels/whatsapp/webhook", content=raw, headers=headers)).status_code == 200
    (invite,) = world.fake.calls
    assert invite.path == f"/{WA_NUMBER}/messages" and invite.headers["authorization"] == "Bearer wa-token"
    assert invite.body["to"] == "966500000001" and invite.body["interactive"]["type"] == "cta_url"
    await _link(http, invite.body["interactive"]["action"]["parameters"]["url"], "sandbox-ar-1")
    answer = world.fake.calls[-1].body
    assert answer["interactive"]["type"] == "cta_url"
    assert answer["interactive"]["action"]["parameters"]["url"].startswith(f"{world.url}/secure/")
    for amount in await _expected(http, world, "sandbox-ar-1"):
        assert format_money(amount, "ar") not in json.dumps(answer, ensure_ascii=False)


async def test_telegram_links_then_answers_masked_in_polish(world: World, http: httpx.AsyncClient) -> None:
    world.fake.calls.clear()
    headers = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
    path = world.url + "/channels/telegram/webhook"
    assert (
        await http.post(path, json=_telegram_text(1, 8001, "ile mam na koncie?", "pl"), headers=headers)
    ).status_code == 200
    (invite,) = world.fake.calls
    assert invite.path == "/bot123:BOT/sendMessage"
    ((button,),) = invite.body["reply_markup"]["inline_keyboard"]
    await _link(http, button["url"], "sandbox-pl-1")
    answer = world.fake.calls[-1].body["text"]
    for amount in await _expected(http, world, "sandbox-pl-1"):
        assert format_money(Money(round_amount(amount.amount), amount.currency), "pl") in answer
    # A pressed inline button is acknowledged and answered.
    world.fake.calls.clear()
    query = fixture("telegram_updates.json")["callback_query"]
    query["update_id"] = 2
    query["callback_query"]["message"]["chat"]["id"] = 8001
    assert (await http.post(path, json=query, headers=headers)).status_code == 200
    assert world.fake.paths() == ["/bot123:BOT/answerCallbackQuery", "/bot123:BOT/sendMessage"]
    assert world.fake.calls[0].body == {"callback_query_id": "4382bfdwdsb323b2d9"}


async def test_alexa_links_then_speaks_masked_balance_in_arabic(world: World, http: httpx.AsyncClient) -> None:
    path = world.url + "/channels/alexa"
    template = fixture("alexa_requests.json")["intent"]
    user = "amzn1.ask.account.CONV"

    async def ask(request_id: str, **kw: Any) -> dict[str, Any]:
        body = envelope(template, skill=SKILL, user=user, request_id=request_id, locale="ar-SA", **kw)
        raw = json.dumps(body).encode()
        response = await http.post(path, content=raw, headers=world.chain.headers(raw))
        assert response.status_code == 200, response.text
        return response.json()["response"]  # type: ignore[no-any-return]

    invite = await ask("a1", intent="QueryIntent", slots={"query": {"name": "query", "value": "كم رصيدي؟"}})
    assert "http" not in invite["outputSpeech"]["text"]  # a link is never read aloud...
    login = next(word for word in invite["card"]["content"].split() if word.startswith("http"))  # ...it is on the card
    await _link(http, login, "sandbox-ar-1")
    spoken = (await ask("a2", intent="CheckBalanceIntent"))["outputSpeech"]["text"]
    for amount in await _expected(http, world, "sandbox-ar-1"):
        assert format_money(Money(round_amount(amount.amount), amount.currency), "ar") in spoken
