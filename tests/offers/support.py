"""Looking into a running gateway's store for the offers tests: outbox rows, audit leaves, preferences."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.alerts.preferences import AlertPreferences
from sarraf.channels import webchat
from sarraf.store.alerts_prefs import SqlAlertPreferences
from sarraf.store.tables.alerts import alert_fraud_cases, alert_outbox
from sarraf.store.tables.core import channel_identities
from sarraf.store.tables.offers import offer_optins, offer_sends
from tests.support.sealing import addresses_for_tests

TENANT = "sandbox"


async def customer_of(engine: AsyncEngine, session: str) -> str:
    """The customer behind a web chat session (stored only as its digest: channels/webchat.address)."""
    async with engine.connect() as conn:
        found = (await conn.execute(select(channel_identities.c.customer_id).where(
            channel_identities.c.sender == webchat.address(session)))).scalar_one()
    return str(found)


async def quiet_hours(engine: AsyncEngine, customer_id: str, start: datetime, minutes: int = 1) -> None:
    """Quiet hours of their own (in UTC) from `start` for `minutes`: far from now, offers are not held back
    by the night whatever time the tests run."""
    end = start + timedelta(minutes=minutes)
    await SqlAlertPreferences(engine, addresses_for_tests()).save(TENANT, customer_id, AlertPreferences(
        quiet_start=f"{start:%H:%M}", quiet_end=f"{end:%H:%M}", timezone="UTC"))


async def never_quiet(engine: AsyncEngine, customer_id: str) -> None:
    await quiet_hours(engine, customer_id, datetime.now(UTC) + timedelta(hours=12))


async def row_of(engine: AsyncEngine, event_id: str, timeout: float = 20.0) -> Any:
    """The outbox row of an event once routing has settled it (no longer "received")."""
    deadline = time.monotonic() + timeout
    while True:
        async with engine.connect() as conn:
            row = (await conn.execute(select(alert_outbox).where(alert_outbox.c.event_id == event_id))).first()
        if (row is not None and row.status != "received") or time.monotonic() > deadline:
            return row
        await asyncio.sleep(0.05)


async def marketing_decisions(container: Any, customer_id: str) -> list[tuple[str, str, str]]:
    """The customer's audited direct-marketing decisions, oldest first: (outcome, policy, recipient)."""
    pseudonym = container.audit.pseudonymise(TENANT, customer_id)
    found: list[tuple[str, str, str]] = []
    async for batch in container.audit.store.leaves():
        for leaf in batch:
            entry = json.loads(leaf.data)
            if entry["purpose"] == "marketing.communications" and entry["customer"] == pseudonym:
                found.append((entry["outcome"], entry["policy_id"], entry["recipient"]))
    return found


async def forget_offers(engine: AsyncEngine) -> None:
    """Caps, opt-ins and fraud alerts start afresh (the gateway is shared by a module's tests)."""
    async with engine.begin() as conn:
        for table in (offer_sends, offer_optins, alert_fraud_cases):
            await conn.execute(delete(table))
        await conn.execute(delete(alert_outbox).where(alert_outbox.c.kind == "suspected_fraud"))
