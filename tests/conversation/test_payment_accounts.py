"""Payee accounts typed in chat: IBANs checked by schwifty, UK sort code + account (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from schwifty import IBAN

from sarraf.conversation.payment_accounts import AccountProblem, PayeeAccount, parse_account


def test_spaced_iban_in_a_sentence() -> None:
    assert parse_account("pay 50 EUR to PL61 1090 1014 0000 0712 1981 2874") == PayeeAccount(
        "UK.OBIE.IBAN", "PL61109010140000071219812874")


@pytest.mark.parametrize("text", ["pay PL62 1090 1014 0000 0712 1981 2874", "to DE89370400440532013001"])
def test_a_wrong_check_digit_is_a_bad_iban(text: str) -> None:
    assert parse_account(text) is AccountProblem.BAD_IBAN


def test_sort_code_and_account_number() -> None:
    assert parse_account("send £5 to 40-12-76 44501733") == PayeeAccount(
        "UK.OBIE.SortCodeAccountNumber", "40127644501733")
    assert parse_account("send £5 to Alice") is AccountProblem.MISSING


@given(st.sampled_from(["DE", "PL", "FR", "GB", "SA", "AE"]), st.integers(min_value=0, max_value=10**8 - 1))
def test_any_generated_iban_is_found_and_one_changed_digit_is_caught(country: str, number: int) -> None:
    bank_codes = {"DE": "37040044", "PL": "10901014", "FR": "20041", "GB": "NWBK", "SA": "80", "AE": "033"}
    iban = IBAN.generate(country, bank_code=bank_codes[country], account_code=str(number))
    spaced = iban.formatted
    assert parse_account(f"pay 10 EUR to {spaced} please") == PayeeAccount("UK.OBIE.IBAN", iban.compact)
    last = iban.compact[-1]
    if last.isdigit():
        broken = iban.compact[:-1] + str((int(last) + 1) % 10)
        assert parse_account(f"pay {broken}") is AccountProblem.BAD_IBAN
