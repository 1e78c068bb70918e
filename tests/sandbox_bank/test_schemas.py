"""Every kind of body the sandbox serves validates against the official OB v4.0 schemas."""

from __future__ import annotations

import httpx
import pytest

from tests.sandbox_bank import ob_schema
from tests.sandbox_bank.flow import AISP, SandboxClient

ACCOUNTS = ("sandbox-en-1-current", "sandbox-en-1-savings", "sandbox-en-1-card")


def _checked(schema: str, response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["x-fapi-interaction-id"]
    body: dict[str, object] = response.json()
    ob_schema.assert_valid(schema, body)
    return body


def test_consent_bodies(bank: SandboxClient) -> None:
    created = _checked("OBReadConsentResponse1", bank.create_consent(
        ExpirationDateTime="2099-01-01T00:00:00+00:00", TransactionFromDateTime="2020-01-01T00:00:00+00:00"), 201)
    consent_id = created["Data"]["ConsentId"]  # type: ignore[index]
    _checked("OBReadConsentResponse1", bank.consent(consent_id), 200)
    linked = bank.link()
    _checked("OBReadConsentResponse1", bank.consent(linked.consent_id), 200)


def test_account_balance_and_transaction_bodies_for_every_customer(bank: SandboxClient) -> None:
    for customer in ("sandbox-en-1", "sandbox-en-2", "sandbox-pl-1", "sandbox-ar-1"):
        for permissions in (None, ["ReadAccountsBasic", "ReadBalances", "ReadTransactionsBasic",
                                   "ReadTransactionsCredits", "ReadTransactionsDebits"]):
            linked = bank.link(permissions, username=customer)
            listed = _checked("OBReadAccount6", bank.get("/accounts", linked.access_token), 200)
            for account in listed["Data"]["Account"]:  # type: ignore[index]
                account_id = account["AccountId"]
                _checked("OBReadAccount6", bank.get(f"/accounts/{account_id}", linked.access_token), 200)
                _checked("OBReadBalance1", bank.get(f"/accounts/{account_id}/balances", linked.access_token), 200)
                page = _checked("OBReadTransaction6",
                                bank.get(f"/accounts/{account_id}/transactions", linked.access_token), 200)
                assert page["Data"]["Transaction"]  # type: ignore[index]


@pytest.mark.parametrize("case", ["400-bad-body", "400-bad-date", "401-no-token", "403-no-permission",
                                  "403-foreign-account", "404-consent", "404-route"])
def test_error_bodies(bank: SandboxClient, case: str) -> None:
    status = int(case[:3])
    if case == "400-bad-body":
        response = bank.http.post(f"{AISP}/account-access-consents", content=b"{not json",
                                  headers=bank.bearer(bank.client_token()))
    elif case == "400-bad-date":
        linked = bank.link()
        response = bank.get(f"/accounts/{ACCOUNTS[0]}/transactions", linked.access_token, toBookingDateTime="soon")
    elif case == "401-no-token":
        response = bank.http.get(AISP + "/accounts")
    elif case == "403-no-permission":
        linked = bank.link(["ReadAccountsBasic"])
        response = bank.get(f"/accounts/{ACCOUNTS[0]}/balances", linked.access_token)
    elif case == "403-foreign-account":
        linked = bank.link()
        response = bank.get("/accounts/sandbox-ar-1-current/balances", linked.access_token)
    elif case == "404-consent":
        response = bank.consent("aac-none")
    else:
        response = bank.http.get(AISP + "/no-such-resource")
    _checked("OBErrorResponse1", response, status)


def test_the_validator_rejects_what_the_spec_forbids() -> None:
    bad_amount = {"Data": {"Balance": [{"AccountId": "a", "CreditDebitIndicator": "Credit", "Type": "ITAV",
                                        "DateTime": "2024-01-01T00:00:00+00:00",
                                        "Amount": {"Amount": "-1.00", "Currency": "GBP"}}]}}
    assert ob_schema.errors("OBReadBalance1", bad_amount)
    no_zone = {"Data": {"Balance": [{"AccountId": "a", "CreditDebitIndicator": "Credit", "Type": "ITAV",
                                     "DateTime": "2024-01-01T00:00:00",
                                     "Amount": {"Amount": "1.00", "Currency": "GBP"}}]}}
    assert ob_schema.errors("OBReadBalance1", no_zone)
    assert ob_schema.errors("OBErrorResponse1", {"Errors": []})
