"""Offers (issue #16): who opted in to the bank's offers, and which offers were let through to whom (the
frequency caps count these)."""

from sqlalchemy import Boolean, Column, DateTime, Index, String, Table

from sarraf.store.metadata import metadata

offer_optins = Table(
    # The customer's own yes or no to offers, said in chat; no row: never asked, which means no.
    "offer_optins",
    metadata,
    Column("tenant", String(64), primary_key=True),
    Column("customer_id", String(64), primary_key=True),
    Column("opted_in", Boolean, nullable=False),
    Column("channel", String(32), nullable=True),  # where the customer said it ("why am I seeing this?")
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

offer_sends = Table(
    # One row per offer routed to a customer (ready to send): keyed by the event, so routing the same event
    # again after a crash counts it once.
    "offer_sends",
    metadata,
    Column("tenant", String(64), primary_key=True),
    Column("event_id", String(160), primary_key=True),
    Column("customer_id", String(64), nullable=False),
    Column("routed_at", DateTime(timezone=True), nullable=False),
    Index("ix_offer_sends_customer", "tenant", "customer_id", "routed_at"),
    Index("ix_offer_sends_bank", "tenant", "routed_at"),
)
