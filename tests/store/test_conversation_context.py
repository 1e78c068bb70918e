"""The conversation context store: shared through the database (two engines stand for two replicas), read
back only until it expires, replaced whole, and erased with the customer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.config import Settings
from sarraf.store.conversation_context import SqlConversationContext
from sarraf.store.customers import SqlCustomers
from sarraf.store.data_rights import SqlDataRights
from sarraf.store.database import make_engine, migrate
from sarraf.store.identity_sealing import IdentityCodec
from sarraf.store.key_store import open_envelope_cipher
from sarraf.store.sealing import JsonSealer

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
STATE = {"pending": "confirm_erase", "question": None}


@pytest.fixture
async def engines(tmp_path: Path) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine, str]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    await migrate(url)
    one, two = make_engine(url), make_engine(url)
    try:
        yield one, two, str(tmp_path)
    finally:
        await one.dispose()
        await two.dispose()


async def test_what_one_replica_remembers_another_recalls_until_it_expires(engines: Any) -> None:
    one, two, _ = engines
    await SqlConversationContext(one).remember("sandbox", "cust", "webchat", STATE, NOW + timedelta(minutes=15))
    other = SqlConversationContext(two)
    assert await other.recall("sandbox", "cust", "webchat", NOW + timedelta(minutes=14)) == STATE
    assert await other.recall("sandbox", "cust", "webchat", NOW + timedelta(minutes=15)) == {}
    assert await other.recall("sandbox", "cust", "telegram", NOW) == {}  # per conversation, not per customer


async def test_a_new_state_replaces_the_old_and_an_empty_one_forgets(engines: Any) -> None:
    one, _, _ = engines
    store = SqlConversationContext(one)
    await store.remember("sandbox", "cust", "webchat", STATE, NOW + timedelta(minutes=15))
    newer = {"pending": None, "question": {"intent": "spending_summary", "start": "2026-11-01",
                                           "end": "2026-11-30", "category": None, "merchant": "Tesco"}}
    await store.remember("sandbox", "cust", "webchat", newer, NOW + timedelta(minutes=15))
    assert await store.recall("sandbox", "cust", "webchat", NOW) == newer
    await store.remember("sandbox", "cust", "webchat", {}, NOW + timedelta(minutes=15))
    assert await store.recall("sandbox", "cust", "webchat", NOW) == {}
    await store.remember("sandbox", "old", "webchat", STATE, NOW - timedelta(minutes=1))
    assert await store.prune(NOW) == 1


async def test_erasure_forgets_the_conversation(engines: Any) -> None:
    one, _, home = engines
    settings = Settings(data_dir=Path(home), database_url="sqlite://", banks_file=Path(home) / "banks.yaml",
                        public_url="http://x")
    cipher = open_envelope_cipher(settings, one)
    customer = await SqlCustomers(one, IdentityCodec(cipher.keys)).identify("sandbox", "webchat", "session-1")
    store = SqlConversationContext(one)
    await store.remember("sandbox", customer.id, "webchat", STATE, NOW + timedelta(minutes=15))
    await SqlDataRights(one, cipher, JsonSealer(cipher.keys)).erase(customer.id)
    assert await store.recall("sandbox", customer.id, "webchat", NOW) == {}
