"""The gateway as the OAuth 2.0 authorisation server of each bank's Alexa skill (account linking).

`GET /oauth/alexa/authorize` is the skill's Authorization URI, `POST /oauth/alexa/token` its Access Token URI
(HTTP Basic or body credentials). The customer is sent through our own /link/start to their bank; when the
bank login completes, /link/callback asks the Alexa channel (AlexaChannel.after_login), which sends the browser
back to Alexa with our single-use code. Nothing works for a bank without SARRAF_ALEXA_CLIENT_ID and
SARRAF_ALEXA_CLIENT_SECRET (or `client_id`/`client_secret` under its `channels.alexa`): fail closed.
"""

from __future__ import annotations

import base64
import binascii
import logging
import secrets
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from sarraf.channels.address import address
from sarraf.channels.alexa import NAME as ALEXA
from sarraf.channels.alexa import AlexaChannel
from sarraf.channels.alexa.linking import AlexaAccountLinking, OAuthError, redirect_allowed, with_query
from sarraf.channels.alexa.phrases import phrase
from sarraf.domain.errors import BankUnavailable, ConsentUnusable
from sarraf.web import browser_binding
from sarraf.web.deps import container_of
from sarraf.web.pages import templates

log = logging.getLogger(__name__)
router = APIRouter(tags=["alexa account linking"])

MAX_TOKEN_REQUEST_BYTES = 8 * 1024
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache", "Referrer-Policy": "no-referrer"}
GRANT_TYPES = ("authorization_code", "refresh_token")


def _linking(request: Request) -> AlexaAccountLinking | None:
    channel = container_of(request).channels.channels.get(ALEXA)
    return channel.linking if isinstance(channel, AlexaChannel) else None


def _page_lang(request: Request) -> str:
    for part in request.headers.get("accept-language", "").split(","):
        prefix = part.strip()[:2].lower()
        if prefix in ("ar", "pl", "en"):
            return prefix
    return container_of(request).default_lang


def _refusal_page(request: Request) -> Response:
    """A request we cannot trust to redirect (unknown client, foreign redirect_uri) ends here (RFC 6749 §4.1.2.1)."""
    lang = _page_lang(request)
    context = {"lang": lang, "dir": "rtl" if lang == "ar" else "ltr",
               "title": phrase(lang, "oauth_unavailable_title"), "body": phrase(lang, "oauth_unavailable_body")}
    return templates.TemplateResponse(request, "notice.html", context, status_code=400, headers=NO_STORE)


@router.get("/oauth/alexa/authorize")
async def alexa_oauth_authorize(
    request: Request,
    client_id: str = Query(default="", max_length=255),
    redirect_uri: str = Query(default="", max_length=2048),
    state: str = Query(default="", max_length=1024),
    response_type: str = Query(default="", max_length=32),
    code_challenge: str | None = Query(default=None, max_length=128),
    code_challenge_method: str | None = Query(default=None, max_length=16),
) -> Response:
    """Alexa's account-linking start: a fresh customer identity, then on to their bank's login."""
    linking = _linking(request)
    client = linking.client(client_id) if linking is not None and client_id else None
    if linking is None or client is None or not redirect_allowed(redirect_uri, client.vendor_id):
        log.info("alexa authorize refused: unknown client or redirect_uri not Amazon's")
        return _refusal_page(request)
    if response_type != "code":
        return RedirectResponse(with_query(redirect_uri, error="unsupported_response_type", state=state), 303)
    if not state or (code_challenge is not None and code_challenge_method != "S256"):
        return RedirectResponse(with_query(redirect_uri, error="invalid_request", state=state), 303)
    container = container_of(request)
    # Alexa's user id is unknown until the skill's first linked request: a placeholder identity holds the
    # customer until then (AlexaChannel.recognise binds the real one to the same customer).
    placeholder = address(client.tenant, container.default_tenant, f"oauth-{secrets.token_hex(16)}")
    customer = await container.customers.identify(client.tenant, ALEXA, placeholder)
    try:
        invitation = await container.consents.invite(client.tenant, customer.id, ALEXA, placeholder, None)
    except (BankUnavailable, ConsentUnusable):
        return RedirectResponse(with_query(redirect_uri, error="temporarily_unavailable", state=state), 303)
    await linking.remember(client, invitation.state, customer.id, redirect_uri, state, code_challenge)
    # The browser Alexa sent here is the one that must come back from the bank (web/browser_binding.py).
    token, fresh = browser_binding.browser_token(request)
    await container.consents.bind(invitation.state, browser_binding.browser_digest(token))
    response = RedirectResponse(invitation.url, status_code=303, headers={"Referrer-Policy": "no-referrer"})
    if fresh:
        browser_binding.set_cookie(response, browser_binding.BROWSER_COOKIE, token,
                                   secure=browser_binding.secure_cookies(container.settings.public_url))
    return response


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, found, secret = decoded.partition(":")
    # RFC 6749 §2.3.1: both parts are form-urlencoded before they are joined.
    return (unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))) if found else None


def _oauth_error(error: OAuthError, basic: bool) -> JSONResponse:
    headers = dict(NO_STORE)
    if error.status == 401 and basic:
        headers["WWW-Authenticate"] = 'Basic realm="alexa"'
    return JSONResponse({"error": error.error}, status_code=error.status, headers=headers)


@router.post("/oauth/alexa/token")
async def alexa_oauth_token(request: Request) -> Response:
    """Exchange our code (or a refresh token) for an access token that names our customer to us."""
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > MAX_TOKEN_REQUEST_BYTES:
        return _oauth_error(OAuthError("invalid_request", 413 if declared.isdigit() else 411), False)
    form: dict[str, Any] = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    basic = _basic_credentials(request.headers.get("authorization"))
    client_id, client_secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
    linking = _linking(request)
    try:
        if linking is None:
            raise OAuthError("invalid_client", 401)
        client = linking.authenticate(client_id, client_secret)
        grant_type = form.get("grant_type", "")
        if grant_type not in GRANT_TYPES:
            raise OAuthError("unsupported_grant_type")
        if grant_type == "authorization_code":
            if not form.get("code"):
                raise OAuthError("invalid_request")
            issued = await linking.exchange_code(client, form["code"], form.get("redirect_uri"),
                                                 form.get("code_verifier"))
        else:
            if not form.get("refresh_token"):
                raise OAuthError("invalid_request")
            issued = await linking.refresh(client, form["refresh_token"])
    except OAuthError as refused:
        log.info("alexa token request refused: %s", refused.error)
        return _oauth_error(refused, basic is not None)
    return JSONResponse(issued, headers=NO_STORE)
