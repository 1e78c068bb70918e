"""Offers on SQLAlchemy async: customers' opt-ins, the offers let through (what the caps count), and whether a
fraud alert reached the customer today."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.alerts.offers import OfferFacts
from sarraf.domain.events import AlertKind
from sarraf.domain.offers import OptIn
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

    async def facts(self, tenant: str, customer_ids: Collection[str], event_ids: Collection[str],
                    now: datetime) -> OfferFacts:
        """Opt-ins, offers recorded (this week, per customer; today, the bank's; these events), and the latest
        fraud alert of each customer: five statements for a whole routing round."""
        customers = sorted(customer_ids)
        p, s, f, o = offer_optins.c, offer_sends.c, alert_fraud_cases.c, alert_outbox.c
        async with self._engine.connect() as conn:
            opt_ins = {row.customer_id: OptIn(bool(row.opted_in), row.channel, utc(row.changed_at))
                       for row in await conn.execute(select(p.customer_id, p.opted_in, p.channel, p.changed_at)
                                                     .where(p.tenant == tenant, p.customer_id.in_(customers)))}
            counted = frozenset(e for (e,) in await conn.execute(select(s.event_id).where(
                s.tenant == tenant, s.event_id.in_(sorted(event_ids))))) if event_ids else frozenset()
            last_fraud: dict[str, datetime] = {}
            # a fraud case's deadline lies after its opening; a fraud event routed to the customer counts too
            for customer, at in [*await conn.execute(select(f.customer_id, func.max(f.deadline_at)).where(
                    f.tenant == tenant, f.customer_id.in_(customers)).group_by(f.customer_id)),
                                 *await conn.execute(select(o.customer_id, func.max(o.occurred_at)).where(
                    o.tenant == tenant, o.customer_id.in_(customers), o.kind == AlertKind.SUSPECTED_FRAUD.value,
                    o.occurred_at >= now - DAY).group_by(o.customer_id))]:
                last_fraud[customer] = max(last_fraud.get(customer, utc(at)), utc(at))
            sent = {c: int(n) for c, n in await conn.execute(select(s.customer_id, func.count()).where(
                s.tenant == tenant, s.customer_id.in_(customers), s.routed_at >= now - WEEK).group_by(s.customer_id))}
            bank = int((await conn.execute(select(func.count()).select_from(offer_sends).where(
                s.tenant == tenant, s.routed_at >= now - DAY))).scalar_one())
        return OfferFacts(frozenset(customers), opt_ins, counted, last_fraud, sent, bank)

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
