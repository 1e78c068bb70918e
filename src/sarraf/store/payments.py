"""Payments asked for in chat (domain/payments.py) in SQL: every write is a compare-and-set on the version.

The payee, source account, reference, the choices offered and the PKCE verifier are sealed with the
customer's data key, so "delete my data" erases them with the key; amounts, states and the bank's ids stay
readable for the state machine and the operators. The customer's address is its keyed hash, opened from their
identity when a payment is read (store/address_sealing.py).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sarraf.domain.payments import (
    COMMITTED,
    OPEN,
    IllegalMove,
    Payee,
    Payment,
    PaymentState,
    SourceAccount,
    can_move,
)
from sarraf.store.address_sealing import Addresses
from sarraf.store.channel_state import utc
from sarraf.store.tables.payments import payments

FIELD = "payment"


class Sealer(Protocol):
    async def encrypt(self, owner: str, field: str, plaintext: bytes | str) -> bytes: ...

    async def decrypt(self, owner: str, field: str, token: bytes) -> bytes: ...


def _private(p: Payment) -> dict[str, Any]:
    return {"payee": [p.payee.name, p.payee.scheme, p.payee.identification, p.payee.account_id] if p.payee else None,
            "source": [p.source.account_id, p.source.scheme, p.source.identification, p.source.currency,
                       p.source.label] if p.source else None,
            "reference": p.reference, "choices": list(p.choices), "verifier": p.code_verifier,
            "auth_url": p.auth_url, "extra": p.extra}


class SqlPayments:
    def __init__(self, engine: AsyncEngine, sealer: Sealer, addresses: Addresses) -> None:
        self._engine = engine
        self._sealer = sealer
        self._addresses = addresses

    async def _values(self, p: Payment) -> dict[str, Any]:
        sealed = await self._sealer.encrypt(p.customer_id, FIELD, json.dumps(_private(p)).encode())
        return {"tenant": p.tenant, "customer_id": p.customer_id, "channel": p.channel,
                "sender": await self._addresses.stored(p.channel, p.sender),
                "lang": p.lang, "state": p.state.value, "version": p.version, "amount_minor": p.amount_minor,
                "currency": p.currency, "asking": p.asking, "sealed": sealed, "consent_key": p.consent_key,
                "payment_key": p.payment_key, "consent_id": p.consent_id, "auth_state": p.auth_state,
                "bank_payment_id": p.bank_payment_id, "bank_status": p.bank_status, "reason": p.reason,
                "created_at": p.created_at, "expires_at": p.expires_at}

    async def _payment(self, conn: AsyncConnection, row: Row[Any]) -> Payment:
        sender = await self._addresses.opened_one(conn, row.tenant, row.channel, row.sender)
        private = json.loads(await self._sealer.decrypt(row.customer_id, FIELD, row.sealed))
        payee, source = private["payee"], private["source"]
        return Payment(
            payment_id=row.payment_id, tenant=row.tenant, customer_id=row.customer_id, channel=row.channel,
            sender=sender, lang=row.lang, state=PaymentState(row.state), created_at=utc(row.created_at),
            expires_at=utc(row.expires_at), consent_key=row.consent_key, payment_key=row.payment_key,
            amount_minor=row.amount_minor, currency=row.currency, payee=Payee(*payee) if payee else None,
            source=SourceAccount(*source) if source else None, reference=private["reference"],
            asking=row.asking, choices=tuple(private["choices"]), consent_id=row.consent_id,
            auth_state=row.auth_state, code_verifier=private["verifier"], auth_url=private["auth_url"],
            bank_payment_id=row.bank_payment_id, bank_status=row.bank_status, reason=row.reason,
            version=row.version, extra=dict(private.get("extra") or {}),
        )

    async def create(self, payment: Payment) -> None:
        values = await self._values(payment)
        async with self._engine.begin() as conn:
            await conn.execute(insert(payments).values(payment_id=payment.payment_id, updated_at=payment.created_at,
                                                       **values))

    async def _one(self, *where: Any) -> Payment | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(payments).where(*where))).first()
            return await self._payment(conn, row) if row is not None else None

    async def get(self, payment_id: str) -> Payment | None:
        return await self._one(payments.c.payment_id == payment_id)

    async def by_auth_state(self, state: str) -> Payment | None:
        return await self._one(payments.c.auth_state == state)

    async def open_for(self, tenant: str, customer_id: str, now: datetime) -> Payment | None:
        c = payments.c
        async with self._engine.connect() as conn:
            row = (await conn.execute(
                select(payments).where(c.tenant == tenant, c.customer_id == customer_id,
                                       c.state.in_([s.value for s in OPEN]), c.expires_at > now)
                .order_by(c.created_at.desc()).limit(1))).first()
            return await self._payment(conn, row) if row is not None else None

    async def committed_since(self, tenant: str, customer_id: str, currency: str, since: datetime,
                              exclude: str) -> int:
        """Minor units confirmed (authorising, submitted or paid) since `since`: the day's total for the limits."""
        c = payments.c
        async with self._engine.connect() as conn:
            total = (await conn.execute(
                select(func.coalesce(func.sum(c.amount_minor), 0)).where(
                    c.tenant == tenant, c.customer_id == customer_id, c.currency == currency,
                    c.state.in_([s.value for s in COMMITTED]), c.created_at >= since,
                    c.payment_id != exclude))).scalar_one()
        return int(total)

    async def update(self, old: Payment, new: Payment) -> bool:
        if new.state is not old.state and not can_move(old.state, new.state):
            raise IllegalMove(f"payment {old.payment_id}: {old.state} -> {new.state}")
        values = await self._values(new.with_(version=old.version + 1))
        values.pop("created_at")
        c = payments.c
        async with self._engine.begin() as conn:
            moved = await conn.execute(
                update(payments).where(c.payment_id == old.payment_id, c.version == old.version,
                                       c.state == old.state.value)
                .values(updated_at=datetime.now(old.created_at.tzinfo), **values))
        return moved.rowcount == 1
