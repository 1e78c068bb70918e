"""Migration ee92179c6b6f (#17 item 5) converts the rows already there, on SQLite and on PostgreSQL: every table
that named a conversation by the platform address in clear holds the identity's keyed hash instead, a fraud
case's data is sealed, and the stores still find the rows by the incoming address and hand back the real one to
deliver to; without the gateway's keys it refuses with the reason; the downgrade gives the addresses back."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import insert, text

from sarraf.policy.crypto import LocalFileKeyProvider
from sarraf.store.address_migration import ADDRESSES
from sarraf.store.address_sealing import Addresses
from sarraf.store.alerts_prefs import SqlAlertPreferences, SqlFraudCases
from sarraf.store.channel_state import SqlThreadOwners
from sarraf.store.console_desk import SqlDesk
from sarraf.store.customers import SqlCustomers
from sarraf.store.database import alembic_config, make_engine, migrate
from sarraf.store.identity_sealing import IdentityCodec
from sarraf.store.key_store import KeysDoNotMatchDatabase
from sarraf.store.metadata import metadata
from sarraf.store.sealing import JsonSealer
from tests.support.postgres import empty_database

BEFORE = "5c1d2e8f7a90"  # identities hashed and sealed; every other table still holds the address in clear
PSID, CHAT = "7712345678901234", "981234567"
NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)


def _rows() -> dict[str, dict[str, Any]]:
    """One row per table that names a conversation, as the revision before wrote them."""
    who = {"tenant": "sandbox", "customer_id": "alice"}
    on_messenger = {**who, "channel": "messenger", "sender": PSID}
    return {
        "alert_outbox": {
            "tenant": "sandbox",
            "event_id": "e1",
            "kind": "card_payment",
            "consent_id": "c1",
            "occurred_at": NOW,
            "received_at": NOW,
            "data": {},
            "status": "sent",
            "available_at": NOW,
            "customer_id": "alice",
            "channel": "telegram",
            "sender": CHAT,
        },
        "alert_preferences": {
            **who,
            "opted_in": True,
            "disabled": [],
            "timezone": "UTC",
            "updated_at": NOW,
            "channel": "telegram",
            "sender": CHAT,
        },
        "alert_fraud_cases": {
            **on_messenger,
            "event_id": "e2",
            "card_id": "card-1",
            "status": "asked",
            "lang": "en",
            "data": {"merchant": "ELECTRO SAO PAULO", "amount": "749.99"},
            "deadline_at": NOW,
            "created_at": NOW,
        },
        "alexa_pending_messages": {
            "sender": "amzn1.ask.account.AEXAMPLE",
            "payload": {"text": "hi"},
            "created_at": NOW,
        },
        "console_claims": {**on_messenger, "staff_id": "staff-1", "claimed_at": NOW},
        "console_transcript": {**on_messenger, "author": "customer", "message": {}, "created_at": NOW},
        "console_satisfaction": {
            "tenant": "sandbox",
            "channel": "messenger",
            "sender": PSID,
            "staff_id": "staff-1",
            "asked_at": NOW,
        },
        "handoff_requests": {**on_messenger, "reason": "human", "created_at": NOW},
        "payments": {
            **on_messenger,
            "payment_id": "pay-1",
            "lang": "en",
            "state": "draft",
            "version": 1,
            "sealed": b"sealed elsewhere",
            "consent_key": "k" * 32,
            "payment_key": "p" * 32,
            "created_at": NOW,
            "updated_at": NOW,
            "expires_at": NOW + timedelta(minutes=15),
        },
        "held_actions": {
            **on_messenger,
            "id": "held-1",
            "lang": "en",
            "action": "card_unfreeze",
            "login_state": "state-1",
            "status": "waiting",
            "created_at": NOW,
            "expires_at": NOW,
        },
        "messenger_thread_owners": {
            "tenant": "sandbox",
            "customer": PSID,
            "owner_app_id": "263902037430900",
            "since": NOW,
        },
    }


CLEAR = (PSID, CHAT, "amzn1.ask.account.AEXAMPLE", "749.99")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def old_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, LocalFileKeyProvider]]:
    keys = LocalFileKeyProvider(tmp_path / "keys")
    with empty_database(request.param, tmp_path / "old.db", prefix="sarraf_addresses") as url:
        command.upgrade(alembic_config(url, keys), BEFORE)
        asyncio.run(_fill(url, keys))
        yield url, keys


async def _fill(url: str, keys: LocalFileKeyProvider) -> None:
    engine = make_engine(url)
    customers = SqlCustomers(engine, IdentityCodec(keys))
    for channel, sender in (("messenger", PSID), ("telegram", CHAT), ("alexa", "amzn1.ask.account.AEXAMPLE")):
        await customers.bind("sandbox", channel, sender, "alice")  # alice wrote from each (identities: hashed)
    async with engine.begin() as conn:
        for table, row in _rows().items():
            await conn.execute(insert(metadata.tables[table]).values(**row))
    await engine.dispose()


async def _stored(url: str) -> list[str]:
    """Every row of the converted tables, as text."""
    engine = make_engine(url)
    async with engine.connect() as conn:
        rows = [
            f"{spec.table}: {' | '.join(str(v) for v in row)}"
            for spec in ADDRESSES
            # SELECT *: the columns of the revision the database is at, not of the newest metadata
            for row in (await conn.execute(text(f"SELECT * FROM {spec.table}"))).all()
        ]
    await engine.dispose()
    return rows


async def _as_the_gateway_sees_them(url: str, keys: LocalFileKeyProvider) -> dict[str, Any]:
    engine = make_engine(url)
    sealer = JsonSealer(keys)
    addresses = Addresses(IdentityCodec(keys))
    try:
        handoff = await SqlDesk(engine, sealer, addresses).conversation("sandbox", 1)
        case = await SqlFraudCases(engine, sealer, addresses).get("sandbox", "e2")
        return {
            "handoff": handoff.sender if handoff else None,
            "claimed": await SqlDesk(engine, sealer, addresses).is_open("sandbox", "messenger", PSID),
            "thread": await SqlThreadOwners(engine, addresses).owner("sandbox", PSID),
            "alerts_to": (await SqlAlertPreferences(engine, addresses).get("sandbox", "alice")).sender,
            "case": (case.sender, case.data["amount"]) if case else None,
        }
    finally:
        await engine.dispose()


def test_existing_addresses_are_hashed_and_the_stores_still_work(
    old_database: tuple[str, LocalFileKeyProvider],
) -> None:
    url, keys = old_database
    assert [row for row in asyncio.run(_stored(url)) if any(value in row for value in CLEAR)]  # in clear before
    asyncio.run(migrate(url, keys))
    stored = asyncio.run(_stored(url))
    assert [row for row in stored if any(value in row for value in CLEAR)] == [], stored
    assert asyncio.run(_as_the_gateway_sees_them(url, keys)) == {
        "handoff": PSID,
        "claimed": True,
        "thread": "263902037430900",
        "alerts_to": CHAT,
        "case": (PSID, "749.99"),
    }


def test_without_the_keys_the_migration_refuses_with_the_reason(old_database: tuple[str, LocalFileKeyProvider]) -> None:
    url, keys = old_database
    with pytest.raises(RuntimeError, match="must be converted with the gateway's keys"):
        asyncio.run(migrate(url))
    assert any(PSID in row for row in asyncio.run(_stored(url)))  # nothing half-done
    asyncio.run(migrate(url, keys))
    assert not any(PSID in row for row in asyncio.run(_stored(url)))


def test_another_folders_keys_are_refused_naming_the_master_key_needed(
    old_database: tuple[str, LocalFileKeyProvider], tmp_path: Path
) -> None:
    url, keys = old_database
    needed = asyncio.run(keys.wrap(b"\0" * 32, b"probe")).key_id
    with pytest.raises(KeysDoNotMatchDatabase, match=f"wrapped under master key {needed} .*point SARRAF_HOME"):
        asyncio.run(migrate(url, LocalFileKeyProvider(tmp_path / "another-home" / "keys")))
    assert any(PSID in row for row in asyncio.run(_stored(url)))  # nothing converted with the wrong keys


def test_the_downgrade_gives_the_addresses_back(old_database: tuple[str, LocalFileKeyProvider]) -> None:
    url, keys = old_database
    before = sorted(asyncio.run(_stored(url)))
    asyncio.run(migrate(url, keys))
    command.downgrade(alembic_config(url, keys), BEFORE)
    assert sorted(asyncio.run(_stored(url))) == before
