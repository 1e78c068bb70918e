"""Alerts: the transactional outbox of bank events, its dead letters, customers' alert preferences and the
fraud cases waiting for a "was this you?" answer."""

from sqlalchemy import JSON, Boolean, Column, DateTime, Index, Integer, String, Table, Text, UniqueConstraint, text

from sarraf.store.metadata import metadata

RECEIVED = "status = 'received'"
READY = "status = 'ready'"

alert_outbox = Table(
    # One row per accepted bank event, written before the bank gets its 2xx. status moves
    # received -> ready (routed, rendered) -> sent, or to filtered / superseded / dead.
    "alert_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("event_id", String(160), nullable=False),  # the SET's jti: a bank that re-sends is absorbed here
    Column("kind", String(32), nullable=False),
    Column("consent_id", String(128), nullable=False),
    Column("stream", String(200), nullable=True),  # events on one stream supersede older ones
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("data", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("lane", String(8), nullable=False, server_default="normal"),  # "urgent" (fraud) never waits behind
    Column("customer_id", String(64), nullable=True),
    Column("channel", String(32), nullable=True),
    Column("sender", String(255), nullable=True),
    Column("messages", JSON, nullable=True),  # rendered, channel-neutral Outbound messages
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("available_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("delivered_at", DateTime(timezone=True), nullable=True),  # from the platform's receipts, where it
    Column("read_at", DateTime(timezone=True), nullable=True),  # gives them (Messenger, WhatsApp)
    Column("last_error", Text, nullable=True),
    UniqueConstraint("tenant", "event_id", name="uq_alert_outbox_event"),
    # Partial indexes: each covers only the rows still in play (received, or ready to send), so a row that
    # has been sent, filtered or superseded (nearly all of them, as the table grows) is in none of them and
    # costs nothing to keep; writes touch two or three indexes instead of five. Queries must name the status
    # as a literal (see store/alerts_outbox.py): a bound parameter cannot select a partial index.
    Index("ix_alert_outbox_received", "id", sqlite_where=text(RECEIVED), postgresql_where=text(RECEIVED)),
    Index("ix_alert_outbox_ready", "id", "available_at", sqlite_where=text(READY), postgresql_where=text(READY)),
    Index("ix_alert_outbox_lane", "customer_id", "lane", "id", sqlite_where=text(READY),
          postgresql_where=text(READY)),
    Index("ix_alert_outbox_on_stream", "tenant", "consent_id", "stream", sqlite_where=text("stream IS NOT NULL"),
          postgresql_where=text("stream IS NOT NULL")),
)

alert_platform_messages = Table(
    # The platform's ids of what an alert was sent as: its delivery and read receipts name these.
    "alert_platform_messages",
    metadata,
    Column("channel", String(32), primary_key=True),
    Column("message_id", String(255), primary_key=True),
    Column("outbox_id", Integer, nullable=False, index=True),
)

alert_dead_letters = Table(
    "alert_dead_letters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("outbox_id", Integer, nullable=False, index=True),
    Column("tenant", String(64), nullable=False),
    Column("event_id", String(160), nullable=False),
    Column("customer_id", String(64), nullable=True),
    Column("channel", String(32), nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

alert_preferences = Table(
    "alert_preferences",
    metadata,
    Column("tenant", String(64), primary_key=True),
    Column("customer_id", String(64), primary_key=True),
    Column("opted_in", Boolean, nullable=False),  # notifications are an opt-in; fraud alerts need none
    Column("disabled", JSON, nullable=False),  # alert groups switched off
    Column("channel", String(32), nullable=True),  # where to send; None: where the customer last wrote
    Column("sender", String(255), nullable=True),
    Column("quiet_start", String(5), nullable=True),  # "22:00" in the customer's time zone
    Column("quiet_end", String(5), nullable=True),
    Column("timezone", String(64), nullable=False),
    Column("low_balance_below", String(32), nullable=True),
    Column("large_from", String(32), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

alert_fraud_cases = Table(
    "alert_fraud_cases",
    metadata,
    Column("tenant", String(64), primary_key=True),
    Column("event_id", String(160), primary_key=True),
    Column("customer_id", String(64), nullable=False, index=True),
    Column("card_id", String(64), nullable=False),
    Column("data", JSON, nullable=False),
    Column("status", String(16), nullable=False),  # asked, genuine, fraud, human
    Column("freeze", String(16), nullable=False, server_default="none"),  # none, pending, done
    # While a freeze attempt is under way (in any process) it holds the case until this time; see FraudDesk.
    Column("freeze_lease_until", DateTime(timezone=True), nullable=True),
    Column("bank_case_id", String(64), nullable=True),
    Column("channel", String(32), nullable=False),
    Column("sender", String(255), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("escalations", Integer, nullable=False, server_default="0"),
    Column("deadline_at", DateTime(timezone=True), nullable=False, index=True),
    Column("answered_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

card_confirmations = Table(
    # A permanent card block (lost or stolen) offered in chat and waiting for the customer's explicit yes;
    # one per customer (a newer offer replaces it), gone once answered or expired.
    "card_confirmations",
    metadata,
    Column("tenant", String(64), primary_key=True),
    Column("customer_id", String(64), primary_key=True),
    Column("action", String(16), nullable=False),  # report_lost or report_stolen (CardAction values)
    Column("card_id", String(64), nullable=False),
    Column("last4", String(4), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

alert_derivation_memory = Table(
    # Banks with only OB's standard events (alerts/standard.py): per account, what earlier derivations saw —
    # transaction ids and the key their alerts are named by, pending rows waiting to book, known merchants
    # and direct debit payees, whether the balance was low — and when the account was last read. Written
    # after the derived alerts are in the outbox: a crash in between derives the same ids again.
    "alert_derivation_memory",
    metadata,
    Column("tenant", String(64), primary_key=True),
    Column("account_id", String(128), primary_key=True),
    Column("customer_id", String(64), nullable=False),
    Column("memory", JSON, nullable=False),
    Column("last_booking_at", DateTime(timezone=True), nullable=True),  # the fetch window starts before it
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
