"""Intake's batch insert on both databases (PostgreSQL takes the unnest path in store/pg_bulk.py): re-sends and
repeats inside a batch are absorbed, fresh events keep the order they came in (routing goes by row id)."""

from __future__ import annotations

from datetime import UTC, datetime

from sarraf.domain.events import AlertKind, BankEvent
from sarraf.store.alerts_outbox import SqlAlertOutbox
from sarraf.store.database import make_engine
from tests.alerts.pipeline import add_customers, create_schema
from tests.support.sealing import addresses_for_tests, sealer_for_tests


def _event(event_id: str, kind: AlertKind = AlertKind.CARD_PAYMENT) -> BankEvent:
    return BankEvent("bank", event_id, kind, "c0", datetime.now(UTC),
                     {"amount": "1.00", "currency": "GBP", "merchant": "Kiosk", "note": "zażółć ✓ مرحبا"})


async def test_accept_absorbs_resends_and_repeats_and_keeps_order(db_url: str) -> None:
    engine = make_engine(db_url)
    await create_schema(engine)
    await add_customers(engine, 1)  # cust0 holds consent c0: the event's data is sealed with cust0's key
    outbox = SqlAlertOutbox(engine, sealer_for_tests(), addresses_for_tests())
    try:
        assert await outbox.accept([_event("e1"), _event("e2")]) == [True, True]
        fresh = await outbox.accept([_event("e3"), _event("e1"), _event("e4", AlertKind.SUSPECTED_FRAUD),
                                     _event("e3")])
        assert fresh == [True, False, True, False]  # e1 re-sent; e3 twice in one batch counts once
        received = await outbox.received(10)
        assert [r.event.event_id for r in received] == ["e1", "e2", "e3", "e4"]
        assert received[0].event.data["note"] == "zażółć ✓ مرحبا"  # JSON round trip, non-ASCII intact
        assert received[3].event.kind is AlertKind.SUSPECTED_FRAUD
        assert await outbox.unrouted() == 4
        assert await outbox.unrouted(cap=2) == 2
    finally:
        await engine.dispose()
