"""The payment status follower's schedule in SQL (alerts/payment_follow.py): which submitted payments are due a
look at their bank, claimed atomically so replicas never ask twice at once.

A claim is a compare-and-set on the row's `next_check_at`: the replica whose UPDATE still finds the value it
read owns the check and has already written the next one (the back-off), so a replica that dies mid-check
leaves the payment due again at that time, never lost. The state machine's own column (`version`) is left
alone: claiming never races a move of the payment.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.domain.payments import Payment, PaymentState
from sarraf.store.payments import SqlPayments
from sarraf.store.tables.payments import payments

SETTLED = (PaymentState.COMPLETED.value, PaymentState.REJECTED.value)


class SqlPaymentFollow:
    def __init__(self, engine: AsyncEngine, repo: SqlPayments) -> None:
        self._engine = engine
        self._repo = repo

    async def claim(self, now: datetime, limit: int, wait: Callable[[int], timedelta]) -> list[Payment]:
        """Up to `limit` payments due a check, each now owned by this caller until `now + wait(checks)`:
        submitted ones whose bank answer is known to be pending (or was lost), and settled ones still carrying
        a check time (settled by a check whose customer message may not have been written)."""
        c = payments.c
        # A payment never checked waits one back-off after its last write: the callback that submitted it has
        # told the customer it is pending and let go of it (an immediate re-send could race its own).
        due = or_(and_(c.next_check_at.is_(None), c.updated_at <= now - wait(0)), c.next_check_at <= now)
        pending = and_(c.state == PaymentState.SUBMITTED.value,
                       or_(c.bank_payment_id.is_not(None), c.reason == "unconfirmed"), due)
        unfinished = and_(c.state.in_(SETTLED), c.next_check_at.is_not(None), c.next_check_at <= now)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(c.payment_id, c.next_check_at, c.checks)
                                       .where(or_(pending, unfinished))
                                       .order_by(c.next_check_at, c.payment_id).limit(limit))).all()
        claimed = []
        for row in rows:
            async with self._engine.begin() as conn:
                seen = c.next_check_at.is_(None) if row.next_check_at is None else c.next_check_at == row.next_check_at
                won = await conn.execute(update(payments).where(c.payment_id == row.payment_id, seen)
                                         .values(next_check_at=now + wait(row.checks), checks=row.checks + 1))
            if won.rowcount == 1 and (found := await self._repo.get(row.payment_id)) is not None:
                claimed.append(found)
        return claimed

    async def done(self, payment_id: str) -> None:
        """The payment is settled and its customer told: no more checks."""
        c = payments.c
        async with self._engine.begin() as conn:
            await conn.execute(update(payments).where(c.payment_id == payment_id, c.state.in_(SETTLED))
                               .values(next_check_at=None))
