"""Erasure removes every row keyed by the customer — channel state and Alexa grants included — and shreds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sarraf.channels.alexa_linking import TokenOwner
from sarraf.config import Settings
from sarraf.policy.crypto import KeyUnavailable
from sarraf.store.alexa_grants import SqlAlexaGrants
from sarraf.store.channel_state import SqlWindowStore
from sarraf.store.customers import SqlCustomers
from sarraf.store.data_rights import SqlDataRights
from sarraf.store.database import make_engine, migrate
from sarraf.store.key_store import open_envelope_cipher


async def test_erase_leaves_nothing_keyed_by_the_customer(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    settings = Settings(data_dir=tmp_path, database_url=url, banks_file=tmp_path / "banks.yaml", public_url="http://x")
    await migrate(url)
    engine = make_engine(url)
    try:
        cipher = open_envelope_cipher(settings, engine)
        customers, grants, windows = SqlCustomers(engine), SqlAlexaGrants(engine), SqlWindowStore(engine)
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

        await SqlDataRights(engine, cipher).erase(me.id)

        assert await grants.owner_of_access(f"access-{me.id}", now) is None
        assert await grants.owner_of_access(f"access-{other.id}", now) is not None
        assert await windows.last_inbound("messenger", "sandbox", f"psid-{me.id}") is None
        assert await windows.last_inbound("messenger", "sandbox", f"psid-{other.id}") is not None
        assert (await SqlDataRights(engine, cipher).export(me.id))["channels"] == []
        with pytest.raises(KeyUnavailable):  # crypto-shredded: the data key is gone
            await cipher.decrypt(me.id, "bank-tokens", sealed)
    finally:
        await engine.dispose()
