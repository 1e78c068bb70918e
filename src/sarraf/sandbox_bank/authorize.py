"""The authorisation endpoint: the customer's login-and-consent page, and what Approve / Deny do.

The pending request travels in the page as an opaque, random `auth_request` id; its parameters
stay server-side (in the state store) so the form cannot be tampered with. Errors about the client
or its redirect_uri are shown on the page and never redirected (RFC 6749 4.1.2.1).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from sarraf.sandbox_bank import sca
from sarraf.sandbox_bank.context import Sandbox, sandbox
from sarraf.sandbox_bank.pages.consent_text import plain_permissions
from sarraf.sandbox_bank.pages.i18n import TEXT, pick_language
from sarraf.sandbox_bank.profiles import SANDBOX_PASSWORD
from sarraf.sandbox_bank.store import AuthRequest, Code

router = APIRouter()
PAGES = Environment(loader=FileSystemLoader(Path(__file__).with_name("pages")), autoescape=select_autoescape())
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})


def redirect_uri_allowed(uri: str) -> bool:
    """https anywhere; plain http only back to this machine (a developer's gateway or the CLI)."""
    parts = urlsplit(uri)
    if parts.fragment or not parts.hostname:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOCAL_HOSTS)


def _with_params(uri: str, **params: str) -> str:
    parts = urlsplit(uri)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _page(request: Request, sb: Sandbox, lang: str, status: int = 200, *, fatal: str = "",
          pending: AuthRequest | None = None, error: str = "", username: str = "") -> HTMLResponse:
    t = TEXT[lang]
    permissions: list[str] = []
    expiry = ""
    if pending is not None:
        consent = sb.store.consent(pending.consent_id)
        if consent is not None:
            permissions = plain_permissions(consent.permissions, lang)  # each kind of data once
            expiry = (t["until"].format(date=consent.expires_at.date().isoformat())
                      if consent.expires_at else t["open_ended"])
    html = PAGES.get_template("login.html").render(
        lang=lang, t=t, fatal=fatal, error=error, username=username, permissions=permissions, expiry=expiry,
        client_name=sb.client.name, action=str(request.url_for("authorize")),
        auth_request=pending.request_id if pending else "", customers=sorted(sb.bank.profiles),
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store",
                                                           "Content-Security-Policy": _page_policy(html)})


def _page_policy(html: str) -> str:
    """No script at all; the page's own <style> block by its hash; never framed (a login page)."""
    hashes = " ".join("'sha256-" + base64.b64encode(hashlib.sha256(block.encode()).digest()).decode() + "'"
                      for block in re.findall(r"<style>(.*?)</style>", html, re.DOTALL)) or "'none'"
    return (f"default-src 'none'; style-src {hashes}; img-src data:; "
            "base-uri 'none'; frame-ancestors 'none'")


@router.get("/oauth/authorize", name="authorize")
async def authorize(request: Request, sb: Annotated[Sandbox, Depends(sandbox)]) -> Response:
    q = request.query_params
    lang = pick_language(q.get("ui_locales"), request.headers.get("accept-language"))
    client_id, redirect_uri, state = q.get("client_id", ""), q.get("redirect_uri", ""), q.get("state", "")
    if not hmac.compare_digest(client_id.encode(), sb.client.client_id.encode()):
        return _page(request, sb, lang, 400, fatal="unknown client_id")
    if not redirect_uri_allowed(redirect_uri):
        return _page(request, sb, lang, 400, fatal="redirect_uri is not allowed for this client")

    def fail(error: str, description: str) -> RedirectResponse:
        params = {"error": error, "error_description": description}
        return RedirectResponse(_with_params(redirect_uri, **params, **({"state": state} if state else {})), 302)

    if q.get("response_type") != "code":
        return fail("unsupported_response_type", "only response_type=code is supported")
    if not state:
        return fail("invalid_request", "state is required")
    if q.get("code_challenge_method") != "S256" or len(q.get("code_challenge", "")) != 43:
        return fail("invalid_request", "PKCE with code_challenge_method=S256 is required")
    scopes = set(q.get("scope", "").split())
    if "payments" in scopes:  # a payment consent: the strong-authentication page (sca.py)
        return sca.start(request, sb, q, lang, redirect_uri, state, scopes)
    if "accounts" not in scopes or not scopes <= {"openid", "accounts"}:
        return fail("invalid_scope", "scope must be 'openid accounts' or 'accounts'")
    consent = sb.consent(q.get("consent_id", ""))
    if consent is None or consent.client_id != client_id or consent.status != "AWAU":
        return fail("invalid_request", "consent_id is unknown or not awaiting authorisation")
    pending = AuthRequest(
        request_id=secrets.token_urlsafe(32), client_id=client_id, redirect_uri=redirect_uri, state=state,
        code_challenge=q["code_challenge"], consent_id=consent.consent_id, scope=" ".join(sorted(scopes)),
        expires_at=sb.now() + timedelta(seconds=sb.auth_request_ttl),
    )
    sb.store.add_auth_request(pending)
    return _page(request, sb, lang, pending=pending)


@router.post("/oauth/authorize", name="authorize_decision")
async def decide(request: Request, sb: Annotated[Sandbox, Depends(sandbox)]) -> Response:
    form = await request.form()
    field = {k: v for k, v in form.items() if isinstance(v, str)}
    lang = pick_language(field.get("lang"), request.headers.get("accept-language"))
    pending = sb.store.auth_request(field.get("auth_request", ""))
    if pending is None or sb.now() >= pending.expires_at:
        return _page(request, sb, lang, 400, fatal="this sign-in request has expired; start again")
    now = sb.now()
    if field.get("decision") == "deny":
        sb.store.set_consent_status(pending.consent_id, "RJCT", now, only_from=("AWAU",))
        sb.store.drop_auth_request(pending.request_id)
        target = _with_params(pending.redirect_uri, error="access_denied",
                              error_description="the customer denied access", state=pending.state)
        return RedirectResponse(target, 302)
    if field.get("decision") != "approve":
        return _page(request, sb, lang, 400, pending=pending, error="decision must be approve or deny")
    username = field.get("username", "").strip()
    password_ok = hmac.compare_digest(field.get("password", "").encode(), SANDBOX_PASSWORD.encode())
    if username not in sb.bank.profiles or not password_ok:
        return _page(request, sb, lang, 401, pending=pending, error=TEXT[lang]["bad_login"], username=username)
    owned = [a.account_id for a in sb.bank.accounts_of(username)]
    chosen = [a for a in form.getlist("account") if isinstance(a, str)]
    if any(a not in owned for a in chosen):
        return _page(request, sb, lang, 400, pending=pending, error="unknown account selected", username=username)
    sb.consent(pending.consent_id)  # moves it to EXPD first if it ran out while the page was open
    moved = sb.store.set_consent_status(pending.consent_id, "AUTH", now, only_from=("AWAU",),
                                        customer_id=username, account_ids=tuple(chosen or owned))
    sb.store.drop_auth_request(pending.request_id)
    if not moved:
        target = _with_params(pending.redirect_uri, error="access_denied",
                              error_description="the consent is no longer awaiting authorisation",
                              state=pending.state)
        return RedirectResponse(target, 302)
    code = secrets.token_urlsafe(32)
    sb.store.add_code(code, Code(
        client_id=pending.client_id, redirect_uri=pending.redirect_uri, code_challenge=pending.code_challenge,
        consent_id=pending.consent_id, customer_id=username, scope=pending.scope,
        expires_at=now + timedelta(seconds=sb.code_ttl), used=False,
    ))
    return RedirectResponse(_with_params(pending.redirect_uri, code=code, state=pending.state), 302)
