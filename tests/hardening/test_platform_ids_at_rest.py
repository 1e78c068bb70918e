"""Finding 5 of #17, platform user ids: after a customer of each platform (Messenger, WhatsApp, Telegram,
Alexa) has written to the gateway and linked their bank, every table of its database and every file of its
data folder (raw bytes, WAL included) is searched for their platform ids: none is stored in clear. They are
held as a keyed hash plus the id sealed with the customer's key (store/identity_sealing.py); the gateway
still answers each of them on their platform (delivery opens the sealed id).

Uses the channels' gateway (tests/channels/test_gateway_channels.py `world`), whose SARRAF_HOME is set for
the module's duration."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import httpx

from sarraf.banks.sandbox_login import complete_sandbox_login
from tests.channels.alexa_ca import envelope
from tests.channels.fake_platform import fixture
from tests.channels.test_gateway_channels import (
    SKILL,
    TG_SECRET,
    World,
    _messenger_text,
    _signed,
    _telegram_text,
    _whatsapp_text,
)

PSID, WA_ID, TG_CHAT, ALEXA_USER = "7719283746501", "48601234987", 5550123987, "amzn1.ask.account.ATREST0042"
PLATFORM_IDS = {"messenger": PSID, "whatsapp": WA_ID, "telegram": str(TG_CHAT), "alexa": ALEXA_USER}


async def _everyone_writes_and_one_links(world: World, http: httpx.AsyncClient) -> None:
    world.fake.calls.clear()
    raw, headers = _signed(_messenger_text(PSID, "m_atrest_1", "what's my balance?"))
    assert (await http.post(world.url + "/channels/messenger/webhook", content=raw, headers=headers)).status_code == 200
    raw, headers = _signed(_whatsapp_text(WA_ID, "wamid.atrest1", "what's my balance?"))
    assert (await http.post(world.url + "/channels/whatsapp/webhook", content=raw, headers=headers)).status_code == 200
    telegram = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
    assert (await http.post(world.url + "/channels/telegram/webhook", headers=telegram,
                            json=_telegram_text(9101, TG_CHAT, "what's my balance?", "en"))).status_code == 200
    body = envelope(fixture("alexa_requests.json")["intent"], skill=SKILL, user=ALEXA_USER, request_id="atrest-1",
                    locale="en-GB", intent="CheckBalanceIntent")
    raw = json.dumps(body).encode()
    assert (await http.post(world.url + "/channels/alexa", content=raw,
                            headers=world.chain.headers(raw))).status_code == 200
    # Telegram's customer links their bank: the gateway must still reach the chat id it no longer stores.
    invite = next(call for call in world.fake.calls if call.path.endswith("/sendMessage")
                  and call.body["chat_id"] == str(TG_CHAT))
    ((button,),) = invite.body["reply_markup"]["inline_keyboard"]
    world.fake.calls.clear()
    redirect = await complete_sandbox_login(http, button["url"], username="sandbox-en-1")
    assert (await http.get(redirect)).status_code == 200
    sent: list[Any] = [call.body.get("chat_id") for call in world.fake.calls]
    assert str(TG_CHAT) in sent, sent  # the linked message and the answer went to the real chat id


def _rows(database: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return [(table, " | ".join(str(v) for v in row))
                for table in tables for row in conn.execute(f'SELECT * FROM "{table}"')]


async def test_no_platform_user_id_in_clear_in_any_table_or_file(world: World, http: httpx.AsyncClient) -> None:
    await _everyone_writes_and_one_links(world, http)
    home = Path(os.environ["SARRAF_HOME"])
    found = sorted({(channel, table) for table, row in _rows(home / "sarraf.db")
                    for channel, platform_id in PLATFORM_IDS.items() if platform_id in row})
    assert found == [], found
    in_files = sorted({(channel, path.name) for path in home.rglob("*") if path.is_file()
                       and not path.name.startswith("sandbox-bank")
                       for channel, platform_id in PLATFORM_IDS.items() if platform_id.encode() in path.read_bytes()})
    assert in_files == [], in_files
