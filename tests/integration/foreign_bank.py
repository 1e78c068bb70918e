"""A bank that is not ours: a small OB v4.0 ASGI app with the quirks real banks have, for finding 9 of #22.

It answers the way a real bank's API does (OpenID configuration, client-credentials and authorisation-code
tokens, account-access consents, accounts, balances, paged transactions), approves every login at once
(the login page is not what is under test) and lets a test choose what its consent says after the login
(status, expiry, permissions) and where its transactions' `Next` link points.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse

AISP = "/open-banking/v4.0/aisp"
ACCOUNT_ID = "FB-0001"
MERCHANT = "Quirky Kiosk"


@dataclass
class Quirks:
    """What the bank says about the consent once the customer has logged in."""

    status: str = "AUTH"
    permissions: list[str] | None = None  # None: whatever was asked for
    expires_in: timedelta = timedelta(days=90)  # negative: the consent had already ended
    next_link: str | None = None  # where page 1 of the transactions points; None: a single page
    transactions_down: bool = False  # answer 503 to transactions

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


@dataclass
class ForeignBank:
    quirks: Quirks = field(default_factory=Quirks)
    consents: dict[str, dict[str, Any]] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)  # authorisation code -> consent id

    def app(self) -> FastAPI:
        app = FastAPI()
        bank = self

        @app.get("/.well-known/openid-configuration")
        async def configuration(request: Request) -> dict[str, str]:
            base = str(request.base_url).rstrip("/")
            return {"issuer": base, "authorization_endpoint": f"{base}/oauth/authorize",
                    "token_endpoint": f"{base}/oauth/token"}

        @app.get("/oauth/authorize")
        async def authorize(redirect_uri: str, state: str, consent_id: str) -> RedirectResponse:
            code = secrets.token_urlsafe(16)
            bank.codes[code] = consent_id
            consent = bank.consents[consent_id]
            quirks = bank.quirks
            consent.update(Status=quirks.status,
                           ExpirationDateTime=(datetime.now(UTC) + quirks.expires_in).isoformat(timespec="seconds"))
            if quirks.permissions is not None:
                consent["Permissions"] = list(quirks.permissions)
            return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}", status_code=302)

        @app.post("/oauth/token")
        async def token(grant_type: str = Form(...), code: str | None = Form(default=None)) -> JSONResponse:
            if grant_type == "authorization_code" and code not in bank.codes:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            return JSONResponse({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                                 "expires_in": 3600, "refresh_token": secrets.token_urlsafe(16)})

        @app.post(f"{AISP}/account-access-consents", status_code=201)
        async def create_consent(request: Request) -> dict[str, Any]:
            asked = (await request.json())["Data"]
            consent_id = f"fb-{secrets.token_hex(6)}"
            bank.consents[consent_id] = {"ConsentId": consent_id, "Status": "AWAU",
                                         "Permissions": asked["Permissions"],
                                         "ExpirationDateTime": asked["ExpirationDateTime"]}
            return {"Data": bank.consents[consent_id], "Risk": {}, "Links": {}, "Meta": {}}

        @app.get(AISP + "/account-access-consents/{consent_id}")
        async def read_consent(consent_id: str) -> dict[str, Any]:
            return {"Data": bank.consents[consent_id], "Risk": {}, "Links": {}, "Meta": {}}

        @app.delete(AISP + "/account-access-consents/{consent_id}", status_code=204)
        async def delete_consent(consent_id: str) -> None:
            bank.consents[consent_id]["Status"] = "CANC"

        @app.get(AISP + "/accounts")
        async def accounts() -> dict[str, Any]:
            return {"Data": {"Account": [{"AccountId": ACCOUNT_ID, "Currency": "GBP", "Nickname": "Foreign current",
                                          "AccountCategory": "Personal", "AccountTypeCode": "CACC"}]}}

        @app.get(AISP + "/accounts/{account_id}/balances")
        async def balances(account_id: str) -> dict[str, Any]:
            return {"Data": {"Balance": [{"AccountId": account_id, "CreditDebitIndicator": "Credit",
                                          "Type": "InterimAvailable", "DateTime": datetime.now(UTC).isoformat(),
                                          "Amount": {"Amount": "321.09", "Currency": "GBP"}}]}}

        @app.get(AISP + "/accounts/{account_id}/transactions", response_model=None)
        async def transactions(account_id: str) -> dict[str, Any] | JSONResponse:
            if bank.quirks.transactions_down:
                return JSONResponse({"Code": "503"}, status_code=503)
            item = {"AccountId": account_id, "TransactionId": "fb-tx-1", "CreditDebitIndicator": "Debit",
                    "Status": "Booked", "BookingDateTime": datetime.now(UTC).isoformat(),
                    "Amount": {"Amount": "4.20", "Currency": "GBP"}, "MerchantDetails": {"MerchantName": MERCHANT}}
            links = {"Next": bank.quirks.next_link} if bank.quirks.next_link else {}
            return {"Data": {"Transaction": [item]}, "Links": links, "Meta": {}}

        return app
