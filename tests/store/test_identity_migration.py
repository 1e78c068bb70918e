"""The migration that stops storing platform ids in clear (#17 finding 5) converts the rows already there, on
SQLite and on PostgreSQL: each id is replaced by its keyed hash and sealed with its customer's data key (the
key made when the customer had none), the gateway still finds the customer by the incoming id and delivers
to the real id; without the gateway's keys it refuses with the reason; the downgrade gives the ids back."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import column, insert, select, table

from sarraf.policy.crypto import LocalFileKeyProvider
from sarraf.store.customers import SqlCustomers
from sarraf.store.database import alembic_config, make_engine, migrate
from sarraf.store.identity_sealing import IdentityCodec
from sarraf.store.tables.core import channel_identities, customers
from sarraf.store.tables.keys import data_keys
from tests.support.postgres import empty_database

BEFORE = "37e43551ce42"  # the revision before identities were hashed and sealed
IDS = [("alice", "messenger", "7712345678901234"), ("alice", "telegram", "bank2:981234567"),
       ("bob", "whatsapp", "447700900123"), ("bob", "alexa", "amzn1.ask.account.AEXAMPLE"),
       ("bob", "webchat", "s-" + "ab" * 32)]
OLD = table("channel_identities", column("id"), column("tenant"), column("channel"), column("sender"),
            column("customer_id"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def old_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, LocalFileKeyProvider]]:
    """A database at the revision before, holding identities in clear; alice has a data key, bob none yet."""
    keys = LocalFileKeyProvider(tmp_path / "keys")
    with empty_database(request.param, tmp_path / "old.db", prefix="sarraf_identities") as url:
        command.upgrade(alembic_config(url), BEFORE)
        asyncio.run(_fill(url, keys))
        yield url, keys


async def _fill(url: str, keys: LocalFileKeyProvider) -> None:
    engine = make_engine(url)
    wrapped = await keys.wrap(secrets.token_bytes(32), b"alice")
    async with engine.begin() as conn:
        for customer in ("alice", "bob"):
            await conn.execute(insert(customers).values(id=customer, tenant="sandbox", lang="en",
                                                        created_at=datetime.now(UTC)))
        await conn.execute(insert(data_keys).values(owner="alice", key_id=wrapped.key_id, wrapped=wrapped.blob))
        for customer, channel, sender in IDS:  # as the revision before wrote them: no sealed column yet
            await conn.execute(insert(OLD).values(tenant="sandbox", channel=channel, sender=sender,
                                                  customer_id=customer))
    await engine.dispose()


async def _stored(url: str) -> list[tuple[str, str, str]]:
    engine = make_engine(url)
    async with engine.connect() as conn:
        rows = (await conn.execute(select(channel_identities.c.customer_id, channel_identities.c.channel,
                                          channel_identities.c.sender).order_by(channel_identities.c.id))).all()
    await engine.dispose()
    return [(r.customer_id, r.channel, r.sender) for r in rows]


async def _as_the_gateway_sees_them(url: str, keys: LocalFileKeyProvider
                                    ) -> tuple[list[str], dict[str, list[tuple[str, str]]]]:
    engine = make_engine(url)
    found_customers = SqlCustomers(engine, IdentityCodec(keys))
    try:
        found = [(await found_customers.identify("sandbox", channel, sender)).id for _, channel, sender in IDS]
        return found, {who: sorted(await found_customers.identities(who)) for who in ("alice", "bob")}
    finally:
        await engine.dispose()


def test_existing_identities_are_hashed_sealed_and_still_work(old_database: tuple[str, LocalFileKeyProvider]
                                                               ) -> None:
    url, keys = old_database
    asyncio.run(migrate(url, keys))

    stored = asyncio.run(_stored(url))
    platform_ids = [sender for _, channel, sender in IDS if channel != "webchat"]
    assert not [row for row in stored for sender in platform_ids if sender in " ".join(row)], stored
    assert [sender.startswith("k-") and len(sender) == 66 for _, channel, sender in stored] == [
        channel != "webchat" for _, channel, _ in IDS]  # the web chat's address is a digest already
    found, identities = asyncio.run(_as_the_gateway_sees_them(url, keys))
    assert found == [customer for customer, _, _ in IDS]  # incoming ids find their customer, nobody new
    assert identities == {who: sorted((c, s) for w, c, s in IDS if w == who) for who in ("alice", "bob")}


def test_without_the_keys_the_migration_refuses_with_the_reason(old_database: tuple[str, LocalFileKeyProvider]
                                                                ) -> None:
    url, keys = old_database
    with pytest.raises(RuntimeError, match="must be converted with the gateway's keys"):
        asyncio.run(migrate(url))
    assert asyncio.run(_stored_before(url))[0][2] == IDS[0][2]  # nothing half-done: the upgrade rolled back
    asyncio.run(migrate(url, keys))  # and runs whole once the keys are given
    assert asyncio.run(_stored(url))[0][2].startswith("k-")


def test_the_downgrade_gives_the_ids_back(old_database: tuple[str, LocalFileKeyProvider]) -> None:
    url, keys = old_database
    asyncio.run(migrate(url, keys))
    cfg = alembic_config(url, keys)
    command.downgrade(cfg, BEFORE)
    assert [(c, s) for _, c, s in asyncio.run(_stored_before(url))] == [(c, s) for _, c, s in IDS]


async def _stored_before(url: str) -> list[tuple[str, str, str]]:
    old = OLD
    engine = make_engine(url)
    async with engine.connect() as conn:
        rows = (await conn.execute(select(old.c.customer_id, old.c.channel, old.c.sender).order_by(old.c.id))).all()
    await engine.dispose()
    return [(r.customer_id, r.channel, r.sender) for r in rows]
