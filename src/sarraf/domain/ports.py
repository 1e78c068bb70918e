"""Ports: what the core needs from the outside world, as small Protocols. Adapters live in banks/, store/, ..."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sarraf.domain.banking import Account, Balance, Transaction
from sarraf.domain.consent import ConsentStatus, Tokens


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
