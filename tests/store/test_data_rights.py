"""Erasure removes every row keyed by the customer — channel state and Alexa grants included — and shreds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.alerts.ports import Routed
from sarraf.channels.alexa.linking import TokenOwner
from sarraf.config import Settings
from sarraf.domain.events import AlertKind, BankEvent
from sarraf.policy.crypto import KeyUnavailable
from sarraf.store.address_sealing import Addresses
from sarraf.store.alerts_outbox import SqlAlertOutbox
from sarraf.store.alexa_grants import SqlAlexaGrants
from sarraf.store.channel_state import SqlWindowStore
from sarraf.store.customers import SqlCustomers
from sarraf.store.data_rights import SqlDataRights
from sarraf.store.database import make_engine, migrate
from sarraf.store.identity_sealing import IdentityCodec
from sarraf.store.key_store import open_envelope_cipher
from sarraf.store.sealing import JsonSealer
from sarraf.store.tables.alerts import alert_outbox, alert_preferences
from tests.alerts.pipeline import add_customers


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[tuple[AsyncEngine, Any]]:
    """A migrated SQLite database and the envelope cipher holding its customers' data keys."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    settings = Settings(data_dir=tmp_path, database_url=url, banks_file=tmp_path / "banks.yaml", public_url="http://x")
    await migrate(url)
    engine = make_engine(url)
    try:
        yield engine, open_envelope_cipher(settings, engine)
    finally:
        await engine.dispose()


async def test_erase_leaves_nothing_keyed_by_the_customer(store: tuple[AsyncEngine, Any]) -> None:
    engine, cipher = store
    customers = SqlCustomers(engine, IdentityCodec(cipher.keys))
    grants, windows = SqlAlexaGrants(engine), SqlWindowStore(engine, IdentityCodec(cipher.keys))
    me = await customers.identify("sandbox", "alexa", "amzn1.ask.account.ME")
    other = await customers.identify("sandbox", "alexa", "amzn1.ask.account.OTHER")
    now = datetime.now(UTC)
    for who in (me, other):
        owner = TokenOwner("sandbox", who.id, "alexa-client", f"grant-{who.id}")
        await grants.put_tokens(
            owner, f"access-{who.id}", now + timedelta(hours=1), f"refresh-{who.id}", now + timedelta(days=90)
        )
        await windows.touch("messenger", "sandbox", f"psid-{who.id}", now)
    await customers.bind("sandbox", "messenger", f"psid-{me.id}", me.id)
    sealed = await cipher.encrypt(me.id, "bank-tokens", b"secret")

    await SqlDataRights(engine, cipher, JsonSealer(cipher.keys)).erase(me.id)

    assert await grants.owner_of_access(f"access-{me.id}", now) is None
    assert await grants.owner_of_access(f"access-{other.id}", now) is not None
    assert await windows.last_inbound("messenger", "sandbox", f"psid-{me.id}") is None
    assert await windows.last_inbound("messenger", "sandbox", f"psid-{other.id}") is not None
    assert (await SqlDataRights(engine, cipher, JsonSealer(cipher.keys)).export(me.id))["channels"] == []
    with pytest.raises(KeyUnavailable):  # crypto-shredded: the data key is gone
        await cipher.decrypt(me.id, "bank-tokens", sealed)


async def test_alerts_are_exported_and_erased_with_the_customer(store: tuple[AsyncEngine, Any]) -> None:
    engine, cipher = store
    # cust0 (consent c0) and cust1 (consent c1), opted in to alerts
    await add_customers(engine, 2, JsonSealer(cipher.keys))
    outbox = SqlAlertOutbox(engine, JsonSealer(cipher.keys), Addresses(IdentityCodec(cipher.keys)))
    now = datetime.now(UTC)

    def event(n: int, consent: str) -> BankEvent:
        return BankEvent("bank", f"evt-{n}", AlertKind.CARD_PAYMENT, consent, now,
                         {"amount": "9.99", "currency": "GBP", "merchant": "Kiosk"})

    await outbox.accept([event(1, "c0"), event(2, "c1")])
    first, second = await outbox.received(10)
    message = [{"text": "You paid £9.99 at Kiosk"}]
    await outbox.routed([Routed(first.row_id, "ready", "cust0", "webchat", "session-0000-xxxxxxxx", message),
                         Routed(second.row_id, "ready", "cust1", "webchat", "session-0001-xxxxxxxx", message)])
    await outbox.accept([event(3, "c0")])  # not routed yet: it names only cust0's consent
    rights = SqlDataRights(engine, cipher, JsonSealer(cipher.keys))

    exported = (await rights.export("cust0"))["alerts"]
    assert exported["preferences"][0]["opted_in"] is True
    assert [(m["kind"], m["status"], m["content"]) for m in exported["messages"]] == [
        ("card_payment", "ready", message)]

    await rights.erase("cust0")

    async with engine.connect() as conn:
        left = (await conn.execute(select(alert_outbox.c.event_id).order_by(alert_outbox.c.id))).scalars().all()
        prefs = (await conn.execute(select(func.count()).select_from(alert_preferences))).scalar()
    assert left == ["evt-2"]  # the other customer's alert stays; both of cust0's are gone
    assert prefs == 1
    assert (await rights.export("cust0"))["alerts"] == {"preferences": [], "messages": [], "fraud_questions": []}
