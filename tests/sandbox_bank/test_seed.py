"""The seeded customers: deterministic, consistent, local, and always with recent data."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from schwifty import IBAN

from sarraf.sandbox_bank.profiles import PROFILES
from sarraf.sandbox_bank.seed import seed_bank

TODAY = date(2025, 3, 15)


@pytest.fixture(scope="module")
def bank():  # type: ignore[no-untyped-def]
    return seed_bank(TODAY)


def test_same_day_same_data_and_ids_stable_across_anchors(bank) -> None:  # type: ignore[no-untyped-def]
    again = seed_bank(TODAY)
    assert bank.accounts == again.accounts
    later = seed_bank(TODAY + timedelta(days=7))
    ids_before = {e.transaction_id for a in bank.accounts.values() for e in a.entries if a.spec.kind != "card"
                  and e.code == "CardPayment"}
    ids_later = {e.transaction_id for a in later.accounts.values() for e in a.entries if a.spec.kind != "card"
                 and e.code == "CardPayment"}
    assert len(ids_before & ids_later) > 0.9 * len(ids_before)


def test_balances_equal_opening_plus_entries(bank) -> None:  # type: ignore[no-untyped-def]
    for account in bank.accounts.values():
        total = sum((e.amount if e.credit else -e.amount for e in account.entries), Decimal(0))
        assert account.balance == account.spec.opening_balance + total


def test_every_customer_has_current_and_savings_with_recent_history(bank) -> None:  # type: ignore[no-untyped-def]
    for profile in PROFILES:
        accounts = bank.accounts_of(profile.customer_id)
        assert {a.spec.kind for a in accounts} >= {"current", "savings"}
        current = next(a for a in accounts if a.spec.kind == "current")
        last_month = [e for e in current.entries if TODAY - timedelta(days=31) <= e.booked_at.date() < TODAY]
        assert len(last_month) > 20
        assert max(e.booked_at.date() for e in current.entries) < TODAY
        assert min(e.booked_at.date() for e in current.entries) <= TODAY - timedelta(days=170)
        codes = Counter(e.code for e in current.entries)
        assert codes["Salary"] == 6 and codes["StandingOrder"] == 6 and codes["CardPayment"] > 100
        assert all(e.merchant is not None and len(e.merchant.mcc) == 4
                   for e in current.entries if e.code == "CardPayment")


def test_ibans_are_valid_and_local(bank) -> None:  # type: ignore[no-untyped-def]
    prefixes = {"PLN": "PL", "SAR": "SA"}
    for account in bank.accounts.values():
        if account.spec.scheme == "UK.OBIE.IBAN":
            iban = IBAN(account.spec.identification)  # raises on a bad mod-97 checksum
            assert iban.country_code == prefixes[account.currency]
        elif account.spec.scheme == "UK.OBIE.SortCodeAccountNumber":
            assert account.currency == "GBP" and len(account.spec.identification) == 14


def test_local_merchants(bank) -> None:  # type: ignore[no-untyped-def]
    def merchants(customer: str) -> set[str]:
        return {e.merchant.name for a in bank.accounts_of(customer) for e in a.entries if e.merchant}

    assert {"Tesco", "Pret A Manger", "TfL Travel Charge"} <= merchants("sandbox-en-1")
    assert {"Biedronka", "Żabka", "Orlen", "Allegro"} <= merchants("sandbox-pl-1")
    assert {"Panda", "Jarir Bookstore", "Careem", "STC"} <= merchants("sandbox-ar-1")
