"""OB v4.0 PIS at the sandbox over real HTTP: consent, SCA page (login + one-time code), PKCE, idempotent
payment, double-entry ledger visible through AIS, spec-valid bodies."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

import httpx
import jsonschema
import yaml

from tests.sandbox_bank import ob_schema
from tests.sandbox_bank.flow import CLIENT, REDIRECT, SandboxClient, pkce

PISP = "/open-banking/v4.0/pisp"


@cache
def _pis_validator(name: str) -> jsonschema.Draft4Validator:
    spec = yaml.safe_load((ob_schema.REPO / "specs/open-banking-uk-v4.0/payment-initiation-openapi.yaml")
                          .read_text(encoding="utf-8"))
    comps = ob_schema._nullable_to_type(spec["components"])
    return jsonschema.Draft4Validator({"$ref": f"#/components/schemas/{name}", "components": comps},
                                      format_checker=ob_schema.FORMATS)


def assert_pis_valid(name: str, body: Any) -> None:
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _pis_validator(name).iter_errors(body)]
    assert not problems, f"{name}: " + "; ".join(problems[:5])


def initiation(amount: str = "20.00", currency: str = "GBP", *, name: str = "James Okafor",
               identification: str = "", scheme: str = "UK.OBIE.SortCodeAccountNumber") -> dict[str, Any]:
    return {"InstructionIdentification": uuid.uuid4().hex[:20], "EndToEndIdentification": uuid.uuid4().hex[:20],
            "InstructedAmount": {"Amount": amount, "Currency": currency},
            "CreditorAccount": {"SchemeName": scheme, "Identification": identification, "Name": name},
            "RemittanceInformation": {"Unstructured": ["dinner"]}}


def client_token(bank: SandboxClient) -> str:
    r = bank.http.post("/oauth/token", data={"grant_type": "client_credentials", "scope": "payments"}, auth=CLIENT)
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def post(bank: SandboxClient, path: str, body: Any, token: str, key: str) -> httpx.Response:
    return bank.http.post(PISP + path, json=body, headers={**bank.bearer(token), "x-idempotency-key": key})


def authorise(bank: SandboxClient, consent_id: str, username: str = "sandbox-en-1",
              otp: str | None = None) -> httpx.Response:
    """Log in at the SCA page, read the one-time code it shows, enter it; returns the redirect."""
    verifier, challenge = pkce()
    page = bank.http.get("/oauth/authorize", params={
        "response_type": "code", "client_id": "sarraf", "redirect_uri": REDIRECT, "scope": "openid payments",
        "state": "st-pay", "code_challenge": challenge, "code_challenge_method": "S256", "consent_id": consent_id})
    assert page.status_code == 200, page.text
    request_id = re.search(r'name="auth_request" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    coded = bank.http.post("/sca/payment", data={"auth_request": request_id, "step": "login", "username": username,
                                                  "password": "sandbox", "decision": "approve"})
    assert coded.status_code == 200, coded.text
    shown = re.search(r'id="otp-shown">(\d{6})<', coded.text).group(1)  # type: ignore[union-attr]
    done = bank.http.post("/sca/payment", data={"auth_request": request_id, "step": "code", "otp": otp or shown,
                                                 "decision": "approve"})
    done.verifier = verifier  # type: ignore[attr-defined]
    return done


def james_current() -> str:
    from sarraf.sandbox_bank.profiles import PROFILES

    james = next(p for p in PROFILES if p.customer_id == "sandbox-en-2")
    return next(a.identification for a in james.accounts if a.suffix == "current")


def balance(bank: SandboxClient, customer: str) -> Decimal:
    linked = bank.link(["ReadAccountsDetail", "ReadBalances"], username=customer)
    body = bank.get(f"/accounts/{customer}-current/balances", linked.access_token).json()
    item = body["Data"]["Balance"][0]
    sign = 1 if item["CreditDebitIndicator"] == "Credit" else -1
    return sign * Decimal(item["Amount"]["Amount"])


def consent_and_token(bank: SandboxClient, init: dict[str, Any]) -> tuple[str, str]:
    body = {"Data": {"Initiation": init}, "Risk": {}}
    created = post(bank, "/domestic-payment-consents", body, client_token(bank), "c-" + uuid.uuid4().hex[:20])
    assert created.status_code == 201, created.text
    assert_pis_valid("OBWriteDomesticConsentResponse5", created.json())
    consent_id = created.json()["Data"]["ConsentId"]
    done = authorise(bank, consent_id)
    assert done.status_code == 302, done.text
    code = httpx.URL(done.headers["location"]).params["code"]
    tokens = bank.exchange(code, done.verifier)  # type: ignore[attr-defined]
    assert tokens.status_code == 200, tokens.text
    return consent_id, str(tokens.json()["access_token"])


def test_internal_payment_moves_both_balances_exactly_once_and_replays_answer_the_same(bank: SandboxClient) -> None:
    payer_before, payee_before = balance(bank, "sandbox-en-1"), balance(bank, "sandbox-en-2")
    init = initiation(identification=james_current())
    consent_id, token = consent_and_token(bank, init)
    funds = bank.http.get(f"{PISP}/domestic-payment-consents/{consent_id}/funds-confirmation",
                          headers=bank.bearer(token))
    assert funds.status_code == 200 and funds.json()["Data"]["FundsAvailableResult"]["FundsAvailable"] is True
    assert_pis_valid("OBWriteFundsConfirmationResponse1", funds.json())
    body = {"Data": {"ConsentId": consent_id, "Initiation": init}, "Risk": {}}
    assert_pis_valid("OBWriteDomestic2", body)
    first = post(bank, "/domestic-payments", body, token, "pay-key-1")
    assert first.status_code == 201, first.text
    assert_pis_valid("OBWriteDomesticResponse5", first.json())
    assert first.json()["Data"]["Status"] == "ACSC"
    again = post(bank, "/domestic-payments", body, token, "pay-key-1")
    assert again.status_code == 201 and again.json() == first.json()
    other_body = {"Data": {"ConsentId": consent_id, "Initiation": {**init, "InstructedAmount": {
        "Amount": "21.00", "Currency": "GBP"}}}, "Risk": {}}
    conflict = post(bank, "/domestic-payments", other_body, token, "pay-key-1")
    assert conflict.status_code == 400 and conflict.json()["Errors"][0]["Path"] == "x-idempotency-key"
    second_key = post(bank, "/domestic-payments", body, token, "pay-key-2")
    assert second_key.status_code == 400  # one consent pays once, whatever the key
    assert balance(bank, "sandbox-en-1") == payer_before - Decimal("20.00")
    assert balance(bank, "sandbox-en-2") == payee_before + Decimal("20.00")
    status = bank.http.get(f"{PISP}/domestic-payments/{first.json()['Data']['DomesticPaymentId']}",
                           headers=bank.bearer(client_token(bank)))
    assert status.status_code == 200 and status.json()["Data"]["Status"] == "ACSC"
    linked = bank.link(["ReadAccountsDetail", "ReadTransactionsDetail", "ReadTransactionsDebits",
                        "ReadTransactionsCredits"], username="sandbox-en-1")
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")
    rows = bank.get("/accounts/sandbox-en-1-current/transactions", linked.access_token,
                    fromBookingDateTime=since).json()["Data"]["Transaction"]
    paid = [r for r in rows if "James Okafor dinner" in r.get("TransactionInformation", "")]
    assert len(paid) == 1 and paid[0]["Amount"]["Amount"] == "20.00"


def test_insufficient_funds_is_rejected_and_nothing_moves(bank: SandboxClient) -> None:
    before = balance(bank, "sandbox-en-1")
    init = initiation(amount="9999999.00", identification=james_current())
    consent_id, token = consent_and_token(bank, init)
    paid = post(bank, "/domestic-payments", {"Data": {"ConsentId": consent_id, "Initiation": init}, "Risk": {}},
                token, "big-1")
    assert paid.status_code == 201 and paid.json()["Data"]["Status"] == "RJCT"
    assert paid.json()["Data"]["StatusReason"][0]["StatusReasonCode"] == "AM04"
    assert balance(bank, "sandbox-en-1") == before


def test_payment_token_serves_only_its_consent_and_no_account_data(bank: SandboxClient) -> None:
    init = initiation(identification=james_current())
    consent_id, token = consent_and_token(bank, init)
    other_id, _ = consent_and_token(bank, initiation(identification=james_current()))
    wrong = post(bank, "/domestic-payments", {"Data": {"ConsentId": other_id, "Initiation": init}, "Risk": {}},
                 token, "k-1")
    assert wrong.status_code == 403
    assert bank.get("/accounts", token).status_code == 403
    changed = {**init, "InstructedAmount": {"Amount": "999.00", "Currency": "GBP"}}
    tampered = post(bank, "/domestic-payments", {"Data": {"ConsentId": consent_id, "Initiation": changed},
                                                 "Risk": {}}, token, "k-2")
    assert tampered.status_code == 400


def test_wrong_one_time_code_gives_no_authorisation_and_pkce_is_checked(bank: SandboxClient) -> None:
    body = {"Data": {"Initiation": initiation(identification=james_current())}, "Risk": {}}
    consent_id = post(bank, "/domestic-payment-consents", body, client_token(bank), "c-x").json()["Data"]["ConsentId"]
    refused = authorise(bank, consent_id, otp="not-a-code")
    assert refused.status_code in (200, 401) and "code" not in refused.headers.get("location", "")
    body2 = {"Data": {"Initiation": initiation(identification=james_current())}, "Risk": {}}
    consent2 = post(bank, "/domestic-payment-consents", body2, client_token(bank), "c-y").json()["Data"]["ConsentId"]
    done = authorise(bank, consent2)
    code = httpx.URL(done.headers["location"]).params["code"]
    wrong_verifier, _ = pkce()
    assert bank.exchange(code, wrong_verifier).status_code == 400


def test_consent_post_needs_an_idempotency_key_and_replays_by_it(bank: SandboxClient) -> None:
    token = client_token(bank)
    body = {"Data": {"Initiation": initiation(identification=james_current())}, "Risk": {}}
    missing = bank.http.post(PISP + "/domestic-payment-consents", json=body, headers=bank.bearer(token))
    assert missing.status_code == 400
    first = post(bank, "/domestic-payment-consents", body, token, "same")
    second = post(bank, "/domestic-payment-consents", body, token, "same")
    assert first.json()["Data"]["ConsentId"] == second.json()["Data"]["ConsentId"]
