"""Payments that settle later at the sandbox over real HTTP (sandbox_bank/settlement.py): accepted as PDNG, nothing
booked; settled on the bank's clock when a TPP reads the payment after its due time (both sides booked once), or
by the admin's settle step; rejected with StatusReason AM04 when the money left the account meanwhile; the
status readable through GET /…-payments/{id}, /payment-details and the connector's payment_status."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from sarraf.banks.openbanking import OpenBankingConnector
from sarraf.banks.sandbox_login import complete_sandbox_sca
from sarraf.domain.payments import Payee, PaymentOrder, SourceAccount
from sarraf.sandbox_bank import create_app
from sarraf.sandbox_bank.admin import ADMIN_HEADER
from sarraf.sandbox_bank.events import OB_RESOURCE_UPDATE
from sarraf.sandbox_bank.profiles import PROFILES
from sarraf.sandbox_bank.settle_rule import ABOVE_ENV, ABROAD_ENV, AFTER_ENV
from tests.sandbox_bank.flow import REDIRECT, Clock, SandboxClient
from tests.sandbox_bank.test_pisp import (
    PISP,
    assert_pis_valid,
    balance,
    client_token,
    consent_and_token,
    initiation,
    james_current,
    post,
)
from tests.sandbox_bank.test_pisp_international import SISTER_IN_GERMANY
from tests.support.live_server import serve

SECRET = "admin-secret-for-tests"


def claims(token: str) -> dict[str, Any]:
    """A SET's claims (its signature is the events tests' subject, not this one's)."""
    payload = token.split(".")[1]
    found: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return found


@pytest.fixture
def bank(tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxClient]:
    """The sandbox with payments over £100 (and every payment abroad) settling a minute after submission."""
    monkeypatch.setenv(ABOVE_ENV, "100")
    monkeypatch.setenv(ABROAD_ENV, "1")
    monkeypatch.setenv(AFTER_ENV, "60")
    outer = Starlette(routes=[Mount("/bank", app=create_app(tmp_path / "sandbox.db", now=clock,
                                                             admin_secret=SECRET))])
    with serve(outer) as url, httpx.Client(base_url=url + "/bank", timeout=10) as http:
        yield SandboxClient(http, url + "/bank")


def pay(bank: SandboxClient, amount: str) -> str:
    init = initiation(amount, identification=james_current())
    consent_id, token = consent_and_token(bank, init)
    paid = post(bank, "/domestic-payments", {"Data": {"ConsentId": consent_id, "Initiation": init}, "Risk": {}},
                token, "k-" + uuid.uuid4().hex[:20])
    assert paid.status_code == 201, paid.text
    assert_pis_valid("OBWriteDomesticResponse5", paid.json())
    return str(paid.json()["Data"]["DomesticPaymentId"])


def status(bank: SandboxClient, payment_id: str) -> tuple[str, list[dict[str, str]]]:
    read = bank.http.get(f"{PISP}/domestic-payments/{payment_id}", headers=bank.bearer(client_token(bank)))
    assert read.status_code == 200, read.text
    assert_pis_valid("OBWriteDomesticResponse5", read.json())
    return read.json()["Data"]["Status"], read.json()["Data"].get("StatusReason", [])


def details(bank: SandboxClient, payment_id: str) -> dict[str, object]:
    read = bank.http.get(f"{PISP}/domestic-payments/{payment_id}/payment-details",
                         headers=bank.bearer(client_token(bank)))
    assert read.status_code == 200, read.text
    assert_pis_valid("OBWritePaymentDetailsResponse1", read.json())
    found: dict[str, object] = read.json()["Data"]["PaymentStatus"][0]
    return found


def test_over_the_amount_settles_on_the_banks_clock_booked_once(bank: SandboxClient, clock: Clock) -> None:
    payer, payee = balance(bank, "sandbox-en-1"), balance(bank, "sandbox-en-2")
    assert status(bank, pay(bank, "20.00"))[0] == "ACSC"  # under the amount: at once
    payment_id = pay(bank, "150.00")
    assert status(bank, payment_id)[0] == "PDNG" and details(bank, payment_id)["Status"] == "PDNG"
    assert balance(bank, "sandbox-en-1") == payer - Decimal("20.00")  # nothing of it booked yet
    clock.advance(seconds=59)
    assert status(bank, payment_id)[0] == "PDNG"
    clock.advance(seconds=2)
    assert status(bank, payment_id)[0] == "ACSC"
    shown = details(bank, payment_id)
    assert shown["Status"] == "ACSC" and shown["PaymentTransactionId"] == payment_id
    assert datetime.fromisoformat(str(shown["StatusUpdateDateTime"])) == clock().replace(microsecond=0)
    assert balance(bank, "sandbox-en-1") == payer - Decimal("170.00")
    assert balance(bank, "sandbox-en-2") == payee + Decimal("170.00")
    clock.advance(minutes=5)
    assert status(bank, payment_id)[0] == "ACSC"
    assert balance(bank, "sandbox-en-1") == payer - Decimal("170.00")  # read again: booked once


def test_money_gone_before_settlement_rejects_it_with_the_reason(bank: SandboxClient) -> None:
    payment_id = pay(bank, "300.00")
    left = balance(bank, "sandbox-en-1")
    drained = bank.http.post("/sarraf/v1/admin/withdraw", json={"customer": "sandbox-en-1",
                                                                "amount": str(left - Decimal("100"))},
                             headers={ADMIN_HEADER: SECRET})
    assert drained.status_code == 200, drained.text
    settled = bank.http.post("/sarraf/v1/admin/settle", json={"due_only": False}, headers={ADMIN_HEADER: SECRET})
    assert settled.json()["settled"] == [{"payment_id": payment_id, "status": "RJCT", "reason": "AM04"}]
    state, reasons = status(bank, payment_id)
    assert state == "RJCT" and reasons[0]["StatusReasonCode"] == "AM04"
    assert details(bank, payment_id)["StatusDetail"] == {"Status": "RJCT", "StatusReason": "AM04",
                                                         "StatusReasonDescription": "Insufficient funds"}
    assert balance(bank, "sandbox-en-1") == Decimal("100")
    polled = bank.http.post("/open-banking/v4.0/events", json={"returnImmediately": True},
                            headers=bank.bearer(client_token(bank)))
    announced = [claims(token) for token in polled.json()["sets"].values()]
    assert [c["events"][OB_RESOURCE_UPDATE]["subject"]["http://openbanking.org.uk/rid"] for c in announced] \
        == [payment_id]
    assert announced[0]["sub"].endswith(f"/domestic-payments/{payment_id}")
    again = bank.http.post("/sarraf/v1/admin/settle", json={"due_only": False}, headers={ADMIN_HEADER: SECRET})
    assert again.json()["settled"] == []
    refused = bank.http.post("/sarraf/v1/admin/settle", json={}, headers={ADMIN_HEADER: "wrong"})
    assert refused.status_code == 401


async def test_the_connector_reads_a_payment_abroad_settling_later(bank: SandboxClient, clock: Clock) -> None:
    profile = next(p for p in PROFILES if p.customer_id == "sandbox-pl-1")
    current = next(a for a in profile.accounts if a.suffix == "current")
    before = balance(bank, "sandbox-pl-1")
    order = PaymentOrder(uuid.uuid4().hex[:35], Decimal("50.00"), "PLN",
                         Payee("Magdalena Kowalska", "UK.OBIE.IBAN", SISTER_IN_GERMANY),
                         SourceAccount("sandbox-pl-1-current", current.scheme, current.identification, "PLN", "Konto"),
                         None, currency_of_transfer="EUR")
    async with httpx.AsyncClient(timeout=30) as http:
        connector = OpenBankingConnector(http, base_url=bank.base_url, client_id="sarraf",
                                         client_secret="sandbox-secret", financial_id="0015800001041RHAAY",
                                         tenant="sandbox")
        made = await connector.create_payment_consent(order, "consent-key-1")
        url, _, verifier = await connector.payment_authorisation(made.consent_id, REDIRECT, "pl")
        redirect = await complete_sandbox_sca(http, url, username="sandbox-pl-1")
        tokens = await connector.payment_token(httpx.URL(redirect).params["code"], verifier, REDIRECT)
        paid = await connector.submit_payment(tokens, made.consent_id, order, "payment-key-1")
        assert paid.status == "PDNG"  # abroad: settles later whatever the amount
        assert (await connector.payment_status(paid.payment_id, international=True)).status == "PDNG"
        assert balance(bank, "sandbox-pl-1") == before
        clock.advance(seconds=61)
        assert (await connector.payment_status(paid.payment_id, international=True)).status == "ACSC"
    assert balance(bank, "sandbox-pl-1") == before - Decimal("50.00")
