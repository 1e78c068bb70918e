"""Account information: the consent lifecycle and what a token may read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount

from sarraf.sandbox_bank import create_app
from tests.sandbox_bank.flow import AISP, Clock, SandboxClient, pkce
from tests.support.live_server import serve

TX = "/accounts/sandbox-en-1-current/transactions"


def test_interaction_id_is_echoed_or_minted(bank: SandboxClient) -> None:
    linked = bank.link()
    echoed = bank.http.get(AISP + "/accounts", headers={**bank.bearer(linked.access_token),
                                                         "x-fapi-interaction-id": "93bac548-d2de-4546"})
    assert echoed.headers["x-fapi-interaction-id"] == "93bac548-d2de-4546"
    assert bank.get("/accounts", linked.access_token).headers["x-fapi-interaction-id"]


def test_delete_cancels_consent_and_its_tokens_get_403(bank: SandboxClient) -> None:
    linked = bank.link()
    deleted = bank.http.delete(f"{AISP}/account-access-consents/{linked.consent_id}",
                               headers=bank.bearer(bank.client_token()))
    assert deleted.status_code == 204
    assert bank.consent(linked.consent_id).json()["Data"]["Status"] == "CANC"
    answer = bank.get("/accounts", linked.access_token)
    assert answer.status_code == 403
    assert answer.json()["Errors"][0]["ErrorCode"] == "U004"
    assert bank.refresh(linked.refresh_token).status_code == 400


def test_consent_past_expiry_becomes_expd(bank: SandboxClient, clock: Clock) -> None:
    expires = (clock() + timedelta(days=1)).isoformat()
    consent_id = bank.create_consent(ExpirationDateTime=expires).json()["Data"]["ConsentId"]
    linked_consent = bank.link()
    clock.advance(days=2)
    assert bank.consent(consent_id).json()["Data"]["Status"] == "EXPD"
    assert bank.consent(linked_consent.consent_id).json()["Data"]["Status"] == "AUTH"  # open-ended


def test_authorised_consent_expiring_stops_its_token(bank: SandboxClient, clock: Clock) -> None:
    consent = bank.create_consent(ExpirationDateTime=(clock() + timedelta(minutes=2)).isoformat())
    consent_id = consent.json()["Data"]["ConsentId"]
    verifier, challenge = pkce()
    token = bank.exchange(bank.code_for(consent_id, challenge), verifier).json()["access_token"]
    assert bank.get("/accounts", token).status_code == 200
    clock.advance(minutes=3)
    assert bank.get("/accounts", token).status_code == 403
    assert bank.consent(consent_id).json()["Data"]["Status"] == "EXPD"


def test_unknown_token_is_401_and_client_token_cannot_read_accounts(bank: SandboxClient) -> None:
    assert bank.get("/accounts", "not-a-token").status_code == 401
    assert bank.http.get(AISP + "/accounts").status_code == 401
    assert bank.get("/accounts", bank.client_token()).status_code == 403


def test_unknown_consent_is_404(bank: SandboxClient) -> None:
    answer = bank.consent("aac-missing")
    assert answer.status_code == 404
    assert answer.json()["Errors"][0]["ErrorCode"] == "U005"


def test_bad_consent_requests_are_400(bank: SandboxClient) -> None:
    assert bank.create_consent(["ReadNothing"]).status_code == 400
    needs_direction = bank.create_consent(["ReadTransactionsDetail"])
    assert needs_direction.status_code == 400
    assert needs_direction.json()["Errors"][0]["Path"] == "Data.Permissions"
    past = bank.create_consent(ExpirationDateTime="2001-01-01T00:00:00+00:00")
    assert past.status_code == 400
    no_risk = bank.http.post(f"{AISP}/account-access-consents", json={"Data": {"Permissions": ["ReadBalances"]}},
                             headers=bank.bearer(bank.client_token()))
    assert no_risk.status_code == 400


def test_only_selected_accounts_are_served(bank: SandboxClient) -> None:
    linked = bank.link(accounts=["sandbox-en-1-savings"])
    listed = bank.get("/accounts", linked.access_token).json()["Data"]["Account"]
    assert [a["AccountId"] for a in listed] == ["sandbox-en-1-savings"]
    assert bank.get("/accounts/sandbox-en-1-current/balances", linked.access_token).status_code == 403
    assert bank.get("/accounts/sandbox-pl-1-current", linked.access_token).status_code == 403


def test_permissions_limit_what_is_served(bank: SandboxClient) -> None:
    linked = bank.link(["ReadAccountsBasic", "ReadBalances"])
    account = bank.get("/accounts/sandbox-en-1-current", linked.access_token).json()["Data"]["Account"][0]
    assert "Account" not in account  # no identification without ReadAccountsDetail
    assert bank.get(TX, linked.access_token).status_code == 403
    debits_only = bank.link(["ReadAccountsBasic", "ReadTransactionsBasic", "ReadTransactionsDebits"])
    rows = bank.get(TX, debits_only.access_token).json()["Data"]["Transaction"]
    assert rows and {r["CreditDebitIndicator"] for r in rows} == {"Debit"}
    assert all("MerchantDetails" not in r and "TransactionInformation" not in r for r in rows)
    no_balances = bank.link(["ReadAccountsDetail"])
    assert bank.get("/accounts/sandbox-en-1-current/balances", no_balances.access_token).status_code == 403


def test_transactions_window_and_paging(bank: SandboxClient, clock: Clock) -> None:
    linked = bank.link()
    today = clock().date()
    since = (today - timedelta(days=60)).isoformat()
    until = (today - timedelta(days=30)).isoformat() + "T23:59:59Z"
    first = bank.get(TX, linked.access_token, fromBookingDateTime=since, toBookingDateTime=until)
    assert first.status_code == 200
    rows = list(first.json()["Data"]["Transaction"])
    next_url = first.json()["Links"].get("Next")
    while next_url:
        page = bank.http.get(next_url, headers=bank.bearer(linked.access_token)).json()
        rows += page["Data"]["Transaction"]
        next_url = page["Links"].get("Next")
    assert len(rows) > 40  # more than one page of 40
    assert len({r["TransactionId"] for r in rows}) == len(rows)
    booked = [datetime.fromisoformat(r["BookingDateTime"]) for r in rows]
    assert min(booked) >= datetime.fromisoformat(since).replace(tzinfo=UTC)
    assert max(booked) <= datetime.fromisoformat(until)
    bad = bank.get(TX, linked.access_token, fromBookingDateTime="last tuesday")
    assert bad.status_code == 400


def test_refresh_token_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    with serve(Starlette(routes=[Mount("/bank", app=create_app(state))])) as url, \
            httpx.Client(base_url=url + "/bank") as http:
        linked = SandboxClient(http, url + "/bank").link()
    with serve(Starlette(routes=[Mount("/bank", app=create_app(state))])) as url, \
            httpx.Client(base_url=url + "/bank") as http:
        client = SandboxClient(http, url + "/bank")
        refreshed = client.refresh(linked.refresh_token)
        assert refreshed.status_code == 200
        assert client.get("/accounts", refreshed.json()["access_token"]).status_code == 200
