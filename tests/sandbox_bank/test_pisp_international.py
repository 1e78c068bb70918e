"""OB v4.0 international payments at the sandbox over real HTTP: the bank's quote (rate table, Actual / Agreed /
Indicative, ExpirationDateTime), spec-valid bodies, a payment booked once in the debtor's currency, and a payment
after the quote expired refused with nothing moved."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st

from sarraf.banks.openbanking import OpenBankingConnector
from sarraf.banks.sandbox_login import complete_sandbox_sca
from sarraf.domain.payments import Payee, PaymentOrder, SourceAccount
from sarraf.sandbox_bank.profiles import PROFILES
from sarraf.sandbox_bank.rates import CURRENCIES, MARGIN, QUOTE_TTL, rate
from tests.sandbox_bank.flow import REDIRECT, Clock, SandboxClient
from tests.sandbox_bank.test_pisp import PISP, assert_pis_valid, authorise, balance, client_token, initiation, post

SISTER_IN_GERMANY = "DE89370400440532013000"


def international(amount: str = "300.00", rate_info: dict[str, Any] | None = None,
                  transfer: str = "EUR") -> dict[str, Any]:
    init = initiation(amount, "PLN", name="Magdalena Kowalska", identification=SISTER_IN_GERMANY,
                      scheme="UK.OBIE.IBAN")
    return {**init, "CurrencyOfTransfer": transfer,
            "ExchangeRateInformation": rate_info or {"UnitCurrency": "PLN", "RateType": "Actual"}}


def consent(bank: SandboxClient, init: dict[str, Any]) -> httpx.Response:
    return post(bank, "/international-payment-consents", {"Data": {"Initiation": init}, "Risk": {}},
                client_token(bank), "ic-" + uuid.uuid4().hex[:20])


def authorised(bank: SandboxClient, consent_id: str) -> str:
    done = authorise(bank, consent_id, username="sandbox-pl-1")
    assert done.status_code == 302, done.text
    tokens = bank.exchange(httpx.URL(done.headers["location"]).params["code"], done.verifier)  # type: ignore[attr-defined]
    assert tokens.status_code == 200, tokens.text
    return str(tokens.json()["access_token"])


def test_a_quoted_payment_abroad_is_booked_once_in_the_debtors_currency(bank: SandboxClient, clock: Clock) -> None:
    before = balance(bank, "sandbox-pl-1")
    init = international()
    assert_pis_valid("OBWriteInternationalConsent5", {"Data": {"Initiation": init}, "Risk": {}})
    created = consent(bank, init)
    assert created.status_code == 201, created.text
    assert_pis_valid("OBWriteInternationalConsentResponse6", created.json())
    quoted = created.json()["Data"]["ExchangeRateInformation"]
    assert quoted["UnitCurrency"] == "PLN" and quoted["RateType"] == "Actual"
    assert Decimal(str(quoted["ExchangeRate"])) == rate("PLN", "EUR")
    assert datetime.fromisoformat(quoted["ExpirationDateTime"]) == (clock() + QUOTE_TTL).replace(microsecond=0)
    consent_id = created.json()["Data"]["ConsentId"]
    token = authorised(bank, consent_id)
    body = {"Data": {"ConsentId": consent_id, "Initiation": init}, "Risk": {}}
    assert_pis_valid("OBWriteInternational3", body)
    paid = post(bank, "/international-payments", body, token, "ip-key-1")
    assert paid.status_code == 201, paid.text
    assert_pis_valid("OBWriteInternationalResponse5", paid.json())
    assert paid.json()["Data"]["Status"] == "ACSC"
    assert paid.json()["Data"]["ExchangeRateInformation"] == quoted
    again = post(bank, "/international-payments", body, token, "ip-key-1")  # a retry: the same answer
    assert again.status_code == 201 and again.json() == paid.json()
    assert balance(bank, "sandbox-pl-1") == before - Decimal("300.00")
    payment_id = paid.json()["Data"]["InternationalPaymentId"]
    status = bank.http.get(f"{PISP}/international-payments/{payment_id}", headers=bank.bearer(client_token(bank)))
    assert status.status_code == 200 and status.json()["Data"]["Status"] == "ACSC"


def test_a_payment_after_the_quote_expired_is_refused_and_nothing_moves(bank: SandboxClient, clock: Clock) -> None:
    before = balance(bank, "sandbox-pl-1")
    init = international("120.00")
    created = consent(bank, init)
    consent_id = created.json()["Data"]["ConsentId"]
    clock.advance(seconds=QUOTE_TTL.total_seconds() + 1)  # the customer took their time before authorising
    token = authorised(bank, consent_id)
    late = post(bank, "/international-payments", {"Data": {"ConsentId": consent_id, "Initiation": init}, "Risk": {}},
                token, "ip-key-late")
    assert late.status_code == 400 and "quote expired" in late.json()["Errors"][0]["Message"], late.text
    assert balance(bank, "sandbox-pl-1") == before


def test_agreed_rates_must_be_the_banks_and_indicative_rates_promise_no_expiry(bank: SandboxClient) -> None:
    wrong = consent(bank, international(rate_info={"UnitCurrency": "PLN", "RateType": "Agreed", "ExchangeRate": 9.9,
                                                   "ContractIdentification": "fx-1"}))
    assert wrong.status_code == 400, wrong.text
    agreed = consent(bank, international(rate_info={"UnitCurrency": "PLN", "RateType": "Agreed",
                                                    "ExchangeRate": float(rate("PLN", "EUR")),
                                                    "ContractIdentification": "fx-1"}))
    assert agreed.status_code == 201, agreed.text
    assert agreed.json()["Data"]["ExchangeRateInformation"]["ContractIdentification"] == "fx-1"
    indicative = consent(bank, international(rate_info={"UnitCurrency": "PLN", "RateType": "Indicative"}))
    assert indicative.status_code == 201 and "ExpirationDateTime" not in indicative.json()["Data"][
        "ExchangeRateInformation"]
    assert consent(bank, international(transfer="JPY")).status_code == 400


@given(st.sampled_from(CURRENCIES), st.sampled_from(CURRENCIES))
def test_the_rate_table_round_trip_loses_exactly_the_margin_twice(unit: str, to: str) -> None:
    there_and_back = rate(unit, to) * rate(to, unit)
    if unit == to:
        assert there_and_back == 1
    else:
        assert abs(there_and_back - (1 - MARGIN) ** 2) < Decimal("0.00001")


async def test_the_connector_pays_abroad_with_the_quote_it_was_given(bank: SandboxClient) -> None:
    """banks/ob_payments.py against the sandbox: the consent's quote is read, the payment made once."""
    profile = next(p for p in PROFILES if p.customer_id == "sandbox-pl-1")
    current = next(a for a in profile.accounts if a.suffix == "current")
    before = balance(bank, "sandbox-pl-1")
    order = PaymentOrder(uuid.uuid4().hex[:35], Decimal("300.00"), "PLN",
                         Payee("Magdalena Kowalska", "UK.OBIE.IBAN", SISTER_IN_GERMANY),
                         SourceAccount("sandbox-pl-1-current", current.scheme, current.identification, "PLN", "Konto"),
                         "Siostra", currency_of_transfer="EUR")
    async with httpx.AsyncClient(timeout=30) as http:
        connector = OpenBankingConnector(http, base_url=bank.base_url, client_id="sarraf",
                                         client_secret="sandbox-secret", financial_id="0015800001041RHAAY",
                                         tenant="sandbox")
        made = await connector.create_payment_consent(order, "consent-key-1")
        assert made.consent_id.startswith("pic-") and made.quote is not None
        assert made.quote.rate == rate("PLN", "EUR") and made.quote.rate_type == "Actual"
        assert made.quote.expires_at is not None and made.charges == ()  # the sandbox charges no fee abroad
        url, _, verifier = await connector.payment_authorisation(made.consent_id, REDIRECT, "pl")
        redirect = await complete_sandbox_sca(http, url, username="sandbox-pl-1")
        tokens = await connector.payment_token(httpx.URL(redirect).params["code"], verifier, REDIRECT)
        paid = await connector.submit_payment(tokens, made.consent_id, order, "payment-key-1")
        again = await connector.submit_payment(tokens, made.consent_id, order, "payment-key-1")
        assert paid == again and paid.status == "ACSC"
        assert (await connector.payment_status(paid.payment_id, international=True)).status == "ACSC"
    assert balance(bank, "sandbox-pl-1") == before - Decimal("300.00")
