"""Alexa account linking with the gateway as the OAuth 2.0 authorisation server (authorization code grant).

Documentation followed (developer.amazon.com/docs/alexa/account-linking): configure-authorization-code-grant
(Alexa calls our authorisation URI with client_id, response_type=code, state, redirect_uri and, when enabled,
PKCE's code_challenge; it exchanges the code at our access-token URI with HTTP Basic or body credentials and
refreshes with the refresh token), and RFC 6749 §4.1 / §6 / §10.5 (single-use, short-lived codes; a replayed
code revokes what it issued) and RFC 7636 (S256).

The customer proves who they are at their bank, through the same /link/start and /link/callback as every
other channel; what Alexa receives is only our own opaque token, which names our customer id to us and
nothing to anyone else. Tokens and codes are stored as SHA-256 digests (store/alexa_grants.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

# Amazon's documented redirect URLs for account linking: https://<host>/api/skill/link/<vendor id>
ALEXA_REDIRECT_HOSTS = frozenset({"pitangui.amazon.com", "layla.amazon.com", "alexa.amazon.co.jp"})
REDIRECT_PATH = re.compile(r"^/api/skill/link/([A-Za-z0-9]{1,64})$")
CODE_TTL = timedelta(minutes=2)
ACCESS_TTL = timedelta(hours=1)
REFRESH_TTL = timedelta(days=90)
REQUEST_TTL = timedelta(minutes=30)  # an authorisation waiting for its bank login
PKCE_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")


class OAuthError(Exception):
    """An RFC 6749 error code (never a secret) and the HTTP status to answer with."""

    def __init__(self, error: str, status: int = 400) -> None:
        super().__init__(error)
        self.error = error
        self.status = status


@dataclass(frozen=True, slots=True)
class AlexaClient:
    """One bank's skill as an OAuth client of ours."""

    tenant: str
    client_id: str
    client_secret: str
    vendor_id: str = ""  # when set, only this Alexa vendor's redirect path is accepted


@dataclass(frozen=True, slots=True)
class PendingAuthorization:
    link_state: str  # the state of the bank login this authorisation waits for
    tenant: str
    customer_id: str
    client_id: str
    redirect_uri: str
    alexa_state: str
    code_challenge: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CodeGrant:
    tenant: str
    customer_id: str
    client_id: str
    redirect_uri: str
    code_challenge: str | None
    grant_id: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class TokenOwner:
    tenant: str
    customer_id: str
    client_id: str
    grant_id: str


class GrantStore(Protocol):
    async def remember(self, pending: PendingAuthorization, prune_before: datetime) -> None: ...

    async def take_request(self, link_state: str) -> PendingAuthorization | None: ...

    async def put_code(self, code: str, grant: CodeGrant, prune_before: datetime) -> None: ...

    async def use_code(self, code: str, now: datetime) -> tuple[CodeGrant, bool] | None:
        """The grant behind a code and whether this call was its first use (marked used atomically)."""

    async def put_tokens(self, owner: TokenOwner, access: str, access_expires: datetime, refresh: str,
                         refresh_expires: datetime) -> None: ...

    async def take_refresh(self, refresh: str, now: datetime) -> TokenOwner | None:
        """The owner of a live refresh token, which is deleted in the same transaction (rotation)."""

    async def owner_of_access(self, access: str, now: datetime) -> TokenOwner | None: ...

    async def revoke_grant(self, grant_id: str) -> None: ...

    async def has_live_tokens(self, tenant: str, customer_id: str, now: datetime) -> bool: ...

    async def revoke_customer(self, tenant: str, customer_id: str) -> int: ...


def redirect_allowed(uri: str, vendor_id: str = "") -> bool:
    """Only Amazon's own account-linking redirect URLs, over https, exactly: no port, user, query or fragment."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return False
    match = REDIRECT_PATH.match(parts.path)
    return (parts.scheme == "https" and parts.hostname in ALEXA_REDIRECT_HOSTS and parts.netloc == parts.hostname
            and port is None and not parts.query and not parts.fragment and match is not None
            and (not vendor_id or match.group(1) == vendor_id))


def with_query(uri: str, **values: str) -> str:
    return f"{uri}{'&' if urlsplit(uri).query else '?'}{urlencode(values)}"


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class AlexaAccountLinking:
    def __init__(self, clients: Iterable[AlexaClient], store: GrantStore,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        found = [c for c in clients if c.client_id and c.client_secret]
        ids = [c.client_id for c in found]
        # Two banks under one client_id could not be told apart: neither is served (fail closed).
        self._clients = [c for c in found if ids.count(c.client_id) == 1]
        self._store = store
        self._clock = clock

    def tenants(self) -> set[str]:
        return {c.tenant for c in self._clients}

    def client(self, client_id: str) -> AlexaClient | None:
        for candidate in self._clients:
            if hmac.compare_digest(candidate.client_id.encode(), client_id.encode()):
                return candidate
        return None

    def authenticate(self, client_id: str, client_secret: str) -> AlexaClient:
        client = self.client(client_id)
        # Compare a secret even for an unknown client, so timing does not tell which client ids exist.
        expected = client.client_secret if client else secrets.token_hex(16)
        if not hmac.compare_digest(expected.encode(), client_secret.encode()) or client is None:
            raise OAuthError("invalid_client", 401)
        return client

    async def remember(self, client: AlexaClient, link_state: str, customer_id: str, redirect_uri: str,
                       alexa_state: str, code_challenge: str | None) -> None:
        now = self._clock()
        await self._store.remember(PendingAuthorization(link_state, client.tenant, customer_id, client.client_id,
                                                        redirect_uri, alexa_state, code_challenge, now),
                                   now - REQUEST_TTL)

    async def after_login(self, link_state: str) -> str | None:
        """Where the browser goes once the bank login succeeded: Alexa's redirect_uri with our code and its
        state. None when this login was not started by Alexa's account linking."""
        pending = await self._store.take_request(link_state)
        if pending is None:
            return None
        now = self._clock()
        code = secrets.token_urlsafe(32)
        await self._store.put_code(code, CodeGrant(pending.tenant, pending.customer_id, pending.client_id,
                                                   pending.redirect_uri, pending.code_challenge,
                                                   secrets.token_hex(16), now + CODE_TTL), now - REFRESH_TTL)
        return with_query(pending.redirect_uri, code=code, state=pending.alexa_state)

    async def after_failed_login(self, link_state: str) -> str | None:
        pending = await self._store.take_request(link_state)
        if pending is None:
            return None
        return with_query(pending.redirect_uri, error="access_denied", state=pending.alexa_state)

    async def exchange_code(self, client: AlexaClient, code: str, redirect_uri: str | None,
                            code_verifier: str | None) -> dict[str, Any]:
        used = await self._store.use_code(code, self._clock())
        if used is None:
            raise OAuthError("invalid_grant")
        grant, first_use = used
        if not first_use:
            await self._store.revoke_grant(grant.grant_id)  # RFC 6749 §4.1.2: a replayed code was stolen
            raise OAuthError("invalid_grant")
        if grant.expires_at < self._clock() or grant.client_id != client.client_id:
            raise OAuthError("invalid_grant")
        if redirect_uri is not None and redirect_uri != grant.redirect_uri:
            raise OAuthError("invalid_grant")
        if grant.code_challenge is not None and not (
                code_verifier and PKCE_VERIFIER.match(code_verifier)
                and hmac.compare_digest(s256(code_verifier), grant.code_challenge)):
            raise OAuthError("invalid_grant")
        return await self._issue(TokenOwner(grant.tenant, grant.customer_id, grant.client_id, grant.grant_id))

    async def refresh(self, client: AlexaClient, refresh_token: str) -> dict[str, Any]:
        owner = await self._store.take_refresh(refresh_token, self._clock())
        if owner is None or owner.client_id != client.client_id:
            raise OAuthError("invalid_grant")
        return await self._issue(owner)

    async def customer_for(self, tenant: str, access_token: str) -> str | None:
        """Our customer behind an access token Alexa forwarded; None when unknown, expired or another bank's."""
        owner = await self._store.owner_of_access(access_token, self._clock())
        return owner.customer_id if owner is not None and owner.tenant == tenant else None

    async def linked_in_app(self, tenant: str, customer_id: str) -> bool:
        """The customer holds live tokens of ours, i.e. was linked through Alexa's account linking."""
        return await self._store.has_live_tokens(tenant, customer_id, self._clock())

    async def forget(self, tenant: str, customer_id: str) -> None:
        await self._store.revoke_customer(tenant, customer_id)

    async def _issue(self, owner: TokenOwner) -> dict[str, Any]:
        now = self._clock()
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        await self._store.put_tokens(owner, access, now + ACCESS_TTL, refresh, now + REFRESH_TTL)
        return {"access_token": access, "token_type": "Bearer", "expires_in": int(ACCESS_TTL.total_seconds()),
                "refresh_token": refresh}
