"""Messenger's Handover Protocol against a real gateway on 127.0.0.1 (SQLite), Meta's Graph API played by a fake
that records every call, every webhook signed as Meta signs it.

The bank answers in Meta's Page Inbox too (`handover: page_inbox`): while the Page Inbox holds a conversation
(take_thread_control) the bot says nothing in it; passed back (pass_thread_control) it answers again; a customer
who asks for a person is told so and then passed to the Page Inbox (pass_thread_control with its app id). An
unsigned handover event changes nothing. The console's claim takes the thread back (take_thread_control)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest

from sarraf.channels.messenger import MessengerAccount, MessengerChannel
from sarraf.channels.messenger_handover import PAGE_INBOX_APP_ID, ThreadOwners
from sarraf.channels.signatures import hub_signature
from sarraf.channels.window import ServiceWindows
from sarraf.config import load_settings
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread
from tests.channels.fake_platform import FakePlatform

SECRET = "meta-app-secret"
OUR_APP = "1122334455"
MESSAGES, PASS, TAKE = "/page-1/messages", "/page-1/pass_thread_control", "/page-1/take_thread_control"


@dataclass
class World:
    url: str
    fake: FakePlatform


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    fake = FakePlatform()
    with serve_in_thread(fake.app()) as platform_url:
        home = tmp_path_factory.mktemp("handover-home")
        port = free_port()
        env = {
            "SARRAF_HOME": str(home), "SARRAF_PORT": str(port), "SARRAF_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "SARRAF_DATABASE_URL": f"sqlite+aiosqlite:///{home / 'sarraf.db'}",
            "SARRAF_MESSENGER_APP_SECRET": SECRET, "SARRAF_MESSENGER_VERIFY_TOKEN": "verify-me",
            "SARRAF_MESSENGER_PAGE_TOKEN": "page-token", "SARRAF_MESSENGER_API_URL": platform_url,
            "SARRAF_MESSENGER_PAGE_ID": "page-1", "SARRAF_MESSENGER_APP_ID": OUR_APP,
            "SARRAF_MESSENGER_HANDOVER": "page_inbox",
        }
        with pytest.MonkeyPatch.context() as patch:
            for key, value in env.items():
                patch.setenv(key, value)
            for other in ("WHATSAPP", "TELEGRAM", "ALEXA"):
                for key in [k for k in os.environ if k.startswith(f"SARRAF_{other}_")]:
                    patch.delenv(key)
            with serve_in_thread(create_app(load_settings()), port=port) as url:
                yield World(url, fake)


@pytest.fixture
async def http() -> httpx.AsyncClient:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def _page(*events: dict[str, Any]) -> dict[str, Any]:
    return {"object": "page", "entry": [{"id": "page-1", "time": 1, "messaging": list(events)}]}


def _text(psid: str, mid: str, text: str, payload: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"mid": mid, "text": text}
    if payload:
        message["quick_reply"] = {"payload": payload}
    return {"sender": {"id": psid}, "recipient": {"id": "page-1"}, "timestamp": 1, "message": message}


def _handover(psid: str, kind: str, new_owner: str, previous_owner: str) -> dict[str, Any]:
    return {"sender": {"id": psid}, "recipient": {"id": "page-1"}, "timestamp": 2,
            kind: {"new_owner_app_id": new_owner, "previous_owner_app_id": previous_owner, "metadata": "from test"}}


async def _post(http: httpx.AsyncClient, world: World, body: dict[str, Any], signed: bool = True) -> int:
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if signed:
        headers["X-Hub-Signature-256"] = hub_signature(SECRET, raw)
    answer = await http.post(world.url + "/channels/messenger/webhook", content=raw, headers=headers)
    return answer.status_code


def _sent(world: World, path: str, psid: str) -> list[dict[str, Any]]:
    return [c.body for c in world.fake.calls if c.path == path and c.body["recipient"]["id"] == psid]


async def test_the_bot_is_silent_while_the_page_inbox_holds_the_thread(world: World, http: httpx.AsyncClient) -> None:
    assert await _post(http, world, _page(_text("P1", "m1", "hello"))) == 200
    answered = len(_sent(world, MESSAGES, "P1"))
    assert answered > 0

    # An unsigned take changes nothing: refused before it is read.
    assert await _post(http, world, _page(_handover("P1", "take_thread_control", PAGE_INBOX_APP_ID, OUR_APP)),
                       signed=False) == 401
    assert await _post(http, world, _page(_text("P1", "m2", "hello again"))) == 200
    answered_again = len(_sent(world, MESSAGES, "P1"))
    assert answered_again > answered

    # The Page Inbox takes the thread: the customer's messages go unanswered by the bot.
    assert await _post(http, world, _page(_handover("P1", "take_thread_control", PAGE_INBOX_APP_ID, OUR_APP))) == 200
    assert await _post(http, world, _page(_text("P1", "m3", "is anyone there?"))) == 200
    assert len(_sent(world, MESSAGES, "P1")) == answered_again

    # Passed back to us: the bot answers again.
    assert await _post(http, world, _page(_handover("P1", "pass_thread_control", OUR_APP, PAGE_INBOX_APP_ID))) == 200
    assert await _post(http, world, _page(_text("P1", "m4", "hello"))) == 200
    assert len(_sent(world, MESSAGES, "P1")) > answered_again


async def test_a_customer_asking_for_a_person_is_passed_to_the_page_inbox(world: World,
                                                                          http: httpx.AsyncClient) -> None:
    assert await _post(http, world, _page(_text("P2", "h1", "Talk to a person", "intent:human_agent"))) == 200
    told = _sent(world, MESSAGES, "P2")
    assert told, "the bot says a person will answer before it lets go of the thread"
    passes = _sent(world, PASS, "P2")
    assert passes == [{"recipient": {"id": "P2"}, "target_app_id": PAGE_INBOX_APP_ID, "metadata": "asked"}]
    order = [c.path for c in world.fake.calls if c.body["recipient"]["id"] == "P2"]
    assert order.index(PASS) > order.index(MESSAGES)

    assert await _post(http, world, _page(_text("P2", "h2", "hello?"))) == 200
    assert len(_sent(world, MESSAGES, "P2")) == len(told)  # the Page Inbox has it: the bot stays silent


class _Owners:
    """ThreadOwnerStore in memory (the gateway's is store/channel_state.py's SqlThreadOwners, used above)."""

    def __init__(self) -> None:
        self.owners: dict[tuple[str, str], str] = {}

    async def hand_to(self, tenant: str, customer: str, app_id: str, at: datetime) -> None:
        self.owners[tenant, customer] = app_id

    async def take_back(self, tenant: str, customer: str) -> None:
        self.owners.pop((tenant, customer), None)

    async def owner(self, tenant: str, customer: str) -> str | None:
        return self.owners.get((tenant, customer))


class _Windows:
    async def touch(self, channel: str, account: str, customer: str, at: datetime) -> None: ...

    async def last_inbound(self, channel: str, account: str, customer: str) -> datetime | None:
        return None


async def test_an_agent_claim_takes_the_thread_back_through_the_graph_api() -> None:
    fake = FakePlatform()
    owners = _Owners()
    with serve_in_thread(fake.app()) as url:
        async with httpx.AsyncClient(timeout=10) as client:
            channel = MessengerChannel(
                {"bank": MessengerAccount("bank", SECRET, "v", "page-token", api_url=url, page_id="page-1")},
                "bank", client, ServiceWindows(_Windows(), "messenger"), threads=ThreadOwners(owners))
            await owners.hand_to("bank", "P3", PAGE_INBOX_APP_ID, datetime.now())
            assert await channel.held_elsewhere("bank", "P3")
            await channel.take_thread("P3", metadata="claimed in the agents' console")
    assert [(c.path, c.body) for c in fake.calls] == [
        (TAKE, {"recipient": {"id": "P3"}, "metadata": "claimed in the agents' console"})]
    assert fake.calls[0].headers["authorization"] == "Bearer page-token"
    assert not await channel.held_elsewhere("bank", "P3")
