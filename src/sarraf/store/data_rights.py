"""What we hold about a customer, as they are entitled to see and export it, and its erasure.

Erasure deletes every row keyed by the customer and crypto-shreds their data key, so anything sealed with
it (bank tokens, PKCE verifiers, their pending question, alert data and messages, replies waiting for their
chat, copies we missed) becomes unreadable. The audit log keeps its leaves: they
name the customer only by an HMAC pseudonym, so the log stays verifiable and holds no personal data.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sarraf.store.identity_sealing import opened
from sarraf.store.outbox_sealing import RENDERED
from sarraf.store.sealing import JsonSealer
from sarraf.store.tables.alerts import (
    alert_dead_letters,
    alert_fraud_cases,
    alert_outbox,
    alert_platform_messages,
    alert_preferences,
    card_confirmations,
)
from sarraf.store.tables.channels import (
    alexa_oauth_codes,
    alexa_oauth_requests,
    alexa_oauth_tokens,
    alexa_pending,
    messenger_thread_owners,
    service_windows,
)
from sarraf.store.tables.console import console_claims, console_satisfaction, console_transcript
from sarraf.store.tables.conversation import conversation_context
from sarraf.store.tables.core import (
    bank_links,
    channel_identities,
    channel_outbox,
    customers,
    handoff_requests,
    link_sessions,
)
from sarraf.store.tables.payments import payments


class Shredder(Protocol):
    async def shred(self, owner: str) -> bool: ...


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


class SqlDataRights:
    def __init__(self, engine: AsyncEngine, shredder: Shredder, sealer: JsonSealer) -> None:
        self._engine = engine
        self._shredder = shredder
        self._sealer = sealer

    async def export(self, customer_id: str) -> dict[str, Any]:
        """Everything stored about the customer, in readable form (secrets are described, never shown)."""
        async with self._engine.connect() as conn:
            customer = (await conn.execute(select(customers).where(customers.c.id == customer_id))).mappings().first()
            identities = (
                (await conn.execute(select(channel_identities).where(channel_identities.c.customer_id == customer_id)))
                .mappings()
                .all()
            )
            links = (
                (await conn.execute(select(bank_links).where(bank_links.c.customer_id == customer_id))).mappings().all()
            )
            handoffs = (
                (await conn.execute(select(handoff_requests).where(handoff_requests.c.customer_id == customer_id)))
                .mappings()
                .all()
            )
            alerts = await _alerts_of(conn, customer_id, self._sealer)
            keys = await self._sealer.keys(conn, [customer_id] if identities else [])
        # the chosen alert destination is stored as its identity's keyed hash: the customer sees their own id
        own = {(i["channel"], i["sender"]): opened(keys, customer_id, i["sender_sealed"]) for i in identities}
        for chosen in alerts["preferences"]:
            chosen["sender"] = own.get((chosen.get("channel"), chosen.get("sender")), chosen.get("sender"))
        return {
            "customer": {k: _iso(v) for k, v in (customer or {}).items()},
            "channels": [{"channel": i["channel"], "id": opened(keys, customer_id, i["sender_sealed"])}
                         for i in identities],
            "bank_links": [
                {
                    "bank": link["tenant"],
                    "consent_id": link["consent_id"],
                    "status": link["status"],
                    "permissions": link["permissions"],
                    "expires_at": _iso(link["expires_at"]),
                    "tokens": "held, encrypted with your personal key" if link["tokens_sealed"] else "none",
                }
                for link in links
            ],
            "requests_for_a_person": [
                {"reason": h["reason"], "channel": h["channel"], "at": _iso(h["created_at"])} for h in handoffs
            ],
            "alerts": alerts,
            "audit_log": "decisions about your data are logged under a pseudonym that does not identify you",
        }

    async def erase(self, customer_id: str) -> None:
        async with self._engine.begin() as conn:
            found = (await conn.execute(
                select(channel_identities.c.channel, channel_identities.c.sender,
                       channel_identities.c.sender_sealed).where(
                    channel_identities.c.customer_id == customer_id
                )
            )).all()
            # the other tables name the conversation by the platform id: opened before the key is shredded
            keys = await self._sealer.keys(conn, [customer_id] if found else [])
            for channel, lookup, sender in [(row.channel, row.sender, opened(keys, customer_id, row.sender_sealed))
                                            for row in found]:
                await conn.execute(
                    delete(channel_outbox).where(channel_outbox.c.channel == channel, channel_outbox.c.sender == sender)
                )
                await conn.execute(
                    delete(service_windows).where(
                        service_windows.c.channel == channel, service_windows.c.customer == lookup
                    )
                )
                # these name the conversation by the keyed hash, as channel_identities does (address_sealing.py)
                await conn.execute(delete(console_satisfaction).where(
                    console_satisfaction.c.channel == channel, console_satisfaction.c.sender == lookup))
                if channel == "alexa":
                    await conn.execute(delete(alexa_pending).where(alexa_pending.c.sender == lookup))
                if channel == "messenger":
                    await conn.execute(delete(messenger_thread_owners).where(
                        messenger_thread_owners.c.customer == lookup))
            # Alexa's account-linking grants name the customer: erased customers must be asked to link again.
            for table in (alexa_oauth_tokens, alexa_oauth_codes, alexa_oauth_requests):
                await conn.execute(delete(table).where(table.c.customer_id == customer_id))
            await conn.execute(delete(link_sessions).where(link_sessions.c.customer_id == customer_id))
            await conn.execute(delete(conversation_context).where(conversation_context.c.customer_id == customer_id))
            # Alerts: routed rows name the customer; rows not routed yet only the consent of one of their links.
            consents = select(bank_links.c.consent_id).where(bank_links.c.customer_id == customer_id)
            theirs = select(alert_outbox.c.id).where(alert_outbox.c.customer_id == customer_id)
            await conn.execute(delete(alert_platform_messages).where(alert_platform_messages.c.outbox_id.in_(theirs)))
            await conn.execute(delete(alert_outbox).where(alert_outbox.c.customer_id == customer_id))
            await conn.execute(delete(alert_outbox).where(alert_outbox.c.customer_id.is_(None),
                                                          alert_outbox.c.consent_id.in_(consents)))
            for table in (alert_dead_letters, alert_fraud_cases, alert_preferences, card_confirmations, payments):
                await conn.execute(delete(table).where(table.c.customer_id == customer_id))
            await conn.execute(delete(bank_links).where(bank_links.c.customer_id == customer_id))
            await conn.execute(delete(handoff_requests).where(handoff_requests.c.customer_id == customer_id))
            for table in (console_claims, console_transcript):  # the transcript is sealed too: shredded below
                await conn.execute(delete(table).where(table.c.customer_id == customer_id))
            await conn.execute(delete(channel_identities).where(channel_identities.c.customer_id == customer_id))
            await conn.execute(delete(customers).where(customers.c.id == customer_id))
        # After the rows: if we crash in between, the key still exists and erasure can simply be repeated.
        await self._shredder.shred(customer_id)


async def _alerts_of(conn: AsyncConnection, customer_id: str, sealer: JsonSealer) -> dict[str, Any]:
    prefs = (await conn.execute(select(alert_preferences).where(alert_preferences.c.customer_id == customer_id))
             ).mappings().all()
    messages = (await conn.execute(
        select(alert_outbox.c.tenant, alert_outbox.c.kind, alert_outbox.c.status, alert_outbox.c.channel,
               alert_outbox.c.messages, alert_outbox.c.received_at, alert_outbox.c.sent_at,
               alert_outbox.c.delivered_at, alert_outbox.c.read_at)
        .where(alert_outbox.c.customer_id == customer_id).order_by(alert_outbox.c.id))).mappings().all()
    keys = await sealer.keys(conn, [customer_id])  # the customer's own copy: their messages, opened
    cases = (await conn.execute(select(alert_fraud_cases).where(alert_fraud_cases.c.customer_id == customer_id))
             ).mappings().all()
    return {
        "preferences": [{k: _iso(v) for k, v in p.items() if k != "customer_id"} for p in prefs],
        "messages": [{"bank": m["tenant"], "kind": m["kind"], "status": m["status"], "channel": m["channel"],
                      "content": keys.open(RENDERED, m["messages"]),
                      "received_at": _iso(m["received_at"]), "sent_at": _iso(m["sent_at"]),
                      "delivered_at": _iso(m["delivered_at"]), "read_at": _iso(m["read_at"])}
                     for m in messages],
        "fraud_questions": [{"bank": c["tenant"], "answer": c["status"], "card_freeze": c["freeze"],
                             "bank_case_id": c["bank_case_id"], "channel": c["channel"]} for c in cases],
    }
