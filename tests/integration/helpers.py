"""Drive the gateway like a browser would: web chat API, bank login, link callback."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from sarraf.banks.openbanking import OpenBankingConnector
from sarraf.banks.sandbox_login import complete_sandbox_login
from sarraf.domain.banking import Balance

PERMISSIONS = (
    "ReadAccountsBasic",
    "ReadAccountsDetail",
    "ReadBalances",
    "ReadTransactionsBasic",
    "ReadTransactionsDetail",
    "ReadTransactionsCredits",
    "ReadTransactionsDebits",
)


def new_session() -> str:
    return secrets.token_urlsafe(18)


class ChatClient:
    def __init__(self, http: httpx.AsyncClient, base_url: str, session: str | None = None) -> None:
        self.http = http
        self.base_url = base_url
        self.session = session or new_session()
        self.cursor = 0

    async def say(self, text: str | None = None, payload: str | None = None, **extra: Any) -> list[dict[str, Any]]:
        body = {"session": self.session, "text": text, "payload": payload, **extra}
        response = await self.http.post(f"{self.base_url}/webchat/api/messages", json=body)
        assert response.status_code == 200, response.text
        return list(response.json()["replies"])

    async def updates(self) -> list[dict[str, Any]]:
        response = await self.http.get(
            f"{self.base_url}/webchat/api/updates", params={"session": self.session, "after": self.cursor}
        )
        assert response.status_code == 200, response.text
        replies = list(response.json()["replies"])
        if replies:
            self.cursor = max(r["id"] for r in replies)
        return replies

    async def link(self, replies: list[dict[str, Any]], customer: str) -> list[dict[str, Any]]:
        """Follow the login button in `replies` as `customer`; return what the chat received afterwards."""
        url = next(b["url"] for r in replies for b in r["buttons"] if b["url"])
        redirect = await complete_sandbox_login(self.http, url, username=customer)
        callback = await self.http.get(redirect, follow_redirects=False)
        assert callback.status_code == 303, callback.text
        return await self.updates()


async def bank_balances(
    http: httpx.AsyncClient, bank_url: str, customer: str, redirect_uri: str
) -> dict[str, list[Balance]]:
    """What the bank's own API says, fetched independently of the gateway."""
    connector = OpenBankingConnector(
        http,
        base_url=bank_url,
        client_id="sarraf",
        client_secret="sandbox-secret",
        financial_id="0015800001041RHAAY",
        tenant="sandbox",
    )
    start = await connector.start_linking(PERMISSIONS, redirect_uri)
    redirect = await complete_sandbox_login(http, start.url, username=customer)
    code = httpx.URL(redirect).params["code"]
    tokens = await connector.finish_linking(code, start.code_verifier, redirect_uri)
    return {a.nickname: await connector.balances(tokens, a.account_id) for a in await connector.accounts(tokens)}
