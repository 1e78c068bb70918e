"""Sensitive actions held while the customer steps up at the bank (policy/step_up.py, conversation/step_up.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.policy.step_up import HeldAction, HeldStatus, Sensitive
from sarraf.store.address_sealing import Addresses
from sarraf.store.channel_state import utc
from sarraf.store.tables.conversation import held_actions


class SqlHeldActions:
    """The customer's address is stored as its keyed hash and opened from their identity when the action runs
    (store/address_sealing.py)."""

    def __init__(self, engine: AsyncEngine, addresses: Addresses) -> None:
        self._engine = engine
        self._addresses = addresses

    async def hold(self, held: HeldAction) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(insert(held_actions).values(
                id=held.held_id, tenant=held.tenant, customer_id=held.customer_id, channel=held.channel,
                sender=await self._addresses.stored(held.channel, held.sender), lang=held.lang,
                action=held.action.value, argument=held.argument,
                login_state=held.login_state, status=held.status.value, created_at=held.created_at,
                expires_at=held.expires_at))

    async def take(self, login_state: str) -> HeldAction | None:
        """The action waiting for this login, moved to RUNNING so that a replayed callback (or a second
        replica) cannot run it again; None when no action waits for it."""
        c = held_actions.c
        async with self._engine.begin() as conn:
            row = (await conn.execute(select(held_actions).where(c.login_state == login_state))).first()
            if row is None or row.status != HeldStatus.WAITING.value:
                return None
            moved = await conn.execute(update(held_actions).where(
                c.id == row.id, c.status == HeldStatus.WAITING.value).values(status=HeldStatus.RUNNING.value))
            if moved.rowcount != 1:
                return None
            sender = await self._addresses.opened_one(conn, row.tenant, row.channel, row.sender)
        return _held(row._mapping, HeldStatus.RUNNING, sender)

    async def finish(self, held_id: str, status: HeldStatus, at: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(update(held_actions).where(held_actions.c.id == held_id).values(
                status=status.value, finished_at=at))

    async def last_step_up(self, tenant: str, customer_id: str) -> datetime | None:
        """When this customer last completed a step-up (None: never, as far as the table remembers)."""
        c = held_actions.c
        async with self._engine.connect() as conn:
            found = (await conn.execute(select(func.max(c.finished_at)).where(
                c.tenant == tenant, c.customer_id == customer_id, c.status == HeldStatus.DONE.value))).scalar()
        return utc(found) if found is not None else None


    async def device_known(self, tenant: str, customer_id: str, device: str) -> bool:
        """Whether this browser (its cookie's digest) once completed a step-up to open the customer's pages."""
        c = held_actions.c
        async with self._engine.connect() as conn:
            found = (await conn.execute(select(c.id).where(
                c.tenant == tenant, c.customer_id == customer_id, c.action == Sensitive.SECURE_PAGE_NEW_DEVICE.value,
                c.argument == device, c.status == HeldStatus.DONE.value).limit(1))).first()
        return found is not None


def _held(row: Any, status: HeldStatus, sender: str) -> HeldAction:
    return HeldAction(held_id=row["id"], tenant=row["tenant"], customer_id=row["customer_id"],
                      channel=row["channel"], sender=sender, lang=row["lang"],
                      action=Sensitive(row["action"]), argument=row["argument"], login_state=row["login_state"],
                      created_at=utc(row["created_at"]), expires_at=utc(row["expires_at"]), status=status)
