"""Offers on SQLAlchemy async: customers' opt-ins, the offers let through (what the caps count), and whether a
fraud alert reached the customer today."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.alerts.offers import OptIn
from sarraf.domain.events import AlertKind
from sarraf.store import outbox_sealing as sealing
from sarraf.store.channel_state import utc
from sarraf.store.sealing import JsonSealer
from sarraf.store.tables.alerts import alert_fraud_cases, alert_outbox
from sarraf.store.tables.offers import offer_optins, offer_sends

WEEK, DAY = timedelta(days=7), timedelta(days=1)


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

    async def admit(self, tenant: str, event_id: str, customer_id: str, now: datetime, midnight: datetime,
                    per_customer_per_week: int, per_bank_per_day: int, pending: tuple[int, int] = (0, 0)
                    ) -> str | None:
        """None when the offer may go: counted before (the same event routed again after a crash), or under the
        caps — `pending`: (the customer's, the bank's) offers admitted in this routing round, not yet recorded —
        with no fraud alert for the customer since `midnight`; else why not. Reads only: `record` writes."""
        s, f, o = offer_sends.c, alert_fraud_cases.c, alert_outbox.c
        mine = select(func.count()).select_from(offer_sends).where(
            s.tenant == tenant, s.customer_id == customer_id, s.routed_at >= now - WEEK).scalar_subquery()
        bank = select(func.count()).select_from(offer_sends).where(
            s.tenant == tenant, s.routed_at >= now - DAY).scalar_subquery()
        query = select(  # one round trip per offer: routing waits on each
            exists().where(s.tenant == tenant, s.event_id == event_id),
            # a fraud case opened today (its deadline lies after its opening), or a fraud event routed today
            exists().where(f.tenant == tenant, f.customer_id == customer_id, f.deadline_at >= midnight),
            exists().where(o.tenant == tenant, o.customer_id == customer_id,
                           o.kind == AlertKind.SUSPECTED_FRAUD.value, o.occurred_at >= midnight),
            mine, bank)
        async with self._engine.connect() as conn:
            counted, case, fraud, sent, sent_by_bank = (await conn.execute(query)).one()
        if counted:
            return None
        if case or fraud:
            return "no offer on the day of a fraud alert"
        if sent + pending[0] >= per_customer_per_week:
            return f"cap: {per_customer_per_week} offers a week per customer"
        if sent_by_bank + pending[1] >= per_bank_per_day:
            return f"cap: {per_bank_per_day} offers a day for the bank"
        return None

    async def record(self, admitted: Sequence[tuple[str, str, str, datetime]]) -> None:
        """(tenant, event_id, customer_id, at) of a routing round's admitted offers, in one transaction; an
        event recorded already (routed again after a crash) is skipped."""
        if not admitted:
            return
        s = offer_sends.c
        async with self._engine.begin() as conn:
            known = {(t, e) for t, e in await conn.execute(select(s.tenant, s.event_id).where(
                s.event_id.in_([a[1] for a in admitted])))}
            fresh = [{"tenant": t, "event_id": e, "customer_id": c, "routed_at": at}
                     for t, e, c, at in admitted if (t, e) not in known]
            if fresh:
                await conn.execute(insert(offer_sends), fresh)

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
