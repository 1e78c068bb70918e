"""Drive the sandbox as a third party and a customer would, over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

AISP = "/open-banking/v4.0/aisp"
CLIENT = ("sarraf", "sandbox-secret")
REDIRECT = "http://127.0.0.1:9/callback"
ALL_READS = ["ReadAccountsDetail", "ReadBalances", "ReadTransactionsDetail", "ReadTransactionsCredits",
             "ReadTransactionsDebits"]


class Clock:
    """The bank's clock, moved by tests to expire codes and consents."""

    def __init__(self) -> None:
        self.moment = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclass
class Linked:
    consent_id: str
    access_token: str
    refresh_token: str
    verifier: str


@dataclass
class SandboxClient:
    http: httpx.Client
    base_url: str

    def client_token(self) -> str:
        r = self.http.post("/oauth/token", data={"grant_type": "client_credentials", "scope": "accounts"},
                           auth=CLIENT)
        assert r.status_code == 200, r.text
        token: str = r.json()["access_token"]
        return token

    def create_consent(self, permissions: list[str] | None = None, **data: str) -> httpx.Response:
        body = {"Data": {"Permissions": permissions or ALL_READS, **data}, "Risk": {}}
        return self.http.post(f"{AISP}/account-access-consents", json=body, headers=self.bearer(self.client_token()))

    def login_page(self, consent_id: str, challenge: str, state: str = "st-1") -> httpx.Response:
        return self.http.get("/oauth/authorize", params={
            "response_type": "code", "client_id": "sarraf", "redirect_uri": REDIRECT, "scope": "openid accounts",
            "state": state, "code_challenge": challenge, "code_challenge_method": "S256", "consent_id": consent_id,
        })

    def decide(self, page: httpx.Response, decision: str = "approve", username: str = "sandbox-en-1",
               password: str = "sandbox", accounts: list[str] | None = None) -> httpx.Response:
        found = re.search(r'name="auth_request" value="([^"]+)"', page.text)
        assert found, page.text
        data: dict[str, Any] = {"auth_request": found.group(1), "username": username, "password": password,
                                "decision": decision}
        if accounts:
            data["account"] = accounts
        return self.http.post("/oauth/authorize", data=data)

    def code_for(self, consent_id: str, challenge: str, **decide: Any) -> str:
        answer = self.decide(self.login_page(consent_id, challenge), **decide)
        assert answer.status_code == 302, answer.text
        code: str = httpx.URL(answer.headers["location"]).params["code"]
        return code

    def exchange(self, code: str, verifier: str, *, auth: tuple[str, str] = CLIENT) -> httpx.Response:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
        return self.http.post("/oauth/token", data=form, auth=auth)

    def link(self, permissions: list[str] | None = None, **decide: Any) -> Linked:
        consent_id = self.create_consent(permissions).json()["Data"]["ConsentId"]
        verifier, challenge = pkce()
        tokens = self.exchange(self.code_for(consent_id, challenge, **decide), verifier).json()
        return Linked(consent_id, tokens["access_token"], tokens["refresh_token"], verifier)

    def refresh(self, refresh_token: str) -> httpx.Response:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token,
                "client_id": CLIENT[0], "client_secret": CLIENT[1]}
        return self.http.post("/oauth/token", data=form)

    def consent(self, consent_id: str) -> httpx.Response:
        return self.http.get(f"{AISP}/account-access-consents/{consent_id}", headers=self.bearer(self.client_token()))

    def get(self, path: str, token: str, **params: str) -> httpx.Response:
        return self.http.get(AISP + path, headers=self.bearer(token), params=params)

    @staticmethod
    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}
