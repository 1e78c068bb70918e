"""Payments asked for in chat (domain/payments.py): one row per payment, its state moved by compare-and-set."""

from sqlalchemy import Column, DateTime, Index, Integer, LargeBinary, String, Table, text

from sarraf.store.metadata import metadata

OPEN = "state IN ('draft', 'awaiting_confirmation')"
FOLLOWED = "next_check_at IS NOT NULL OR state = 'submitted'"

payments = Table(
    "payments",
    metadata,
    Column("payment_id", String(64), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("sender", String(255), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("state", String(24), nullable=False),
    Column("version", Integer, nullable=False),  # bumped by every write: the compare-and-set's guard
    Column("amount_minor", Integer, nullable=True),
    Column("currency", String(3), nullable=True),
    Column("asking", String(16), nullable=True),
    # payee, source account, reference, choices, PKCE verifier: sealed with the customer's data key
    Column("sealed", LargeBinary, nullable=False),
    Column("consent_key", String(40), nullable=False),  # x-idempotency-keys, minted with the draft
    Column("payment_key", String(40), nullable=False),
    Column("consent_id", String(128), nullable=True),
    Column("auth_state", String(128), nullable=True, unique=True),
    Column("bank_payment_id", String(128), nullable=True),
    Column("bank_status", String(8), nullable=True),
    Column("reason", String(64), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    # The status follower's schedule (store/payment_follow.py): when the bank is next asked, how often it was
    Column("next_check_at", DateTime(timezone=True), nullable=True),
    Column("checks", Integer, nullable=False, server_default="0"),
    Index("ix_payments_followed", "next_check_at", sqlite_where=text(FOLLOWED), postgresql_where=text(FOLLOWED)),
    Index("ix_payments_open", "tenant", "customer_id", sqlite_where=text(OPEN), postgresql_where=text(OPEN)),
)
