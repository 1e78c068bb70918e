"""One customer's bad record never stops alerts for everyone (issue #22, finding 1).

1,000 opted-in customers each get a card payment; one customer's stored preference is poisoned by writing the
value straight into the database, past the API's validation. Every other customer's alert is delivered, the
poisoned one is in the dead letters with its reason, and no round failed. Real intake (signed SETs), real
router and agreement, real delivery worker, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import decimal
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.alerts.delivery import DeliveryPolicy, DeliveryWorker
from sarraf.alerts.router import AlertRouter
from sarraf.policy.decision_cache import CachedDecider
from sarraf.store import alert_dead_letters
from sarraf.store.alerts_prefs import SqlFraudCases
from sarraf.store.database import make_engine
from sarraf.store.tables.alerts import alert_outbox, alert_preferences
from tests.alerts.pipeline import (
    AGREEMENT,
    Bank,
    NoLinks,
    RecordedDecisions,
    add_customers,
    create_schema,
    delivered_texts,
    pipeline,
)
from tests.alerts.worker_proc import WebChatOnly
from tests.support.sealing import addresses_for_tests, sealer_for_tests

CUSTOMERS = 1000
POISONED = "cust500"


async def _poison(engine: AsyncEngine, column: str, value: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(update(alert_preferences).where(alert_preferences.c.customer_id == POISONED)
                           .values({column: value}))


async def _statuses(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(alert_outbox.c.customer_id, alert_outbox.c.status))).all()
    found: dict[str, int] = {}
    for _, status in rows:
        found[status] = found.get(status, 0) + 1
    return found


# "NaN" made every routing round fail with decimal.InvalidOperation (the reported failure); the others are
# stored values the API refuses as well.
@pytest.mark.parametrize(("column", "value"), [("large_from", "NaN"), ("large_from", "1E+999999x"),
                                               ("low_balance_below", "-Infinity"), ("disabled", "not-a-list"),
                                               ("timezone", "Mars/Olympus")])
async def test_one_poisoned_customer_among_a_thousand(db_url: str, column: str, value: str) -> None:
    engine = make_engine(db_url)
    try:
        await create_schema(engine)
        await add_customers(engine, CUSTOMERS)
        if column == "timezone":  # read only inside quiet hours: give the poisoned customer some
            async with engine.begin() as conn:
                await conn.execute(update(alert_preferences).where(alert_preferences.c.customer_id == POISONED)
                                   .values(quiet_start="00:00", quiet_end="23:59"))
        await _poison(engine, column, value)
        bank = Bank()
        intake, router, outbox = pipeline(engine, bank)
        started = time.perf_counter()
        for first in range(0, CUSTOMERS, 250):
            await intake.accept_many("bank", {f"evt-{i}": bank.card_payment(i, i)
                                              for i in range(first, first + 250)})
        routed = await router.route_pending()
        worker = DeliveryWorker(outbox, WebChatOnly(), DeliveryPolicy(batch=500))
        while await worker.run_once():
            pass
        seconds = time.perf_counter() - started

        assert routed == CUSTOMERS  # every round went through, none failed on the poisoned record
        texts = await delivered_texts(engine)
        statuses = await _statuses(engine)
        dead = await alert_dead_letters.listed(engine)
        print(f"\npoison {column}={value!r} on {engine.dialect.name}: delivered={len(texts)} "
              f"dead_lettered={len(dead)} seconds={seconds:.2f}")
        assert len(texts) == CUSTOMERS - 1
        assert statuses == {"sent": CUSTOMERS - 1, "dead": 1}
        assert [(d.customer_id, d.event_id) for d in dead] == [(POISONED, "evt-500")]
        assert dead[0].reason.startswith("stored record unreadable: ValueError") and column in dead[0].reason
    finally:
        await engine.dispose()


async def test_a_poisoned_message_is_dead_lettered_at_delivery_and_the_batch_goes_on(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        await create_schema(engine)
        now = datetime.now(UTC)
        good = [{"text": f"hello {i}", "lang": "en"} for i in range(3)]
        rows = [{"tenant": "bank", "event_id": f"e{i}", "kind": "card_payment", "consent_id": "c", "stream": None,
                 "occurred_at": now, "received_at": now, "data": {}, "status": "ready", "lane": "normal",
                 "customer_id": f"cust{i}", "channel": "webchat", "sender": f"s{i}", "attempts": 0,
                 "available_at": now, "messages": [good[i]] if i != 1 else [{"lang": "en"}]}  # no text
                for i in range(3)]
        async with engine.begin() as conn:
            await conn.execute(insert(alert_outbox), rows)
        _, _, outbox = pipeline(engine, Bank())
        worker = DeliveryWorker(outbox, WebChatOnly())
        assert await worker.run_once() == 3
        assert sorted(await delivered_texts(engine)) == ["hello 0", "hello 2"]
        dead = await alert_dead_letters.listed(engine)
        assert [(d.event_id, d.customer_id) for d in dead] == [("e1", "cust1")]
        assert "unreadable message" in dead[0].reason and "KeyError" in dead[0].reason
    finally:
        await engine.dispose()


class FailsForOneCustomer:
    """The real agreement's decider, except that one customer's request raises as a poisoned value would."""

    def __init__(self, decider: Any, customer: str) -> None:
        self._decider, self._customer = decider, customer

    def decide(self, request: Any, grant: Any) -> Any:
        if request.customer_id == self._customer:
            raise decimal.InvalidOperation([decimal.InvalidOperation])
        return self._decider.decide(request, grant)


async def test_an_error_inside_routing_dead_letters_that_event_only(db_url: str) -> None:
    """The routing round's own safety net: whatever raises from one event's data (here inside the decision)
    dead-letters that event, and the round's other events are routed and delivered."""
    engine = make_engine(db_url)
    try:
        await create_schema(engine)
        await add_customers(engine, 50)
        bank = Bank()
        intake, _, outbox = pipeline(engine, bank)
        cases = SqlFraudCases(engine, sealer_for_tests(), addresses_for_tests())
        router = AlertRouter(outbox, FailsForOneCustomer(CachedDecider.from_path(AGREEMENT), "cust7"),
                             RecordedDecisions(), NoLinks(), cases, outbox,
                             bank_names={"bank": "Bench Bank"}, default_langs={"bank": "en"})
        await intake.accept_many("bank", {f"evt-{i}": bank.card_payment(i, i) for i in range(50)})
        assert await router.route_pending() == 50
        worker = DeliveryWorker(outbox, WebChatOnly())
        while await worker.run_once():
            pass
        assert len(await delivered_texts(engine)) == 49
        (dead,) = await alert_dead_letters.listed(engine)
        assert (dead.customer_id, dead.event_id) == ("cust7", "evt-7") and "InvalidOperation" in dead.reason
    finally:
        await engine.dispose()
