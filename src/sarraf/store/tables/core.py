"""Customers, their channel identities, bank links, linking sessions and conversation state."""

from sqlalchemy import JSON, Column, DateTime, Index, Integer, LargeBinary, String, Table, Text, UniqueConstraint

from sarraf.store.metadata import metadata

customers = Table(
    "customers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("lang", String(8), nullable=True),  # last language the customer wrote in
    Column("created_at", DateTime(timezone=True), nullable=False),
)

channel_identities = Table(
    "channel_identities",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("channel", String(32), nullable=False),
    # a keyed hash of the platform id, what lookups use (store/identity_sealing.py); never the id in clear
    Column("sender", String(255), nullable=False),
    Column("customer_id", String(64), nullable=False, index=True),
    # the platform id sealed with the customer's data key, opened only to deliver to it
    Column("sender_sealed", LargeBinary, nullable=False),
    UniqueConstraint("tenant", "channel", "sender", name="uq_channel_identity"),
)

bank_links = Table(
    "bank_links",
    metadata,
    Column("tenant", String(64), primary_key=True),
    Column("customer_id", String(64), primary_key=True),
    Column("consent_id", String(128), nullable=False),
    Column("status", String(8), nullable=False),
    Column("permissions", JSON, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    # access + refresh tokens, envelope-encrypted with the customer's data key; never stored in clear
    Column("tokens_sealed", LargeBinary, nullable=True),
    Column("reminded_at", DateTime(timezone=True), nullable=True),  # last "your consent ends soon" message
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # bank events name a consent, not a customer: routing looks the customer up by it for every alert
    Index("ix_bank_links_tenant_consent", "tenant", "consent_id"),
)

link_sessions = Table(
    "link_sessions",
    metadata,
    Column("state", String(128), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("sender_sealed", LargeBinary, nullable=False),  # the platform id to answer, sealed (customer's key)
    Column("consent_id", String(128), nullable=False),
    Column("verifier_sealed", LargeBinary, nullable=False),
    # what the customer asked before we sent them to the bank: their own words, sealed with their data key
    Column("resume_sealed", LargeBinary, nullable=True),
    Column("authorize_url", Text, nullable=False, server_default=""),
    Column("return_to", Text, nullable=True),
    Column("browser", String(64), nullable=True),  # SHA-256 of the cookie of the browser allowed to finish
    Column("created_at", DateTime(timezone=True), nullable=False),
)

processed_messages = Table(
    "processed_messages",
    metadata,
    Column("channel", String(32), primary_key=True),
    Column("message_id", String(255), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

channel_outbox = Table(
    # replies pushed to a customer outside a request (after linking, alerts) for pull-based channels
    "channel_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(32), nullable=False),
    Column("sender", String(255), nullable=False, index=True),
    Column("payload", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Ids only grow, even after rows are deleted: the web chat's cursor relies on it.
    sqlite_autoincrement=True,
)

handoff_requests = Table(
    # customers waiting for a person; the agent console (a later issue) reads this queue
    "handoff_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("customer_id", String(64), nullable=False, index=True),
    Column("channel", String(32), nullable=False),
    Column("sender", String(255), nullable=False),
    Column("reason", String(64), nullable=False),  # an intent name, never the customer's words
    Column("created_at", DateTime(timezone=True), nullable=False),
)
