"""Chat-platform state that must survive a restart: customer-service windows, Alexa's waiting messages,
Telegram's one-time deep links, and the Alexa account-linking grants (pending logins, codes, tokens).

Bearer secrets (deep-link payloads, authorisation codes, access and refresh tokens) are kept only as their
SHA-256 hex digest: a copy of the database hands nobody a usable credential.
"""

from sqlalchemy import JSON, Column, DateTime, Integer, String, Table, Text

from sarraf.store.metadata import metadata

service_windows = Table(
    # the last time a customer wrote to a page/number: free-form replies are allowed for 24 hours after it
    "channel_service_windows",
    metadata,
    Column("channel", String(32), primary_key=True),
    Column("account", String(64), primary_key=True),  # the bank whose page/number/bot was written to
    Column("customer", String(255), primary_key=True),
    Column("last_inbound_at", DateTime(timezone=True), nullable=False),
)

messenger_thread_owners = Table(
    # Messenger's Handover Protocol: a conversation another app (the Page Inbox) holds; no row: ours
    "messenger_thread_owners",
    metadata,
    Column("tenant", String(64), primary_key=True),
    Column("customer", String(255), primary_key=True),  # the customer's address on Messenger
    Column("owner_app_id", String(64), nullable=False),
    Column("since", DateTime(timezone=True), nullable=False),
)

alexa_pending = Table(
    # messages produced outside a request (after the bank login, alerts), spoken at the customer's next request
    "alexa_pending_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sender", String(255), nullable=False, index=True),
    Column("payload", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

telegram_deep_links = Table(
    "telegram_deep_links",
    metadata,
    Column("tenant", String(64), primary_key=True),
    Column("payload_hash", String(64), primary_key=True),
    Column("intent", String(64), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

alexa_oauth_requests = Table(
    # an Alexa authorisation request waiting for the bank login it started, keyed by that login's state
    "alexa_oauth_requests",
    metadata,
    Column("link_state", String(128), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("client_id", String(255), nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("alexa_state", Text, nullable=False),
    Column("code_challenge", String(128), nullable=True),  # PKCE (S256) when Alexa sends one
    Column("created_at", DateTime(timezone=True), nullable=False),
)

alexa_oauth_codes = Table(
    "alexa_oauth_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("client_id", String(255), nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("code_challenge", String(128), nullable=True),
    Column("grant_id", String(64), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),  # kept after use so a replay revokes the grant
)

alexa_oauth_tokens = Table(
    "alexa_oauth_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("kind", String(8), nullable=False),  # "access" or "refresh"
    Column("tenant", String(64), nullable=False),
    Column("customer_id", String(64), nullable=False, index=True),
    Column("client_id", String(255), nullable=False),
    Column("grant_id", String(64), nullable=False, index=True),  # every token born of one authorisation code
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

secure_link_claims = Table(
    # the browser a secure link was first opened in (#17 finding 10): the link opens there and nowhere else
    "secure_link_claims",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # SHA-256 of the link's token, never the token
    Column("browser_hash", String(64), nullable=False),  # digest of that browser's cookie, never the cookie
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),  # the link's own expiry
)
