"""Platform receipts for alerts: delivered and read times on the outbox rows they cover (which name the customer
by the keyed hash of their address, store/address_sealing.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.domain.messages import Receipt
from sarraf.store.address_sealing import Addresses
from sarraf.store.tables.alerts import alert_outbox, alert_platform_messages


class SqlAlertReceipts:
    def __init__(self, engine: AsyncEngine, addresses: Addresses) -> None:
        self._engine = engine
        self._addresses = addresses

    async def record_receipt(self, channel: str, sender: str, receipt: Receipt) -> int:
        """Delivered or read, by the platform's message ids (kept when the alert was sent); or every alert sent
        to this customer up to the watermark (Messenger's read receipts, web chat's fetch); or every alert
        already delivered to them (web chat's page shown). The first receipt's time stands; read implies
        delivered. Returns how many alerts changed."""
        t = alert_outbox.c
        sender = await self._addresses.stored(channel, sender)
        at = receipt.at or receipt.watermark or datetime.now(UTC)
        values: dict[str, Any] = {"delivered_at": func.coalesce(t.delivered_at, at)}
        if receipt.status == "read":
            values["read_at"] = func.coalesce(t.read_at, at)
        which: Any
        if receipt.message_ids:
            p = alert_platform_messages.c
            which = t.id.in_(select(p.outbox_id).where(p.channel == channel, p.message_id.in_(receipt.message_ids)))
        elif receipt.watermark is not None:
            which = and_(t.channel == channel, t.sender == sender, t.status == "sent", t.sent_at <= receipt.watermark)
        elif receipt.covers_delivered:
            which = and_(t.channel == channel, t.sender == sender, t.status == "sent", t.delivered_at.is_not(None))
        else:
            return 0
        # Only rows the receipt changes: a watermark covers every earlier alert, already marked or not, and a
        # web chat polling every second or two must not rewrite its whole history each time.
        unmarked = t.read_at.is_(None) if receipt.status == "read" else t.delivered_at.is_(None)
        async with self._engine.begin() as conn:
            result = await conn.execute(update(alert_outbox).where(which, unmarked).values(**values))
        return int(result.rowcount or 0)
