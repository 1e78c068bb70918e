"""Create the alert tables directly — for tests and the bench until the Alembic migration includes them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.store.metadata import metadata
from sarraf.store.tables.alerts import alert_dead_letters, alert_fraud_cases, alert_outbox, alert_preferences

ALERT_TABLES = (alert_outbox, alert_dead_letters, alert_preferences, alert_fraud_cases)


async def create_alert_tables(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all, tables=list(ALERT_TABLES), checkfirst=True)
