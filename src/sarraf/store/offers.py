"""Offers on SQLAlchemy async: customers' opt-ins, the offers let through (what the caps count), and whether a
fraud alert reached the customer today."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.alerts.offers import OptIn
from sarraf.domain.events import AlertKind
from sarraf.store import outbox_sealing as sealing
from sarraf.store.channel_state import utc
from sarraf.store.sealing import JsonSealer
from sarraf.store.tables.alerts import alert_fraud_cases, alert_outbox
from sarraf.store.tables.offers import offer_optins, offer_sends


class SqlOffers:
    def __init__(self, engine: AsyncEngine, sealer: JsonSealer) -> None:
        self._engine = engine
        self._sealer = sealer  # the outbox's: offer events are sealed there like every event's data

    async def opt_in(self, tenant: str, customer_id: str) -> OptIn | None:
        c = offer_optins.c
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(c.opted_in, c.channel, c.changed_at).where(
                c.tenant == tenant, c.customer_id == customer_id))).first()
        return None if row is None else OptIn(bool(row.opted_in), row.channel, utc(row.changed_at))

    async def set_opt_in(self, tenant: str, customer_id: str, opted_in: bool, channel: str, at: datetime) -> None:
        """Store the customer's yes or no. A no also withdraws, in the same transaction, every offer routed to
        them and not yet sent (waiting for the morning, say): stopping offers stops them now."""
        c, o = offer_optins.c, alert_outbox.c
        async with self._engine.begin() as conn:
            await conn.execute(delete(offer_optins).where(c.tenant == tenant, c.customer_id == customer_id))
            await conn.execute(insert(offer_optins).values(tenant=tenant, customer_id=customer_id,
                                                           opted_in=opted_in, channel=channel, changed_at=at))
            if not opted_in:
                await conn.execute(update(alert_outbox).where(
                    o.tenant == tenant, o.customer_id == customer_id, o.kind == AlertKind.OFFER.value,
                    o.status.in_(("received", "ready"))).values(status="filtered",
                                                               last_error="the customer stopped offers"))

    async def counted(self, tenant: str, event_id: str) -> bool:
        c = offer_sends.c
        async with self._engine.connect() as conn:
            found = (await conn.execute(select(c.event_id).where(c.tenant == tenant, c.event_id == event_id))).first()
        return found is not None

    async def sent_since(self, tenant: str, customer_id: str | None, since: datetime) -> int:
        """Offers let through since `since`: the customer's, or the whole bank's when customer_id is None."""
        c = offer_sends.c
        query = select(func.count()).select_from(offer_sends).where(c.tenant == tenant, c.routed_at >= since)
        if customer_id is not None:
            query = query.where(c.customer_id == customer_id)
        async with self._engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def record(self, tenant: str, event_id: str, customer_id: str, at: datetime) -> None:
        try:
            async with self._engine.begin() as conn:
                await conn.execute(insert(offer_sends).values(tenant=tenant, event_id=event_id,
                                                              customer_id=customer_id, routed_at=at))
        except IntegrityError:
            pass  # the same event routed again (a crashed round): counted once

    async def fraud_since(self, tenant: str, customer_id: str, since: datetime) -> bool:
        """A fraud alert for the customer since `since`: a case opened (its deadline lies after its opening)
        or a fraud event routed to them."""
        f, o = alert_fraud_cases.c, alert_outbox.c
        async with self._engine.connect() as conn:
            case = (await conn.execute(select(f.event_id).where(
                f.tenant == tenant, f.customer_id == customer_id, f.deadline_at >= since).limit(1))).first()
            if case is not None:
                return True
            event = (await conn.execute(select(o.id).where(
                o.tenant == tenant, o.customer_id == customer_id, o.kind == AlertKind.SUSPECTED_FRAUD.value,
                o.occurred_at >= since).limit(1))).first()
        return event is not None

    async def offer_data(self, tenant: str, event_id: str, customer_id: str) -> dict[str, Any] | None:
        """The offer event routed to this customer (for its secure page), or None when there is none."""
        o = alert_outbox.c
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(o.data).where(
                o.tenant == tenant, o.event_id == event_id, o.customer_id == customer_id,
                o.kind == AlertKind.OFFER.value))).first()
            if row is None:
                return None
            keys = await sealing.keys_for(self._sealer, conn, [row.data])
            data: dict[str, Any] = keys.open(sealing.EVENT_DATA, row.data)
        return data
