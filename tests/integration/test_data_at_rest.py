"""Finding 8 of issue #22: after a scripted session, no table of the gateway's SQLite database holds the
customer's words, a merchant, an amount, a card's last 4 or a transaction id in clear; after "delete my data"
nothing sealed for the customer can be opened any more, not even from a copy taken before (a backup).

The session: a question waiting for the bank login (its words held while the login is pending), the login,
alerts switched on, a card payment alerted and delivered to the web chat, more messages, then erasure.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.policy.crypto import CryptoError, EnvelopeCipher, LocalFileKeyProvider
from sarraf.store.database import make_engine
from sarraf.store.key_store import SqlDataKeyStore
from sarraf.store.sealing import JsonSealer, is_sealed
from tests.alerts.conftest import AlertGateway
from tests.alerts.conftest import gateway as alert_gateway  # noqa: F401  (module-scoped gateway on SQLite)
from tests.alerts.helpers import collect, simulate
from tests.integration.helpers import ChatClient

QUESTION = "what is my balance in the Zanzibar savings pot?"
MERCHANT = "Zeta Kiosk Lodz"
AMOUNT = "47.85"
SEALED_JSON = {"alert_outbox": ("data", "messages"), "channel_outbox": ("payload",)}
SEALED_BLOBS = {"link_sessions": ("resume_sealed", "resume-text"), "bank_links": ("tokens_sealed", "bank-tokens")}


@pytest.fixture(scope="module")
def gateway(alert_gateway: AlertGateway) -> Iterator[AlertGateway]:  # noqa: F811
    yield alert_gateway


def _database(gw: AlertGateway) -> Path:
    return Path(gw.settings.database_url.split("///", 1)[1])


def _rows(path: Path) -> Iterator[tuple[str, str, Any]]:
    """(table, column, value) for every value of every row of every table."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            cursor = db.execute(f'SELECT * FROM "{table}"')
            columns = [d[0] for d in cursor.description]
            for row in cursor:
                yield from ((table, column, value) for column, value in zip(columns, row, strict=True))


def _in_clear(path: Path, needles: list[str], last4: str | None = None) -> list[str]:
    """Where any needle (or the card's last 4 digits, standing on their own) is readable in the database."""
    bounded = re.compile(rf"(?<![A-Za-z0-9+/=]){re.escape(last4)}(?![A-Za-z0-9+/=])") if last4 else None
    found = []
    for table, column, value in _rows(path):
        if value is None:
            continue
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        found += [f"{table}.{column}: {n!r}" for n in needles if n in text]
        if bounded is not None and bounded.search(text):
            found.append(f"{table}.{column}: last 4 {last4!r}")
    return found


async def _waiting_in_channel_outbox(path: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            if db.execute("SELECT count(*) FROM channel_outbox").fetchone()[0]:
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the alert never reached the channel outbox")


async def _open_everything(engine: AsyncEngine, keys: LocalFileKeyProvider, backup: Path) -> tuple[int, set[str]]:
    """Try to open every sealed value of `backup` with the live database's data keys: how many opened, and
    the columns where sealed values were refused."""
    import json

    sealer, cipher = JsonSealer(keys), EnvelopeCipher(keys, SqlDataKeyStore(engine))
    opened, refused = 0, set()
    for table, column, value in _rows(backup):
        if column in SEALED_JSON.get(table, ()) and value is not None:
            stored = json.loads(value)
            if not is_sealed(stored):
                continue
            async with engine.connect() as conn:
                data_keys = await sealer.keys(conn, [stored["owner"]])
            try:
                data_keys.open("x", stored)
                opened += 1
            except CryptoError:
                refused.add(f"{table}.{column}")
    with sqlite3.connect(f"file:{backup}?mode=ro", uri=True) as db:
        for table, (column, field) in SEALED_BLOBS.items():
            for owner, blob in db.execute(f'SELECT customer_id, "{column}" FROM "{table}"'):
                if blob is None:
                    continue
                try:
                    await cipher.decrypt(owner, field, blob)
                    opened += 1
                except CryptoError:
                    refused.add(f"{table}.{column}")
    return opened, refused


async def test_a_whole_session_leaves_nothing_in_clear_and_erasure_shreds_it(gateway: AlertGateway) -> None:
    path = _database(gateway)
    async with httpx.AsyncClient(timeout=30) as http:
        chat = ChatClient(http, gateway.url)
        (invite,) = await chat.say(QUESTION)
        # While the login is pending, the customer's own words wait in link_sessions: sealed.
        assert _in_clear(path, ["Zanzibar"]) == []
        pushed = await chat.link([invite], "sandbox-en-1")
        assert "Zanzibar" not in pushed[0]["text"] and len(pushed) == 2  # linked, then the answer
        await chat.say("turn on alerts")
        issued = await simulate(http, gateway, "card-payment", "sandbox-en-1", merchant=MERCHANT, amount=AMOUNT)
        data = issued[0]["data"]
        alert = await collect(chat, 1)
        assert any(MERCHANT in a["text"] for a in alert)  # delivered to the chat...
        await chat.say("show my recent transactions")
        # A second alert handed over to the chat and not fetched yet: it waits in the channel outbox.
        await simulate(http, gateway, "card-payment", "sandbox-en-1", merchant=MERCHANT, amount=AMOUNT)
        await _waiting_in_channel_outbox(path)
        needles = ["Zanzibar", MERCHANT, AMOUNT, data["transaction_id"]]
        # ...yet no table holds any of it in clear.
        assert _in_clear(path, needles, data["card_last4"]) == []

        backup = path.with_name("backup-before-erasure.db")
        with sqlite3.connect(path) as live, sqlite3.connect(backup) as copy:
            live.backup(copy)  # a consistent copy, with what is still in the write-ahead log
        (confirm,) = await chat.say("delete my data")
        erase = next(q["payload"] for q in confirm["quick_replies"] if q["payload"].endswith("confirm_erase"))
        await chat.say(payload=erase)

    keys = LocalFileKeyProvider(gateway.settings.data_dir / "keys")
    engine = make_engine(gateway.settings.database_url)
    try:
        opened, refused = await _open_everything(engine, keys, backup)
    finally:
        await engine.dispose()
    assert opened == 0, f"{opened} sealed values of the erased customer could still be opened"
    assert refused >= {"alert_outbox.data", "alert_outbox.messages", "channel_outbox.payload",
                       "bank_links.tokens_sealed"}
