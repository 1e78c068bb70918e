"""The sandbox's offers over HTTP: OBReadOffer1 bodies, matched on the ledger the bank also serves, texts in the
customer's language, and pushed offer events that carry the offer and nothing it was matched on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from sarraf.sandbox_bank import create_app
from sarraf.sandbox_bank.offers import ABROAD_MCCS, IDLE_FROM
from tests.sandbox_bank import ob_schema
from tests.sandbox_bank.flow import Clock, SandboxClient
from tests.support.live_server import serve

ADMIN = "offers-admin-secret"
WITH_OFFERS = ["ReadAccountsDetail", "ReadBalances", "ReadTransactionsDetail", "ReadTransactionsCredits",
               "ReadTransactionsDebits", "ReadOffers"]
CUSTOMERS = ("sandbox-en-1", "sandbox-en-2", "sandbox-pl-1", "sandbox-ar-1")
SCRIPT = {"en": str.isascii, "pl": lambda t: any(c in t for c in "ąęółśżźćń"),
          "ar": lambda t: any("\u0600" <= c <= "\u06ff" for c in t)}


@pytest.fixture
def bank(tmp_path: Path) -> Iterator[SandboxClient]:
    outer = Starlette(routes=[Mount("/bank", app=create_app(tmp_path / "s.db", now=Clock(), admin_secret=ADMIN))])
    with serve(outer) as url, httpx.Client(base_url=url + "/bank", timeout=10) as http:
        yield SandboxClient(http, url + "/bank")


def _all_transactions(bank: SandboxClient, token: str, account_id: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        body = bank.get(f"/accounts/{account_id}/transactions", token, page=str(page)).json()
        rows += body["Data"]["Transaction"]
        if "Next" not in body["Links"]:
            return rows
        page += 1


def _signed(balance: dict[str, Any]) -> Decimal:
    value = Decimal(balance["Amount"]["Amount"])
    return value if balance["CreditDebitIndicator"] == "Credit" else -value


def test_offers_validate_and_follow_the_ledger(bank: SandboxClient) -> None:
    kinds_seen: set[str] = set()
    for customer in CUSTOMERS:
        linked = bank.link(WITH_OFFERS, username=customer)
        lang = customer.split("-")[1]
        accounts = bank.get("/accounts", linked.access_token).json()["Data"]["Account"]
        history = {a["AccountId"]: _all_transactions(bank, linked.access_token, a["AccountId"]) for a in accounts}
        quarter = datetime.now(UTC) - timedelta(days=90)
        abroad = any(t.get("MerchantDetails", {}).get("MerchantCategoryCode") in ABROAD_MCCS
                     for rows in history.values() for t in rows
                     if datetime.fromisoformat(t["BookingDateTime"]) >= quarter)
        for account in accounts:
            response = bank.get(f"/accounts/{account['AccountId']}/offers", linked.access_token)
            assert response.status_code == 200, response.text
            ob_schema.assert_valid("OBReadOffer1", response.json())
            offers = response.json()["Data"]["Offer"]
            types = {o["OfferType"] for o in offers}
            for offer in offers:
                assert offer["AccountId"] == account["AccountId"]
                assert SCRIPT[lang](offer["Description"]), offer["Description"]
                kinds_seen.add(offer["OfferType"])
            if account["AccountTypeCode"] == "CACC":
                assert ("Other" in types) == abroad  # the FX card: only for who paid abroad
                since = datetime.now(UTC) - timedelta(days=30)
                month = [_signed(t["Balance"]) for t in history[account["AccountId"]]
                         if datetime.fromisoformat(t["BookingDateTime"]) >= since]
                idle = bool(month) and min(month) >= IDLE_FROM[account["Currency"]]
                assert ("PromotionalRate" in types) == idle  # idle money: never below the mark all month
    assert "PromotionalRate" in kinds_seen


def test_offers_need_read_offers(bank: SandboxClient) -> None:
    linked = bank.link(username="sandbox-en-1")  # no ReadOffers
    response = bank.get("/accounts/sandbox-en-1-current/offers", linked.access_token)
    assert response.status_code == 403
    assert "ReadOffers" in response.text


def test_an_offer_event_carries_the_offer_and_nothing_it_was_matched_on(bank: SandboxClient) -> None:
    bank.link(WITH_OFFERS, username="sandbox-pl-1")
    answer = bank.http.post("/sarraf/v1/admin/simulate", headers={"x-sandbox-admin-secret": ADMIN},
                            json={"event": "offer", "customer": "sandbox-pl-1", "push": False})
    assert answer.status_code == 200, answer.text
    (event,) = answer.json()["events"]
    assert event["event"] == "urn:sarraf:alerts:offer"
    data = event["data"]
    assert set(data) <= {"offer_id", "offer_type", "lang", "description", "term", "start", "end", "url", "rate"}
    assert data["lang"] == "pl" and SCRIPT["pl"](data["description"] + data["term"])
    ledger = bank.get("/accounts/sandbox-pl-1-current/transactions", bank.link(username="sandbox-pl-1").access_token)
    merchants = {t["MerchantDetails"]["MerchantName"] for t in ledger.json()["Data"]["Transaction"]
                 if "MerchantDetails" in t}
    text = repr(data)
    assert not any(m in text for m in merchants)
    assert "sandbox-pl-1-current" not in text and "PL48" not in text
