"""Ports: what the core needs from the outside world, as small Protocols. Adapters live in banks/, store/, ..."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sarraf.domain.banking import Account, Balance, Transaction
from sarraf.domain.consent import BankLink, ConsentStatus, LinkSession, PendingLogin, Tokens
from sarraf.domain.events import CardAction, PaymentCard
from sarraf.domain.service_items import ActivityItem, CardDelivery, ExchangeRate


@dataclass(frozen=True, slots=True)
class ConsentHandle:
    consent_id: str
    status: ConsentStatus
    permissions: tuple[str, ...]
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class AuthorisationStart:
    """Where to send the customer to log in at their bank, and what we must remember to finish."""

    url: str
    state: str
    code_verifier: str
    consent_id: str


class BankConnector(Protocol):
    """One bank API (OB v4.0 over HTTP for every bank we ship). Raises BankUnavailable / ConsentUnusable."""

    tenant: str

    async def start_linking(self, permissions: Sequence[str], redirect_uri: str) -> AuthorisationStart: ...

    async def finish_linking(self, code: str, code_verifier: str, redirect_uri: str) -> Tokens: ...

    async def refresh(self, tokens: Tokens) -> Tokens: ...

    async def get_consent(self, consent_id: str) -> ConsentHandle: ...

    async def revoke_consent(self, consent_id: str) -> None: ...

    async def accounts(self, tokens: Tokens) -> list[Account]: ...

    async def balances(self, tokens: Tokens, account_id: str) -> list[Balance]: ...

    async def transactions(
        self, tokens: Tokens, account_id: str, since: datetime | None, until: datetime | None
    ) -> list[Transaction]: ...

    # Card controls (a bank extension next to OB v4.0); called only through policy/actions.py.

    async def cards(self, tokens: Tokens) -> list[PaymentCard]: ...

    async def card_action(self, tokens: Tokens, card_id: str, action: CardAction) -> PaymentCard: ...

    async def open_case(self, tokens: Tokens, card_id: str, reason: str, reference: str) -> str:
        """Open a dispute / fraud case at the bank; returns the bank's case id. Idempotent per reference."""
        ...

    # Service extension (what is behind a service question); called only through policy/point.py.

    async def activity(self, tokens: Tokens) -> list[ActivityItem]: ...

    async def card_deliveries(self, tokens: Tokens) -> list[CardDelivery]: ...

    async def rates(self, base: str) -> list[ExchangeRate]: ...


class LinkRepository(Protocol):
    """Where a customer's bank link (consent + tokens, encrypted at rest by the adapter) is kept."""

    async def get(self, tenant: str, customer_id: str, *, unseal: bool = True) -> BankLink | None:
        """With ``unseal=False`` the tokens stay encrypted and the link says only that it holds them."""
        ...

    async def save(self, link: BankLink) -> None: ...

    async def delete(self, tenant: str, customer_id: str) -> None: ...


class LinkSessionStore(Protocol):
    """Pending bank logins keyed by OAuth state; `take` returns a session at most once."""

    async def put(self, session: LinkSession) -> None: ...

    async def begin(self, state: str, return_to: str | None) -> str | None: ...

    async def pending(self, state: str) -> PendingLogin | None: ...

    async def bind(self, state: str, browser: str, return_to: str | None) -> str | None:
        """Give the login to this browser (once; the same browser again is fine): the bank's login URL, or
        None when the state is unknown or another browser holds it."""

    async def take(self, state: str) -> LinkSession | None: ...
