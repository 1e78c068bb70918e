"""Short-lived conversation context: the question a customer is being asked and the last one they asked.

Kept in the database, not in a process, because the next message of a conversation may reach another replica.
"""

from sqlalchemy import JSON, Column, DateTime, String, Table

from sarraf.store.metadata import metadata

conversation_context = Table(
    "conversation_context",
    metadata,
    Column("tenant", String(64), primary_key=True),
    Column("customer_id", String(64), primary_key=True),
    Column("channel", String(32), primary_key=True),
    # {"pending": "confirm_erase" | "offer_handoff" | null, "question": {intent, start, end, category, merchant}}
    Column("state", JSON, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)
