"""Alert preferences and fraud cases on SQLAlchemy async. The address a customer chose for alerts, and the one a
fraud case asks on, are stored as their keyed hash and opened from the customer's identity when read
(store/address_sealing.py); a fraud case's event data (merchant, amount, card) is sealed with the customer's
data key, so erasure shreds it."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sarraf.alerts.ports import FraudCase
from sarraf.alerts.preferences import DEFAULT_ZONES, AlertPreferences
from sarraf.domain.events import AlertGroup
from sarraf.store.address_sealing import Addresses
from sarraf.store.channel_state import utc
from sarraf.store.sealing import JsonSealer
from sarraf.store.tables.alerts import alert_fraud_cases, alert_preferences

log = logging.getLogger(__name__)
CASE_DATA = "fraud-case"  # the field a case's event data is sealed under (its customer's data key)
PREFERENCE_COLUMNS = tuple(alert_preferences.c[name] for name in (
    "opted_in", "disabled", "channel", "sender", "quiet_start", "quiet_end", "timezone", "low_balance_below",
    "large_from"))


def preferences_from_row(row: Any, tenant: str, sender: str | None = None) -> AlertPreferences:
    """`sender`: the row's address opened (what the row holds is its keyed hash)."""
    values: list[Any] = [None if row is None else sender if c.name == "sender" else getattr(row, c.name)
                         for c in PREFERENCE_COLUMNS]
    return preferences_from_values(tenant, *values)


def preferences_from_values(tenant: str, opted_in: bool | None, disabled: list[str] | None, *rest: Any
                            ) -> AlertPreferences:
    """Preferences from a row's values (all None: the customer never set any)."""
    if opted_in is None:
        return AlertPreferences(timezone=DEFAULT_ZONES.get(tenant, "UTC"))
    groups = () if disabled is None else tuple(disabled) if isinstance(disabled, list) else disabled
    return _parsed(bool(opted_in), groups, *rest)  # a stored non-list is refused by _parsed, naming the field


@lru_cache(maxsize=4096)
def _parsed(opted_in: bool, disabled: tuple[str, ...], channel: str | None, sender: str | None,
            quiet_start: str | None, quiet_end: str | None, timezone: str, low_balance_below: str | None,
            large_from: str | None) -> AlertPreferences:
    # A pure function of the stored values (AlertPreferences is frozen): every routing batch still reads the
    # row, only the parsing of values seen before is skipped.
    # Every value is checked as the API checks it, so a row written past the API (or by an older version)
    # fails here, naming the field, and routing dead-letters that one customer's events (alerts/poison.py).
    if not isinstance(disabled, tuple) or not all(isinstance(g, str) for g in disabled):
        raise ValueError(f"disabled {disabled!r} is not a list of alert groups")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"timezone {timezone!r} is not an IANA time zone") from exc
    return AlertPreferences(
        opted_in=opted_in, disabled=frozenset(AlertGroup(g) for g in disabled), channel=channel, sender=sender,
        quiet_start=quiet_start, quiet_end=quiet_end, timezone=timezone,
        low_balance_below=_threshold("low_balance_below", low_balance_below),
        large_from=_threshold("large_from", large_from),
    )


def _threshold(name: str, stored: str | None) -> Decimal | None:
    if not stored:
        return None
    try:
        value = Decimal(stored)
    except InvalidOperation as exc:
        raise ValueError(f"{name} {stored!r} is not a number") from exc
    if not value.is_finite() or value < 0:
        raise ValueError(f"{name} {stored!r} is not a finite amount of money")
    return value


class SqlAlertPreferences:
    def __init__(self, engine: AsyncEngine, addresses: Addresses) -> None:
        self._engine = engine
        self._addresses = addresses

    async def get(self, tenant: str, customer_id: str, *, strict: bool = False) -> AlertPreferences:
        """The customer's preferences. A stored row that cannot be read raises ValueError when `strict` (the
        operator API says so); otherwise it reads as the defaults, so the customer's next change, by chat or
        API, replaces it (routing meanwhile dead-letters their alerts, see alerts/poison.py)."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(alert_preferences).where(
                alert_preferences.c.tenant == tenant, alert_preferences.c.customer_id == customer_id))).first()
            sender = (await self._addresses.opened_one(conn, tenant, row.channel, row.sender)
                      if row is not None and row.channel and row.sender else None)
        try:
            return preferences_from_row(row, tenant, sender)
        except ValueError as exc:
            if strict:
                raise
            log.warning("alert preferences of %s/%s unreadable, read as defaults: %s", tenant, customer_id, exc)
            return preferences_from_row(None, tenant)

    async def save(self, tenant: str, customer_id: str, p: AlertPreferences) -> None:
        values = {"opted_in": p.opted_in, "disabled": sorted(g.value for g in p.disabled), "channel": p.channel,
                  "sender": await self._addresses.stored(p.channel, p.sender) if p.channel and p.sender else p.sender,
                  "quiet_start": p.quiet_start, "quiet_end": p.quiet_end, "timezone": p.timezone,
                  "low_balance_below": str(p.low_balance_below) if p.low_balance_below is not None else None,
                  "large_from": str(p.large_from) if p.large_from is not None else None,
                  "updated_at": datetime.now(UTC)}
        async with self._engine.begin() as conn:
            await conn.execute(delete(alert_preferences).where(
                alert_preferences.c.tenant == tenant, alert_preferences.c.customer_id == customer_id))
            await conn.execute(insert(alert_preferences).values(tenant=tenant, customer_id=customer_id, **values))


class SqlFraudCases:
    def __init__(self, engine: AsyncEngine, sealer: JsonSealer, addresses: Addresses) -> None:
        self._engine = engine
        self._sealer = sealer
        self._addresses = addresses  # the gateway's one codec (bootstrap.build)

    async def _cases(self, conn: AsyncConnection, rows: Any) -> list[FraudCase]:
        rows = list(rows)
        senders = await self._addresses.opened(conn, [(r.tenant, r.channel, r.sender) for r in rows])
        keys = await self._sealer.keys(conn, {r.customer_id for r in rows})
        return [FraudCase(r.tenant, r.event_id, r.customer_id, r.card_id, dict(keys.open(CASE_DATA, r.data)),
                          r.status, r.freeze,
                          r.bank_case_id, r.channel, senders[(r.tenant, r.channel, r.sender)], r.lang,
                          r.escalations, utc(r.deadline_at)) for r in rows]

    async def open(self, case: FraudCase) -> None:
        try:
            async with self._engine.begin() as conn:
                keys = await self._sealer.keys(conn, [case.customer_id], create=True)
                await conn.execute(insert(alert_fraud_cases).values(
                    tenant=case.tenant, event_id=case.event_id, customer_id=case.customer_id, card_id=case.card_id,
                    data=keys.seal(case.customer_id, CASE_DATA, case.data), status=case.status, freeze=case.freeze,
                    bank_case_id=case.bank_case_id,
                    channel=case.channel, sender=await self._addresses.stored(case.channel, case.sender),
                    lang=case.lang, escalations=case.escalations,
                    deadline_at=case.deadline_at, created_at=datetime.now(UTC)))
        except IntegrityError:
            pass  # routed twice after a crash: the case already exists

    async def get(self, tenant: str, event_id: str) -> FraudCase | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(alert_fraud_cases).where(
                alert_fraud_cases.c.tenant == tenant, alert_fraud_cases.c.event_id == event_id))).all()
            return next(iter(await self._cases(conn, row)), None)

    async def answer(self, tenant: str, event_id: str, status: str, at: datetime) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(update(alert_fraud_cases).where(
                alert_fraud_cases.c.tenant == tenant, alert_fraud_cases.c.event_id == event_id,
                alert_fraud_cases.c.status.in_(("asked", "human"))).values(status=status, answered_at=at))
            return bool(result.rowcount == 1)

    async def awaiting(self, tenant: str, customer_id: str) -> FraudCase | None:
        """The customer's most recent "Was this you?" still waiting for an answer."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(alert_fraud_cases).where(
                alert_fraud_cases.c.tenant == tenant, alert_fraud_cases.c.customer_id == customer_id,
                alert_fraud_cases.c.status.in_(("asked", "human")))
                .order_by(alert_fraud_cases.c.created_at.desc()).limit(1))).all()
            return next(iter(await self._cases(conn, row)), None)

    async def begin_freeze(self, tenant: str, event_id: str, now: datetime, lease_s: float) -> bool:
        c = alert_fraud_cases.c
        async with self._engine.begin() as conn:  # one conditional UPDATE: of two processes, one gets it
            result = await conn.execute(update(alert_fraud_cases).where(
                c.tenant == tenant, c.event_id == event_id, c.freeze != "done",
                or_(c.freeze_lease_until.is_(None), c.freeze_lease_until < now))
                .values(freeze="pending", freeze_lease_until=now + timedelta(seconds=lease_s)))
            return bool(result.rowcount == 1)

    async def set_freeze(self, tenant: str, event_id: str, freeze: str, bank_case_id: str | None) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(update(alert_fraud_cases).where(
                alert_fraud_cases.c.tenant == tenant, alert_fraud_cases.c.event_id == event_id)
                .values(freeze=freeze, bank_case_id=bank_case_id, freeze_lease_until=None))

    async def overdue(self, now: datetime, limit: int) -> list[FraudCase]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(alert_fraud_cases).where(
                alert_fraud_cases.c.status == "asked", alert_fraud_cases.c.deadline_at <= now).limit(limit))
            return await self._cases(conn, rows)

    async def pending_freezes(self, now: datetime, limit: int) -> list[FraudCase]:
        c = alert_fraud_cases.c
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(alert_fraud_cases).where(
                c.freeze == "pending", or_(c.freeze_lease_until.is_(None), c.freeze_lease_until < now)).limit(limit))
            return await self._cases(conn, rows)

    async def escalated(self, tenant: str, event_id: str, escalations: int, status: str,
                        deadline_at: datetime) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(update(alert_fraud_cases).where(
                alert_fraud_cases.c.tenant == tenant, alert_fraud_cases.c.event_id == event_id,
                alert_fraud_cases.c.status == "asked", alert_fraud_cases.c.escalations == escalations - 1)
                .values(escalations=escalations, status=status, deadline_at=deadline_at))
            return bool(result.rowcount == 1)
