"""The payment state machine in SQL: every write a compare-and-set, so of two racing writers (two replicas, a
confirmation tapped twice) exactly one moves the payment; illegal moves refused; details sealed at rest."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.config import Settings
from sarraf.domain.payments import IllegalMove, Payee, Payment, PaymentState, SourceAccount, can_move
from sarraf.store.address_sealing import Addresses
from sarraf.store.database import make_engine, migrate
from sarraf.store.identity_sealing import IdentityCodec
from sarraf.store.key_store import key_provider, open_envelope_cipher
from sarraf.store.payments import SqlPayments
from sarraf.store.tables.payments import payments

NOW = datetime(2026, 12, 5, 19, 0, tzinfo=UTC)
S = PaymentState


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[SqlPayments, SqlPayments, AsyncEngine]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    await migrate(url)
    one, two = make_engine(url), make_engine(url)
    settings = Settings(data_dir=tmp_path, database_url="sqlite://", banks_file=tmp_path / "banks.yaml",
                        public_url="http://x")
    try:
        addresses = Addresses(IdentityCodec(key_provider(settings)))
        yield (SqlPayments(one, open_envelope_cipher(settings, one), addresses),
               SqlPayments(two, open_envelope_cipher(settings, two), addresses), one)
    finally:
        await one.dispose()
        await two.dispose()


def draft(**changes: Any) -> Payment:
    p = Payment(payment_id="pay-1", tenant="sandbox", customer_id="cust-1", channel="webchat", sender="s-1",
                lang="en", state=S.DRAFT, created_at=NOW, expires_at=NOW + timedelta(minutes=15),
                consent_key="c" * 32, payment_key="p" * 32, amount_minor=2000, currency="GBP",
                payee=Payee("Alice Smith", "UK.OBIE.SortCodeAccountNumber", "40127644501733", "acc-1"),
                source=SourceAccount("acc-1", "UK.OBIE.SortCodeAccountNumber", "40127631926819", "GBP", "Everyday"),
                reference="dinner")
    return p.with_(**changes)


async def test_round_trip_and_the_details_are_sealed(stores: Any) -> None:
    one, _, engine = stores
    await one.create(draft())
    assert await one.get("pay-1") == draft()
    async with engine.connect() as conn:
        raw = (await conn.execute(select(payments.c.sealed))).scalar_one()
    assert b"Alice" not in raw and b"40127644501733" not in raw


async def test_two_replicas_confirming_at_once_move_it_once(stores: Any) -> None:
    one, two, _ = stores
    await one.create(draft(state=S.AWAITING_CONFIRMATION))
    seen_one, seen_two = await one.get("pay-1"), await two.get("pay-1")
    assert seen_one is not None and seen_two is not None
    won = await asyncio.gather(one.update(seen_one, seen_one.with_(state=S.AUTHORISING)),
                               two.update(seen_two, seen_two.with_(state=S.AUTHORISING)))
    assert sorted(won) == [False, True]
    now = await one.get("pay-1")
    assert now is not None and now.state is S.AUTHORISING and now.version == 1
    # the loser's stale copy can never write again, not even the same move
    assert not await two.update(seen_two, seen_two.with_(state=S.AUTHORISING))


async def test_illegal_moves_are_refused_and_final_states_are_final(stores: Any) -> None:
    one, _, _ = stores
    await one.create(draft(state=S.SUBMITTED))
    p = await one.get("pay-1")
    assert p is not None
    with pytest.raises(IllegalMove):
        await one.update(p, p.with_(state=S.AUTHORISING))
    assert await one.update(p, p.with_(state=S.COMPLETED))
    for state in S:
        assert not can_move(S.COMPLETED, state)


async def test_open_for_finds_only_an_unexpired_draft_or_confirmation(stores: Any) -> None:
    one, _, _ = stores
    await one.create(draft())
    assert (await one.open_for("sandbox", "cust-1", NOW)) is not None
    assert await one.open_for("sandbox", "cust-1", NOW + timedelta(minutes=16)) is None
    await one.create(draft(payment_id="pay-2", state=S.COMPLETED, created_at=NOW + timedelta(seconds=1)))
    found = await one.open_for("sandbox", "cust-1", NOW)
    assert found is not None and found.payment_id == "pay-1"


async def test_the_days_committed_total_counts_confirmed_payments_only(stores: Any) -> None:
    one, _, _ = stores
    rows = [("pay-a", S.AUTHORISING, 2000, "GBP", NOW), ("pay-b", S.COMPLETED, 1500, "GBP", NOW),
            ("pay-c", S.SUBMITTED, 700, "GBP", NOW), ("pay-d", S.REJECTED, 9000, "GBP", NOW),
            ("pay-e", S.AWAITING_CONFIRMATION, 9000, "GBP", NOW), ("pay-f", S.COMPLETED, 9000, "PLN", NOW),
            ("pay-g", S.COMPLETED, 9000, "GBP", NOW - timedelta(days=1))]
    for payment_id, state, minor, currency, at in rows:
        await one.create(draft(payment_id=payment_id, state=state, amount_minor=minor, currency=currency,
                               created_at=at))
    midnight = NOW.replace(hour=0)
    assert await one.committed_since("sandbox", "cust-1", "GBP", midnight, exclude="none") == 2000 + 1500 + 700
    assert await one.committed_since("sandbox", "cust-1", "GBP", midnight, exclude="pay-a") == 1500 + 700
    assert await one.committed_since("sandbox", "cust-2", "GBP", midnight, exclude="none") == 0
