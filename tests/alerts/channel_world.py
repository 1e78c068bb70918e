"""A gateway with every chat platform configured against one fake platform on 127.0.0.1 (the set-up of
tests/channels/test_gateway_channels.py), and a customer per platform linked and opted in by chatting there."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from sarraf.banks.sandbox_login import complete_sandbox_login
from sarraf.channels.alexa.verify import AlexaRequestVerifier
from sarraf.channels.signatures import hub_signature
from sarraf.config import load_settings
from sarraf.store.tables.channels import service_windows
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread
from tests.alerts.conftest import ADMIN, ADMIN_SECRET, AlertGateway
from tests.channels.alexa_ca import AlexaChain, build_chain, envelope
from tests.channels.fake_platform import Call, FakePlatform, fixture
from tests.support.environment import environment

SECRET = "meta-app-secret"
TG_SECRET = "telegram-secret_token-1"
SKILL = "amzn1.ask.skill.sarraf-alerts"
WA_NUMBER = "106540352242922"
BOT = "/bot123:BOT"


@dataclass
class ChannelWorld:
    url: str
    fake: FakePlatform
    chain: AlexaChain
    app: FastAPI
    http: httpx.AsyncClient | None = None
    _update_id: int = 1000

    @property
    def bank(self) -> str:
        return f"{self.url}/bank"

    def gateway(self) -> AlertGateway:
        return AlertGateway(self.url, self.app.state.container.settings, self.app)

    async def card_status(self, card: str) -> str:
        """The sandbox bank's status of `card` (e.g. "frozen")."""
        response = await self._http.get(f"{self.bank}/sarraf/v1/admin/cases", headers=ADMIN)
        return str(response.json()["cards"][card])

    # ---- talking on each platform, as the platform would call our webhooks ----

    async def messenger(self, psid: str, text: str) -> None:
        body = {"object": "page", "entry": [{"id": "PAGE", "time": 1, "messaging": [{
            "sender": {"id": psid}, "recipient": {"id": "PAGE"}, "timestamp": int(time.time() * 1000),
            "message": {"mid": f"m_{self.next_id()}", "text": text}}]}]}
        await self.meta("/channels/messenger/webhook", body)

    async def whatsapp(self, wa_id: str, text: str) -> None:
        body = {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{
            "field": "messages", "value": {
                "messaging_product": "whatsapp", "metadata": {"display_phone_number": "1555",
                                                              "phone_number_id": WA_NUMBER},
                "messages": [{"from": wa_id, "id": f"wamid.{self.next_id()}", "timestamp": "1", "type": "text",
                              "text": {"body": text}}]}}]}]}
        await self.meta("/channels/whatsapp/webhook", body)

    async def telegram(self, chat: int, text: str, lang: str) -> None:
        n = self.next_id()
        await self._telegram({"update_id": n, "message": {
            "message_id": n, "date": 1, "text": text, "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": "T", "language_code": lang}}})

    async def telegram_button(self, chat: int, data: str, lang: str) -> str:
        """Press an inline button; returns the callback query id Telegram would expect answered."""
        update = fixture("telegram_updates.json")["callback_query"]
        update["update_id"] = self.next_id()
        query = update["callback_query"]
        query["id"] = f"cq-{update['update_id']}"
        query["data"] = data
        query["message"]["chat"]["id"] = query["from"]["id"] = chat
        query["from"]["language_code"] = lang
        await self._telegram(update)
        return str(query["id"])

    async def alexa(self, user: str, locale: str, **kw: Any) -> dict[str, Any]:
        template = fixture("alexa_requests.json")["intent" if "intent" in kw else "launch"]
        body = envelope(template, skill=SKILL, user=user, request_id=f"req-{self.next_id()}", locale=locale, **kw)
        raw = json.dumps(body).encode()
        response = await self._http.post(self.url + "/channels/alexa", content=raw, headers=self.chain.headers(raw))
        assert response.status_code == 200, response.text
        return dict(response.json()["response"])

    async def meta(self, path: str, body: dict[str, Any]) -> None:
        """POST a signed Meta webhook (Messenger or WhatsApp), as the platform would."""
        raw = json.dumps(body).encode()
        headers = {"X-Hub-Signature-256": hub_signature(SECRET, raw), "Content-Type": "application/json"}
        assert (await self._http.post(self.url + path, content=raw, headers=headers)).status_code == 200

    async def _telegram(self, body: dict[str, Any]) -> None:
        response = await self._http.post(self.url + "/channels/telegram/webhook", json=body,
                                         headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET})
        assert response.status_code == 200, response.text

    @property
    def _http(self) -> httpx.AsyncClient:
        assert self.http is not None
        return self.http

    def next_id(self) -> int:
        self._update_id += 1
        return self._update_id

    # ---- what the platform received ----

    def sent_to(self, recipient: str) -> list[Call]:
        return [c for c in self.fake.calls if _recipient(c) == recipient]

    async def wait_for(self, recipient: str, start: int, want: int, timeout: float = 30.0,
                       settle: float = 0.4) -> list[Call]:
        """Calls to `recipient` after the first `start` of them, once `want` arrived (then a wait for extras)."""
        deadline = time.monotonic() + timeout
        while len(self.sent_to(recipient)) - start < want and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(settle)
        return self.sent_to(recipient)[start:]

    async def link(self, login_url: str, customer: str) -> None:
        redirect = await complete_sandbox_login(self._http, login_url, username=customer)
        assert (await self._http.get(redirect)).status_code in (200, 303)

    async def close_window(self, channel: str, sender: str) -> None:
        """Move the customer's last message 25 hours back: the 24-hour window is closed."""
        container = self.app.state.container
        customer = await container.customers.lookup_of(channel, sender)  # windows are keyed by the hash
        async with container.engine.begin() as conn:
            await conn.execute(update(service_windows).where(
                service_windows.c.channel == channel, service_windows.c.customer == customer)
                .values(last_inbound_at=datetime.now(UTC) - timedelta(hours=25)))


def _recipient(call: Call) -> str:
    body = call.body
    if "recipient" in body:
        return str(body["recipient"]["id"])
    if "to" in body:
        return str(body["to"])
    return str(body.get("chat_id", ""))


def login_url(call: Call) -> str:
    """The bank-login URL of an invite, whatever the platform's shape for a URL button."""
    text = json.dumps(call.body)
    start = text.index("http://127.0.0.1")
    return text[start:text.index('"', start)]


@contextmanager
def channel_gateway(home: Any, extra_env: dict[str, str] | None = None) -> Iterator[ChannelWorld]:
    fake = FakePlatform()
    chain = build_chain()
    with serve_in_thread(fake.app()) as platform_url:
        port = free_port()
        env = {
            "SARRAF_HOME": str(home), "SARRAF_PORT": str(port), "SARRAF_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "SARRAF_DATABASE_URL": f"sqlite+aiosqlite:///{home / 'sarraf.db'}",
            "SARRAF_MESSENGER_APP_SECRET": SECRET, "SARRAF_MESSENGER_VERIFY_TOKEN": "verify-me",
            "SARRAF_MESSENGER_PAGE_TOKEN": "page-token", "SARRAF_MESSENGER_API_URL": platform_url,
            "SARRAF_WHATSAPP_APP_SECRET": SECRET, "SARRAF_WHATSAPP_VERIFY_TOKEN": "verify-me",
            "SARRAF_WHATSAPP_ACCESS_TOKEN": "wa-token", "SARRAF_WHATSAPP_PHONE_NUMBER_ID": WA_NUMBER,
            "SARRAF_WHATSAPP_API_URL": platform_url,
            "SARRAF_TELEGRAM_BOT_TOKEN": "123:BOT", "SARRAF_TELEGRAM_SECRET_TOKEN": TG_SECRET,
            "SARRAF_TELEGRAM_API_URL": platform_url, "SARRAF_ALEXA_SKILL_ID": SKILL,
            "SARRAF_SANDBOX_ADMIN_SECRET": ADMIN_SECRET, **(extra_env or {}),
        }
        with environment(env):
            app = create_app(load_settings())
            with serve_in_thread(app, port=port) as url:
                # Amazon's certificate URL cannot be served here: the verifier fetches from our own CA instead.
                app.state.container.channels.channels["alexa"].verifier = AlexaRequestVerifier(
                    chain.fetch, roots=[chain.root])
                yield ChannelWorld(url, fake, chain, app)


def world_fixtures(name: str) -> tuple[Callable[..., Iterator[ChannelWorld]],
                                       Callable[..., AsyncIterator[httpx.AsyncClient]]]:
    """A test module's `world` (one gateway for the module, in a temporary folder called `name`) and `http`
    (a client per test, also used by the world): `world, http = world_fixtures("...")`."""

    @pytest.fixture(scope="module")
    def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChannelWorld]:
        with channel_gateway(tmp_path_factory.mktemp(name)) as found:
            yield found

    @pytest.fixture
    async def http(world: ChannelWorld) -> AsyncIterator[httpx.AsyncClient]:
        async with httpx.AsyncClient(timeout=20) as client:
            world.http = client
            yield client

    return world, http
