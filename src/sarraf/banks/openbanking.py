"""The BankConnector for any bank that speaks UK Open Banking v4.0 Account Information over HTTP.

Linking is OAuth 2.0 authorization code with PKCE (S256) on top of an account-access-consent
created with a client-credentials token. Failures become the domain's errors: the bank being down
or talking nonsense is BankUnavailable; an answer we refuse to follow (a `Next` link to another host) is
BankAnswerRefused; the bank refusing our token or consent is ConsentUnusable.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import InvalidOperation
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from sarraf.banks import card_controls, ob_json, service_api
from sarraf.banks.failures import observed, unavailable, unusable
from sarraf.banks.ob_payments import PaymentInitiationMixin
from sarraf.domain.banking import Account, Balance, Transaction
from sarraf.domain.consent import Tokens
from sarraf.domain.errors import BankAnswerRefused, BankRefused, BankUnavailable, ConsentUnusable
from sarraf.domain.events import CardAction, PaymentCard
from sarraf.domain.ports import AuthorisationStart, ConsentHandle
from sarraf.domain.service_items import ActivityItem, CardDelivery, ExchangeRate

log = logging.getLogger(__name__)
AISP_PATH = "/open-banking/v4.0/aisp"
MAX_PAGES = 200  # a bank whose Next links never end is broken, not generous
TOKEN_MARGIN = timedelta(seconds=30)  # renew client tokens a little before the bank would refuse them


def _utc_now() -> datetime:
    return datetime.now(UTC)


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, code_challenge) per RFC 7636 S256; 64 random bytes give an 86-char verifier."""
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _ob_time(moment: datetime) -> str:
    """OB query date-times are read as UTC with any zone ignored, so send UTC without one."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds")


class OpenBankingConnector(PaymentInitiationMixin):  # PIS: banks/ob_payments.py
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        financial_id: str,
        tenant: str,
        consent_days: int = 90,
        now: Callable[[], datetime] = _utc_now,
        timeout_s: float | None = None,
    ) -> None:
        self.tenant = tenant
        # one request's bound (None: the HTTP client's): a bank that answers slowly is a bank not answering
        self._timeout = httpx.Timeout(timeout_s, connect=min(3.0, timeout_s)) if timeout_s else None
        self._http = http
        self._base = base_url.rstrip("/")
        self._aisp = self._base + AISP_PATH
        self._client = (client_id, client_secret)
        self._financial_id = financial_id
        self._consent_days = consent_days
        self._now = now
        self._endpoints: dict[str, str] | None = None
        self._client_token: tuple[str, datetime] | None = None

    # transport

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        if self._timeout is not None:
            kwargs.setdefault("timeout", self._timeout)
        try:
            response = await self._http.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise unavailable("timeout", f"{self.tenant}: the bank timed out ({method} {url})") from exc
        except httpx.HTTPError as exc:
            raise unavailable("unreachable", f"{self.tenant}: cannot reach the bank ({type(exc).__name__}: {exc})"
                              ) from exc
        if response.status_code >= 500:
            raise unavailable("server_error",
                              f"{self.tenant}: the bank answered {response.status_code} to {method} {url}")
        return response

    def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise unavailable("malformed", f"{self.tenant}: malformed JSON from the bank "
                                           f"({response.request.method} {response.request.url})") from exc

    def _refused(self, response: httpx.Response) -> None:
        """Raise the domain error for a non-2xx API answer (5xx was handled by _send)."""
        if response.is_success:
            return
        detail = response.text[:300]
        if response.status_code in (401, 403, 404):
            raise unusable("refused", f"{self.tenant}: the bank refused access ({response.status_code}): {detail}")
        raise unavailable("rejected",
                          f"{self.tenant}: the bank rejected the request ({response.status_code}): {detail}")

    async def _endpoint(self, name: str) -> str:
        if self._endpoints is None:
            response = await self._send("GET", self._base + "/.well-known/openid-configuration")
            if not response.is_success:
                raise unavailable("malformed", f"{self.tenant}: no OpenID configuration ({response.status_code})")
            found = self._json(response)
            if not isinstance(found, dict) or not {"authorization_endpoint", "token_endpoint"} <= found.keys():
                raise unavailable("malformed", f"{self.tenant}: the OpenID configuration lacks the OAuth endpoints")
            self._endpoints = {k: str(found[k]) for k in ("authorization_endpoint", "token_endpoint")}
        return self._endpoints[name]

    async def _token_request(self, form: dict[str, str]) -> dict[str, Any]:
        response = await self._send("POST", await self._endpoint("token_endpoint"), data=form,
                                    auth=httpx.BasicAuth(*self._client), headers={"Accept": "application/json"})
        body = self._json(response)
        if response.status_code in (400, 401):
            error = body.get("error") if isinstance(body, dict) else None
            raise unusable("refused", f"{self.tenant}: token request refused: {error or response.status_code}")
        self._refused(response)
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise unavailable("malformed", f"{self.tenant}: the token response has no access_token")
        return body

    def _tokens(self, body: dict[str, Any]) -> Tokens:
        try:
            lifetime = int(body.get("expires_in", 300))
        except (TypeError, ValueError) as exc:
            raise unavailable("malformed", f"{self.tenant}: expires_in is not a number") from exc
        refresh = body.get("refresh_token")
        return Tokens(access_token=body["access_token"], refresh_token=str(refresh) if refresh else None,
                      expires_at=self._now() + timedelta(seconds=lifetime))

    async def _client_bearer(self) -> str:
        if self._client_token is None or self._now() + TOKEN_MARGIN >= self._client_token[1]:
            tokens = self._tokens(await self._token_request({"grant_type": "client_credentials", "scope": "accounts"}))
            self._client_token = (tokens.access_token, tokens.expires_at)
        return self._client_token[0]

    def _headers(self, bearer: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {bearer}", "Accept": "application/json",
                "x-fapi-interaction-id": str(uuid.uuid4()), "x-fapi-financial-id": self._financial_id}

    async def _api(self, method: str, url: str, bearer: str, **kwargs: Any) -> Any:
        response = await self._send(method, url, headers=self._headers(bearer), **kwargs)
        self._refused(response)
        return None if response.status_code == 204 else self._json(response)

    def _mapped(self, parse: Callable[[Any], Any], body: Any) -> Any:
        try:
            return parse(body)
        except (ob_json.MalformedResponse, KeyError, TypeError, AttributeError, InvalidOperation) as exc:
            raise unavailable("malformed", f"{self.tenant}: unexpected response from the bank: {exc}") from exc

    # linking

    @observed("account-access-consents")
    async def start_linking(self, permissions: Sequence[str], redirect_uri: str) -> AuthorisationStart:
        expires = (self._now() + timedelta(days=self._consent_days)).astimezone(UTC)
        request = {"Data": {"Permissions": list(permissions),
                            "ExpirationDateTime": expires.isoformat(timespec="seconds")}, "Risk": {}}
        body = await self._api("POST", self._aisp + "/account-access-consents", await self._client_bearer(),
                               json=request)
        consent = self._mapped(ob_json.consent_handle, body)
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(24)
        query = urlencode({
            "response_type": "code", "client_id": self._client[0], "redirect_uri": redirect_uri,
            "scope": "openid accounts", "state": state, "code_challenge": challenge,
            "code_challenge_method": "S256", "consent_id": consent.consent_id,
        })
        url = f"{await self._endpoint('authorization_endpoint')}?{query}"
        return AuthorisationStart(url=url, state=state, code_verifier=verifier, consent_id=consent.consent_id)

    @observed("token/authorization_code")
    async def finish_linking(self, code: str, code_verifier: str, redirect_uri: str) -> Tokens:
        return self._tokens(await self._token_request({
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }))

    @observed("token/refresh_token")
    async def refresh(self, tokens: Tokens) -> Tokens:
        if not tokens.refresh_token:
            raise unusable("no_refresh_token", f"{self.tenant}: no refresh token; the customer must link again")
        return self._tokens(await self._token_request({"grant_type": "refresh_token",
                                                       "refresh_token": tokens.refresh_token}))

    @observed("account-access-consents")
    async def get_consent(self, consent_id: str) -> ConsentHandle:
        body = await self._api("GET", f"{self._aisp}/account-access-consents/{consent_id}",
                               await self._client_bearer())
        handle: ConsentHandle = self._mapped(ob_json.consent_handle, body)
        return handle

    @observed("account-access-consents")
    async def revoke_consent(self, consent_id: str) -> None:
        await self._api("DELETE", f"{self._aisp}/account-access-consents/{consent_id}", await self._client_bearer())

    # account information

    @observed("accounts")
    async def accounts(self, tokens: Tokens) -> list[Account]:
        found: list[Account] = self._mapped(ob_json.accounts, await self._api("GET", self._aisp + "/accounts",
                                                                              tokens.access_token))
        return found

    @observed("balances")
    async def balances(self, tokens: Tokens, account_id: str) -> list[Balance]:
        body = await self._api("GET", f"{self._aisp}/accounts/{account_id}/balances", tokens.access_token)
        mapped: list[Balance] = self._mapped(ob_json.balances, body)
        # Only this account's: a bank answering with another account's balance (seen with a test bank that ignores
        # the path) must not have it shown under this account's name and digits.
        found = [b for b in mapped if b.account_id == account_id]
        if len(found) < len(mapped):
            log.warning("%s: the balances of account %s named %d other account(s); left out", self.tenant,
                        account_id, len(mapped) - len(found))
        return found

    @observed("transactions")
    async def transactions(
        self, tokens: Tokens, account_id: str, since: datetime | None, until: datetime | None
    ) -> list[Transaction]:
        params = {}
        if since is not None:
            params["fromBookingDateTime"] = _ob_time(since)
        if until is not None:
            params["toBookingDateTime"] = _ob_time(until)
        url: str | None = f"{self._aisp}/accounts/{account_id}/transactions"
        found: dict[str, Transaction] = {}
        unnamed: list[Transaction] = []
        visited: set[str] = set()
        pages = 0
        while url is not None and url not in visited:  # a Next link back to a page seen ends the listing
            visited.add(url)
            pages += 1
            if pages > MAX_PAGES:
                raise unavailable("too_many_pages", f"{self.tenant}: more than {MAX_PAGES} pages of transactions")
            # httpx replaces a URL's query with `params`, so pass them only on the first request:
            # the bank's Next link already carries the window.
            body = await self._api("GET", url, tokens.access_token, **({"params": params} if params else {}))
            for item in self._mapped(ob_json.transactions, body):
                # Pages that shift while we read them repeat entries: one transaction id, one transaction.
                if item.transaction_id:
                    found.setdefault(item.transaction_id, item)
                else:
                    unnamed.append(item)
            url, params = self._mapped(ob_json.next_link, body), {}
            if url is not None and not self._same_origin(url):
                # Never send the customer's token to another host (or over plain http), whatever the bank's
                # links say. The bank did answer: this is its answer refused, not an outage.
                raise unavailable("foreign_link", f"{self.tenant}: the bank's Next link points elsewhere: {url}",
                                  kind=BankAnswerRefused)
        return [*found.values(), *unnamed]

    def _same_origin(self, url: str) -> bool:
        theirs, ours = urlsplit(url), urlsplit(self._aisp)
        return (theirs.scheme, theirs.netloc) == (ours.scheme, ours.netloc)

    # card controls (the bank's extension API next to OB v4.0)

    @observed("cards")
    async def cards(self, tokens: Tokens) -> list[PaymentCard]:
        body = await self._api("GET", f"{self._base}{card_controls.EXTENSION_PATH}/cards", tokens.access_token)
        found: list[PaymentCard] = self._mapped(card_controls.cards, body)
        return found

    @observed("cards")
    async def card_action(self, tokens: Tokens, card_id: str, action: CardAction) -> PaymentCard:
        path = f"{card_controls.EXTENSION_PATH}/cards/{card_id}/{card_controls.ACTION_PATHS[action]}"
        response = await self._send("POST", self._base + path, headers=self._headers(tokens.access_token))
        if response.status_code in card_controls.DECLINED:
            try:
                now = await self.cards(tokens)
            except (BankUnavailable, ConsentUnusable):
                now = None
            raise BankRefused(f"{self.tenant}: the bank declined to {action.value} card {card_id} "
                              f"({response.status_code}): {response.text[:300]}",
                              card_controls.refusal_reason(card_id, now))
        self._refused(response)
        card: PaymentCard = self._mapped(card_controls.card, self._json(response))
        return card

    @observed("cases")
    async def open_case(self, tokens: Tokens, card_id: str, reason: str, reference: str) -> str:
        body = await self._api("POST", f"{self._base}{card_controls.EXTENSION_PATH}/cases", tokens.access_token,
                               json={"Data": {"CardId": card_id, "Reason": reason, "Reference": reference}})
        found: str = self._mapped(card_controls.case_id, body)
        return found

    # service extension (sandbox_bank/service.py): what is behind a customer's service question

    @observed("activity")
    async def activity(self, tokens: Tokens) -> list[ActivityItem]:
        body = await self._api("GET", f"{self._base}{service_api.ACTIVITY_PATH}", tokens.access_token)
        found: list[ActivityItem] = self._mapped(service_api.activity, body)
        return found

    @observed("card-deliveries")
    async def card_deliveries(self, tokens: Tokens) -> list[CardDelivery]:
        body = await self._api("GET", f"{self._base}{service_api.DELIVERIES_PATH}", tokens.access_token)
        found: list[CardDelivery] = self._mapped(service_api.deliveries, body)
        return found

    @observed("rates")
    async def rates(self, base: str) -> list[ExchangeRate]:
        """The bank's published rate table: public, so no customer token."""
        response = await self._send("GET", f"{self._base}{service_api.RATES_PATH}", params={"base": base})
        self._refused(response)
        found: list[ExchangeRate] = self._mapped(service_api.rates, self._json(response))
        return found

    # OB v4.0 events: push subscription and aggregated polling (client-credentials token)

    @observed("event-subscriptions")
    async def subscribe_events(self, callback_url: str) -> str:
        """Our event subscription at the bank, created only if the bank does not hold one for `callback_url`
        already: every replica calls this on start-up, and a bank that keeps several subscriptions would
        otherwise push each event once per replica (absorbed by the outbox, but the bank's load all the same).
        Replicas starting at the same moment may each create one: after creating, every replica keeps the
        same one (the lowest id for our callback) and deletes the rest, so they converge on one."""
        bearer = await self._client_bearer()
        held = await self._subscriptions_for(bearer, callback_url)
        if held:
            return held[0]
        body = await self._api("POST", self._base + card_controls.SUBSCRIPTIONS_PATH, bearer,
                               json={"Data": {"CallbackUrl": callback_url, "Version": "4.0"}})
        created = str(self._mapped(lambda b: b["Data"]["EventSubscriptionId"], body))
        held = await self._subscriptions_for(bearer, callback_url)
        for extra in held[1:]:
            try:
                await self._api("DELETE", f"{self._base}{card_controls.SUBSCRIPTIONS_PATH}/{extra}", bearer)
            except ConsentUnusable:  # 404: the other replica deleted it first
                continue
        return held[0] if held else created

    async def _subscriptions_for(self, bearer: str, callback_url: str) -> list[str]:
        """Ids of the bank's subscriptions pushing to `callback_url`, lowest first."""
        listed = await self._api("GET", self._base + card_controls.SUBSCRIPTIONS_PATH, bearer)
        return sorted(str(held["EventSubscriptionId"])
                      for held in self._mapped(lambda b: list(b["Data"].get("EventSubscription") or []), listed)
                      if isinstance(held, dict) and held.get("CallbackUrl") == callback_url
                      and held.get("EventSubscriptionId"))

    @observed("events")
    async def poll_events(self, ack: Sequence[str], errors: dict[str, dict[str, str]],
                          max_events: int) -> tuple[dict[str, str], bool]:
        request = {"maxEvents": max_events, "returnImmediately": True, "ack": list(ack), "setErrs": errors}
        body = await self._api("POST", self._base + card_controls.EVENTS_PATH, await self._client_bearer(),
                               json=request)
        found: tuple[dict[str, str], bool] = self._mapped(card_controls.polled, body)
        return found
