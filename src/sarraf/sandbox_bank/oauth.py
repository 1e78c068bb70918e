"""The sandbox's OAuth 2.0 token endpoint and discovery document (RFC 6749, RFC 7636, OIDC discovery).

Grants: client_credentials (for consent management), authorization_code with mandatory PKCE S256
(single-use codes, short-lived), and rotating refresh tokens (each is good for exactly one use).
Clients authenticate with client_secret_basic or client_secret_post.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from sarraf.sandbox_bank.context import Sandbox, sandbox
from sarraf.sandbox_bank.store import Token, digest

router = APIRouter()

VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
SUPPORTED_SCOPES = frozenset({"openid", "accounts", "payments"})


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


def oauth_error_response(exc: OAuthError) -> JSONResponse:
    headers = {"Cache-Control": "no-store"}
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="sandbox"'
    return JSONResponse({"error": exc.error, "error_description": exc.description},
                        status_code=exc.status, headers=headers)


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def _client_id(request: Request, form: dict[str, str], sb: Sandbox) -> str:
    """Authenticate the client by Basic header or form fields, never both; secrets compared in constant time."""
    header = request.headers.get("authorization", "")
    if header[:6].lower() == "basic ":
        if "client_secret" in form:
            raise OAuthError("invalid_request", "use one client authentication method, not two")
        try:
            raw = base64.b64decode(header[6:], validate=True).decode()
            given_id, given_secret = (unquote(part) for part in raw.split(":", 1))
        except (ValueError, UnicodeDecodeError) as exc:
            raise OAuthError("invalid_client", "malformed Basic credentials", 401) from exc
    else:
        given_id, given_secret = form.get("client_id", ""), form.get("client_secret", "")
    id_ok = hmac.compare_digest(given_id.encode(), sb.client.client_id.encode())
    secret_ok = hmac.compare_digest(given_secret.encode(), sb.client.client_secret.encode())
    if not (id_ok and secret_ok):
        raise OAuthError("invalid_client", "client authentication failed", 401)
    return given_id


def _scope(requested: str | None, allowed: frozenset[str] = SUPPORTED_SCOPES) -> str:
    scopes = set((requested or "accounts").split())
    if not scopes <= allowed:
        raise OAuthError("invalid_scope", f"unsupported scope: {' '.join(sorted(scopes - allowed))}")
    return " ".join(sorted(scopes))


def _issue(sb: Sandbox, *, client_id: str, scope: str, consent_id: str | None = None,
           customer_id: str | None = None, code_hash: str | None = None) -> dict[str, Any]:
    now = sb.now()
    access = secrets.token_urlsafe(32)
    sb.store.add_token(access, Token("access", client_id, consent_id, customer_id, scope,
                                     now + timedelta(seconds=sb.access_token_ttl), False, code_hash))
    body: dict[str, Any] = {"access_token": access, "token_type": "Bearer",
                            "expires_in": sb.access_token_ttl, "scope": scope}
    if consent_id is not None and "payments" not in scope.split():  # a payment's token is good for one use
        consent = sb.store.consent(consent_id)
        refresh = secrets.token_urlsafe(32)
        expires = consent.expires_at if consent else None
        sb.store.add_token(refresh, Token("refresh", client_id, consent_id, customer_id, scope, expires, False,
                                          code_hash))
        body["refresh_token"] = refresh
    return body


def _authorization_code(sb: Sandbox, client_id: str, form: dict[str, str]) -> dict[str, Any]:
    code, redirect_uri, verifier = form.get("code"), form.get("redirect_uri"), form.get("code_verifier")
    if not code or not redirect_uri or not verifier:
        raise OAuthError("invalid_request", "code, redirect_uri and code_verifier are required")
    grant = sb.store.take_code(code)
    if grant is None:
        raise OAuthError("invalid_grant", "unknown authorization code")
    if grant.used:
        sb.store.revoke_descendants(code)
        raise OAuthError("invalid_grant", "authorization code already used; tokens issued from it are revoked")
    if sb.now() >= grant.expires_at:
        raise OAuthError("invalid_grant", "authorization code expired")
    if grant.client_id != client_id or grant.redirect_uri != redirect_uri:
        raise OAuthError("invalid_grant", "code was issued to another client or redirect_uri")
    if not VERIFIER.match(verifier) or not hmac.compare_digest(s256(verifier), grant.code_challenge):
        raise OAuthError("invalid_grant", "PKCE verification failed")
    if "payments" in grant.scope.split():
        payment_consent = sb.ledger.consent(grant.consent_id) if sb.ledger is not None else None
        authorised = payment_consent is not None and payment_consent.status == "AUTH"
    else:
        consent = sb.consent(grant.consent_id)
        authorised = consent is not None and consent.status == "AUTH"
    if not authorised:
        raise OAuthError("invalid_grant", "the consent is no longer authorised")
    return _issue(sb, client_id=client_id, scope=grant.scope, consent_id=grant.consent_id,
                  customer_id=grant.customer_id, code_hash=digest(code))


def _refresh(sb: Sandbox, client_id: str, form: dict[str, str]) -> dict[str, Any]:
    presented = form.get("refresh_token")
    if not presented:
        raise OAuthError("invalid_request", "refresh_token is required")
    token = sb.store.token(presented, "refresh")
    if token is None or token.revoked or token.client_id != client_id:
        raise OAuthError("invalid_grant", "unknown, used or revoked refresh token")
    if token.expires_at is not None and sb.now() >= token.expires_at:
        raise OAuthError("invalid_grant", "refresh token expired")
    consent = sb.consent(token.consent_id or "")
    if consent is None or consent.status != "AUTH":
        raise OAuthError("invalid_grant", "the consent is no longer authorised")
    if not sb.store.revoke_token(presented):  # lost a race with another use of the same token
        raise OAuthError("invalid_grant", "refresh token already used")
    return _issue(sb, client_id=client_id, scope=token.scope, consent_id=token.consent_id,
                  customer_id=token.customer_id, code_hash=token.code_hash)


@router.post("/oauth/token", name="token")
async def token_endpoint(request: Request, sb: Annotated[Sandbox, Depends(sandbox)]) -> JSONResponse:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        client_id = _client_id(request, form, sb)
        grant_type = form.get("grant_type")
        if grant_type == "client_credentials":
            body = _issue(sb, client_id=client_id, scope=_scope(form.get("scope"),
                                                                          frozenset({"accounts", "payments"})))
        elif grant_type == "authorization_code":
            body = _authorization_code(sb, client_id, form)
        elif grant_type == "refresh_token":
            body = _refresh(sb, client_id, form)
        else:
            raise OAuthError("unsupported_grant_type", f"unsupported grant_type: {grant_type!r}")
    except OAuthError as exc:
        return oauth_error_response(exc)
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


@router.get("/.well-known/openid-configuration", name="openid_configuration")
async def discovery(request: Request) -> dict[str, Any]:
    # url_for carries the mount prefix (the gateway serves us at /bank); base_url alone would not.
    issuer = str(request.url_for("openid_configuration")).removesuffix("/.well-known/openid-configuration")
    return {
        "issuer": issuer,
        "authorization_endpoint": str(request.url_for("authorize")),
        "token_endpoint": str(request.url_for("token")),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": sorted(SUPPORTED_SCOPES),
        "open_banking_aisp_base_url": issuer + "/open-banking/v4.0/aisp",
    }
