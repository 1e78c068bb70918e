"""The bank's console: staff accounts, their sessions and actions, agents' claims and hand-off transcripts.

The hand-off queue itself is `handoff_requests` (tables/core.py), written by the conversation; the console only
reads it and notes here which requests a person has taken."""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
)

from sarraf.store.metadata import metadata

staff_accounts = Table(
    "staff_accounts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("email", String(255), nullable=False),
    Column("role", String(16), nullable=False),  # agent | supervisor | compliance
    Column("password_hash", String(255), nullable=False),  # argon2id, with its own salt and parameters
    Column("totp_sealed", LargeBinary, nullable=False),  # the TOTP secret, envelope-encrypted
    Column("last_totp_step", Integer, nullable=False, server_default="0"),  # a code is good once
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tenant", "email", name="uq_staff_tenant_email"),
)

staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # SHA-256 of the cookie: a database leak logs nobody in
    Column("staff_id", String(36), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

staff_events = Table(
    # what staff did: logins (good and bad), lockouts, claims, replies, hand-backs, refusals
    "staff_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("staff_id", String(36), nullable=True),
    Column("email", String(255), nullable=False),
    Column("action", String(32), nullable=False),
    Column("detail", String(255), nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_staff_events_tenant_id", "tenant", "id"),
)

console_claims = Table(
    # a conversation an agent owns: the bot stays silent in it until the agent hands it back
    "console_claims",
    metadata,
    Column("tenant", String(64), primary_key=True),
    Column("channel", String(32), primary_key=True),
    Column("sender", String(255), primary_key=True),
    Column("customer_id", String(64), nullable=False),
    Column("staff_id", String(36), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
)

console_handled = Table(
    # hand-off requests a person took: the queue is the requests not in here
    "console_handled",
    metadata,
    Column("handoff_id", Integer, primary_key=True),
    Column("staff_id", String(36), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
)

console_transcript = Table(
    # the messages of a conversation from its hand-off on, sealed with the customer's data key
    "console_transcript",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("sender", String(255), nullable=False),
    Column("customer_id", String(64), nullable=False, index=True),
    Column("author", String(16), nullable=False),  # customer | bot | agent
    Column("message", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_console_transcript_conversation", "tenant", "channel", "sender", "id"),
    sqlite_autoincrement=True,
)

console_satisfaction = Table(
    # "how did we do?" once a person handed the conversation back: asked then, answered by a button (1..5)
    "console_satisfaction",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("sender", String(255), nullable=False),
    Column("staff_id", String(36), nullable=False),
    Column("score", Integer, nullable=True),  # null until the customer answers
    Column("asked_at", DateTime(timezone=True), nullable=False),
    Column("answered_at", DateTime(timezone=True), nullable=True),
    Index("ix_console_satisfaction_conversation", "tenant", "channel", "sender", "id"),
    Index("ix_console_satisfaction_tenant_asked", "tenant", "asked_at"),
    sqlite_autoincrement=True,
)

service_outcomes = Table(
    # the customer's answer to "did that help?" after a service answer: what supervisors count as resolved by
    # the bot (helped) or sent on to a person (not helped). Which question and when, never who asked it.
    "service_outcomes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("intent", String(64), nullable=False),
    Column("helped", Boolean, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_service_outcomes_tenant_at", "tenant", "at"),
    sqlite_autoincrement=True,
)
