"""Short-lived conversation context: the question a customer is being asked and the last one they asked.

Kept in the database, not in a process, because the next message of a conversation may reach another replica.
"""

from sqlalchemy import JSON, Column, DateTime, Index, String, Table

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

held_actions = Table(
    # A sensitive action waiting for the customer's step-up at the bank (policy/step_up.py): run once when the
    # login comes back in time, never when it fails or comes late. Finished rows stay: the newest "done" one
    # is when the customer last stepped up, which lets later actions through for the bank's freshness window.
    "held_actions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("sender", String(255), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("action", String(32), nullable=False),  # a policy.step_up.Sensitive value
    Column("argument", String(255), nullable=True),  # what the action acts on (a card id), when known
    Column("login_state", String(128), nullable=False, unique=True),  # the bank login's OAuth state
    Column("status", String(16), nullable=False),  # waiting | running | done | failed | expired
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Index("ix_held_actions_customer", "tenant", "customer_id", "status"),
)
