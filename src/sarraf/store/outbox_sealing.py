"""What the alert outbox seals, and how, so that its SQL stays about queueing (store/alerts_outbox.py).

The bank's event data (merchant, amount, card's last 4, transaction id), the messages rendered from it and the
payloads handed over to the web chat are personal data: each is sealed with the data key of the customer it
is about (store/sealing.py), read for a whole batch with one query on the outbox's own connection."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from sarraf.domain.events import BankEvent
from sarraf.store.sealing import DataKeys, JsonSealer
from sarraf.store.tables.core import bank_links

EVENT_DATA, RENDERED, CHAT_MESSAGE = "alert-data", "alert-messages", "chat-message"


async def sealed_event_data(sealer: JsonSealer, conn: AsyncConnection, events: Sequence[BankEvent]) -> list[Any]:
    """Each event's data sealed with the key of the customer holding its consent: one query for the owners,
    one for their keys, per batch. An event for a consent nobody holds here keeps nothing: routing filters
    it, and its data is not ours to keep."""
    owners: dict[tuple[str, str], str] = {}
    for tenant in dict.fromkeys(event.tenant for event in events):
        consents = list(dict.fromkeys(e.consent_id for e in events if e.tenant == tenant))
        found = await conn.execute(select(bank_links.c.consent_id, bank_links.c.customer_id).where(
            bank_links.c.tenant == tenant, bank_links.c.consent_id.in_(consents)))
        owners.update({(tenant, row.consent_id): row.customer_id for row in found})
    keys = await sealer.keys(conn, owners.values(), create=True)
    return [keys.seal(owner, EVENT_DATA, event.data) if (owner := owners.get((event.tenant, event.consent_id)))
            else {} for event in events]


async def keys_for(sealer: JsonSealer, conn: AsyncConnection, stored: Iterable[Any]) -> DataKeys:
    """The data keys that open these stored values (each names its owner beside the ciphertext)."""
    return await sealer.keys(conn, {v["owner"] for v in stored if isinstance(v, dict) and "owner" in v})


def sealed_messages(keys: DataKeys, owner: str | None, messages: Sequence[dict[str, Any]] | None) -> Any:
    if not messages:
        return None
    if owner is None:  # routing renders messages only for a customer; anything else is a bug, not data to keep
        raise ValueError("rendered messages without a customer to seal them for")
    return keys.seal(owner, RENDERED, list(messages))


async def sealed_payloads(sealer: JsonSealer, conn: AsyncConnection, payloads: Sequence[dict[str, Any]]
                          ) -> list[dict[str, Any]]:
    """Hand-over rows ({channel, sender, payload, owner}) with their payload sealed for the owner."""
    keys = await sealer.keys(conn, {_owner(p) for p in payloads}, create=True)
    return [{"channel": p["channel"], "sender": p["sender"],
             "payload": keys.seal(_owner(p), CHAT_MESSAGE, p["payload"])} for p in payloads]


def _owner(payload: dict[str, Any]) -> str:
    # Alerts are handed over only to a routed customer; the chat address is the owner of last resort.
    return str(payload.get("owner") or f"chat:{payload['channel']}:{payload['sender']}")
