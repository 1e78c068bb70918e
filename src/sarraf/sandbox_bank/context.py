"""What every sandbox route needs: its state store, the seeded ledgers, the clock and the client it trusts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import Request

from sarraf.sandbox_bank.activity import Activity
from sarraf.sandbox_bank.ledger import PaymentLedger
from sarraf.sandbox_bank.seed import SeededBank
from sarraf.sandbox_bank.store import Consent, Store

# The consent states from which time alone can move a consent to EXPD.
EXPIRABLE = ("AWAU", "AUTH")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Client:
    client_id: str
    client_secret: str
    name: str


@dataclass(slots=True)
class Sandbox:
    store: Store
    bank: SeededBank
    client: Client
    now: Callable[[], datetime]
    access_token_ttl: int
    code_ttl: int = 60
    auth_request_ttl: int = 600
    ledger: PaymentLedger | None = None  # payments (ledger.py); set by create_app
    activity: Activity | None = None  # standard-events mode only (activity.py)
    events_mode: str = "sarraf"  # "standard": only OB's standard events (activity.py)

    def consent(self, consent_id: str) -> Consent | None:
        """The consent as of now: one past its ExpirationDateTime is moved to EXPD on the way out."""
        consent = self.store.consent(consent_id)
        if consent is None:
            return None
        now = self.now()
        if consent.status in EXPIRABLE and consent.expires_at is not None and now >= consent.expires_at:
            self.store.set_consent_status(consent_id, "EXPD", now, only_from=EXPIRABLE)
            consent = self.store.consent(consent_id)
        return consent


def sandbox(request: Request) -> Sandbox:
    """FastAPI dependency; works when the sandbox is mounted inside another app (scope['app'] is ours)."""
    sb: Sandbox = request.app.state.sandbox
    return sb
