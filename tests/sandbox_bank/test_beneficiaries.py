"""Seeded payees at AIS /accounts/{AccountId}/beneficiaries: spec-valid, permission-gated, real checksums."""

from __future__ import annotations

import pytest
from schwifty import IBAN

from sarraf.sandbox_bank.beneficiaries import BENEFICIARIES
from tests.sandbox_bank import ob_schema
from tests.sandbox_bank.flow import SandboxClient

DETAIL = ["ReadAccountsDetail", "ReadBeneficiariesDetail"]


@pytest.mark.parametrize(("customer", "names"), [
    ("sandbox-en-1", {"Alice Smith", "Marie Dubois"}),
    ("sandbox-pl-1", {"Katarzyna Nowak", "Magdalena Kowalska"}),
    ("sandbox-ar-1", {"أحمد العتيبي", "عمر الحداد"}),
])
def test_each_customer_sees_a_domestic_and_a_foreign_payee(bank: SandboxClient, customer: str,
                                                           names: set[str]) -> None:
    linked = bank.link(DETAIL, username=customer)
    answer = bank.get(f"/accounts/{customer}-current/beneficiaries", linked.access_token)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    ob_schema.assert_valid("OBReadBeneficiary5", body)
    rows = body["Data"]["Beneficiary"]
    assert {r["CreditorAccount"]["Name"] for r in rows} == names
    assert all(r["AccountId"] == f"{customer}-current" for r in rows)


def test_basic_permission_hides_the_payee_account(bank: SandboxClient) -> None:
    linked = bank.link(["ReadAccountsBasic", "ReadBeneficiariesBasic"])
    rows = bank.get("/accounts/sandbox-en-1-current/beneficiaries", linked.access_token).json()["Data"]["Beneficiary"]
    assert rows and all("CreditorAccount" not in r for r in rows)


def test_without_a_beneficiary_permission_the_answer_is_403(bank: SandboxClient) -> None:
    linked = bank.link()
    answer = bank.get("/accounts/sandbox-en-1-current/beneficiaries", linked.access_token)
    assert answer.status_code == 403
    assert answer.json()["Errors"][0]["ErrorCode"] == "U003"


def test_an_account_outside_the_consent_is_refused(bank: SandboxClient) -> None:
    linked = bank.link(DETAIL)
    assert bank.get("/accounts/sandbox-pl-1-current/beneficiaries", linked.access_token).status_code == 403


def test_seeded_payee_accounts_pass_their_checksums() -> None:
    for payee in BENEFICIARIES:
        if payee.scheme == "UK.OBIE.IBAN":
            assert IBAN(payee.identification).compact == payee.identification
        else:
            assert len(payee.identification) == 14 and payee.identification.isdigit()
