"""A customer's link to their bank: an Open Banking consent and the tokens it granted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum


class ConsentStatus(StrEnum):
    """OB v4.0 account-access-consent status codes."""

    AWAITING_AUTHORISATION = "AWAU"
    AUTHORISED = "AUTH"
    REJECTED = "RJCT"
    CANCELLED = "CANC"
    EXPIRED = "EXPD"

    @property
    def usable(self) -> bool:
        return self is ConsentStatus.AUTHORISED


@dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str
    refresh_token: str | None
    expires_at: datetime

    def expired(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) >= self.expires_at


@dataclass(frozen=True, slots=True)
class BankLink:
    tenant: str
    customer_id: str
    consent_id: str
    status: ConsentStatus
    permissions: tuple[str, ...]
    expires_at: datetime | None
    tokens: Tokens | None = None
    # The store holds tokens but was asked not to unseal them: a disclosure decision needs only to know
    # that they exist, and a denied or link-only disclosure should never decrypt them.
    tokens_withheld: bool = False

    @property
    def has_tokens(self) -> bool:
        return self.tokens is not None or self.tokens_withheld

    def usable(self, now: datetime | None = None) -> bool:
        if not self.status.usable or not self.has_tokens:
            return False
        return self.expires_at is None or (now or datetime.now(UTC)) < self.expires_at


LINK_SESSION_TTL = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class LinkSession:
    state: str
    tenant: str
    customer_id: str
    channel: str
    sender: str
    consent_id: str
    code_verifier: str
    resume_text: str | None
    created_at: datetime
    authorize_url: str = ""  # the bank's login page for this attempt
    return_to: str | None = None  # where a platform with native account linking wants the customer back
    # SHA-256 of the cookie of the one browser allowed to finish this login (web/browser_binding.py); None
    # until a browser has proved it belongs to the chat that asked, or its person confirmed the chat.
    browser: str | None = None

    def expired(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) - self.created_at > LINK_SESSION_TTL


@dataclass(frozen=True, slots=True)
class PendingLogin:
    """A login waiting for its browser, as /link/start sees it: whose chat asked, and which browser holds it."""

    state: str
    tenant: str
    customer_id: str
    channel: str
    sender: str
    browser: str | None
    created_at: datetime

    def expired(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) - self.created_at > LINK_SESSION_TTL
