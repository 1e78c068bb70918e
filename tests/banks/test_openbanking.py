"""The Open Banking connector against the real sandbox bank over 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from sarraf.banks.openbanking import OpenBankingConnector
from sarraf.banks.sandbox_login import SandboxLoginFailed, complete_sandbox_login
from sarraf.domain.banking import CreditDebit
from sarraf.domain.consent import ConsentStatus, Tokens
from sarraf.domain.errors import ConsentUnusable
from sarraf.sandbox_bank.seed import seed_bank
from tests.banks.conftest import REDIRECT, connector_for

READS = ("ReadAccountsDetail", "ReadBalances", "ReadTransactionsDetail", "ReadTransactionsCredits",
         "ReadTransactionsDebits")


async def _link(connector: OpenBankingConnector, http: httpx.AsyncClient, username: str = "sandbox-en-1"
                ) -> tuple[str, Tokens]:
    start = await connector.start_linking(READS, REDIRECT)
    assert start.url.split("?")[0].endswith("/bank/oauth/authorize")
    assert "code_challenge_method=S256" in start.url and start.code_verifier not in start.url
    final = httpx.URL(await complete_sandbox_login(http, start.url, username))
    assert str(final).startswith(REDIRECT)
    assert final.params["state"] == start.state
    tokens = await connector.finish_linking(final.params["code"], start.code_verifier, REDIRECT)
    return start.consent_id, tokens


async def test_link_then_read_accounts_balances_transactions(connector: OpenBankingConnector,
                                                             http: httpx.AsyncClient) -> None:
    consent_id, tokens = await _link(connector, http)
    assert tokens.refresh_token and not tokens.expired()
    handle = await connector.get_consent(consent_id)
    assert handle.status is ConsentStatus.AUTHORISED and handle.permissions == READS
    assert handle.expires_at is not None and handle.expires_at > datetime.now(UTC) + timedelta(days=89)

    accounts = {a.account_id: a for a in await connector.accounts(tokens)}
    assert set(accounts) == {"sandbox-en-1-current", "sandbox-en-1-savings", "sandbox-en-1-card"}
    assert accounts["sandbox-en-1-current"].account_type == "Personal/CurrentAccount"
    assert accounts["sandbox-en-1-current"].scheme == "UK.OBIE.SortCodeAccountNumber"
    assert accounts["sandbox-en-1-card"].account_type == "Personal/CreditCard"

    seeded = seed_bank(datetime.now(UTC).date()).accounts
    card = await connector.balances(tokens, "sandbox-en-1-card")
    assert {b.balance_type for b in card} == {"InterimAvailable", "InterimBooked"}
    assert card[0].amount.amount == seeded["sandbox-en-1-card"].balance  # signed: negative when owed
    assert card[0].amount.currency == "GBP" and isinstance(card[0].amount.amount, Decimal)

    until = datetime.now(UTC) - timedelta(days=1)
    since = until - timedelta(days=45)
    rows = await connector.transactions(tokens, "sandbox-en-1-current", since, until)
    expected = [e for e in seeded["sandbox-en-1-current"].entries
                if since.replace(tzinfo=None) <= e.booked_at.replace(tzinfo=None) <= until.replace(tzinfo=None)]
    assert len(rows) == len(expected) > 25  # more than one page of 25: Links.Next was followed
    assert [r.transaction_id for r in rows] == [e.transaction_id for e in expected]
    cards = [r for r in rows if r.merchant_category_code]
    assert cards and all(r.category not in (None, "other") for r in cards)
    assert {r.category for r in rows} >= {"groceries", "eating_out", "transport"}
    salary = [r for r in rows if r.category == "salary"]
    assert all(r.credit_debit is CreditDebit.CREDIT for r in salary)
    assert any(r.card_last4 == "4821" for r in rows)


async def test_polish_and_arabic_customers(connector: OpenBankingConnector, http: httpx.AsyncClient) -> None:
    for username, currency in (("sandbox-pl-1", "PLN"), ("sandbox-ar-1", "SAR")):
        _, tokens = await _link(connector, http, username)
        accounts = await connector.accounts(tokens)
        assert {a.currency for a in accounts} == {currency}
        assert all(a.scheme == "UK.OBIE.IBAN" and a.identification[:2] == currency[:2] for a in accounts)


async def test_refresh_rotates(connector: OpenBankingConnector, http: httpx.AsyncClient) -> None:
    _, tokens = await _link(connector, http)
    fresh = await connector.refresh(tokens)
    assert fresh.access_token != tokens.access_token and fresh.refresh_token != tokens.refresh_token
    assert await connector.accounts(fresh)
    with pytest.raises(ConsentUnusable):
        await connector.refresh(tokens)  # the old refresh token was used up


async def test_revoke_makes_the_link_unusable(connector: OpenBankingConnector, http: httpx.AsyncClient) -> None:
    consent_id, tokens = await _link(connector, http)
    await connector.revoke_consent(consent_id)
    assert (await connector.get_consent(consent_id)).status is ConsentStatus.CANCELLED
    with pytest.raises(ConsentUnusable):
        await connector.accounts(tokens)
    with pytest.raises(ConsentUnusable):
        await connector.refresh(tokens)


async def test_wrong_code_verifier_is_consent_unusable(connector: OpenBankingConnector,
                                                       http: httpx.AsyncClient) -> None:
    start = await connector.start_linking(READS, REDIRECT)
    final = httpx.URL(await complete_sandbox_login(http, start.url, "sandbox-en-2"))
    with pytest.raises(ConsentUnusable):
        await connector.finish_linking(final.params["code"], "x" * 64, REDIRECT)


async def test_sandbox_login_with_wrong_password_fails(connector: OpenBankingConnector,
                                                       http: httpx.AsyncClient) -> None:
    start = await connector.start_linking(READS, REDIRECT)
    with pytest.raises(SandboxLoginFailed):
        await complete_sandbox_login(http, start.url, "sandbox-en-1", password="letmein")


async def test_wrong_client_secret_is_consent_unusable(http: httpx.AsyncClient, bank_url: str) -> None:
    connector = OpenBankingConnector(http, base_url=bank_url, client_id="sarraf", client_secret="wrong",
                                     financial_id="x", tenant="sandbox")
    with pytest.raises(ConsentUnusable):
        await connector.start_linking(READS, REDIRECT)


async def test_event_subscription_is_created_once_per_callback(bank_url: str) -> None:
    """Every replica subscribes on start-up: the bank's existing subscription for our callback is reused."""
    posts: list[str] = []

    async def record(request: httpx.Request) -> None:
        if request.method == "POST" and request.url.path.endswith("/event-subscriptions"):
            posts.append(str(request.url))

    async with httpx.AsyncClient(timeout=5, event_hooks={"request": [record]}) as http:
        first, second = connector_for(http, bank_url), connector_for(http, bank_url)  # two replicas
        callback = "http://127.0.0.1:8000/banks/sandbox/events"
        created = await first.subscribe_events(callback)
        assert await second.subscribe_events(callback) == created
        assert len(posts) == 1
        moved = await second.subscribe_events("http://127.0.0.1:8001/banks/sandbox/events")
        assert moved != created and len(posts) == 2  # a new callback is a new subscription


class BankKeepingEverySubscription(httpx.AsyncBaseTransport):
    """The sandbox for everything but event subscriptions, which this bank keeps all of (as a real bank may):
    the replicas' first listings both come before either creates one, as when they start together."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.held: dict[str, str] = {}  # id -> callback
        self.listings = 0
        self.both_listed = asyncio.Event()
        self.deleted: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if "/event-subscriptions" not in path:
            return await self.inner.handle_async_request(request)
        if request.method == "GET":
            self.listings += 1
            if self.listings >= 2:
                self.both_listed.set()
            held = [{"EventSubscriptionId": i, "CallbackUrl": url, "Version": "4.0"} for i, url in self.held.items()]
            return httpx.Response(200, json={"Data": {"EventSubscription": held}})
        if request.method == "POST":
            await asyncio.wait_for(self.both_listed.wait(), 5)
            created = f"sub-{len(self.held) + len(self.deleted) + 1}"
            self.held[created] = json.loads(request.content)["Data"]["CallbackUrl"]
            await asyncio.sleep(0.05)  # the other replica creates its own meanwhile
            return httpx.Response(201, json={"Data": {"EventSubscriptionId": created}})
        gone = path.rsplit("/", 1)[-1]
        if self.held.pop(gone, None) is None:
            return httpx.Response(404, json={"Code": "404", "Errors": []})
        self.deleted.append(gone)
        return httpx.Response(204)


async def test_replicas_starting_together_converge_on_one_subscription(bank_url: str) -> None:
    bank = BankKeepingEverySubscription()
    async with httpx.AsyncClient(timeout=5, transport=bank) as http:
        first, second = connector_for(http, bank_url), connector_for(http, bank_url)
        callback = "http://127.0.0.1:8000/banks/sandbox/events"
        kept = await asyncio.gather(first.subscribe_events(callback), second.subscribe_events(callback))
    assert kept[0] == kept[1] == "sub-1", "both replicas keep the same one"
    assert list(bank.held) == ["sub-1"] and bank.deleted == ["sub-2"]


async def test_sandbox_deletes_a_subscription(bank_url: str) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        connector = connector_for(http, bank_url)
        created = await connector.subscribe_events("http://127.0.0.1:8000/banks/sandbox/events")
        bearer = await connector._client_bearer()
        url = f"{bank_url}/open-banking/v4.0/event-subscriptions/{created}"
        assert (await http.delete(url, headers={"Authorization": f"Bearer {bearer}"})).status_code == 204
        again = await http.delete(url, headers={"Authorization": f"Bearer {bearer}"})
        assert again.status_code == 404 and "no event subscription" in again.text
