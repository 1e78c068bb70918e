"""Amounts in payment requests: exact minor units, refusals with a reason (hypothesis round trips)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sarraf.conversation.payment_amounts import AmountProblem, ParsedAmount, parse_amount


@pytest.mark.parametrize(("text", "expected"), [
    ("send £7.31 to Alice Smith", ParsedAmount(731, "GBP")),
    ("przelej 100 zł Kasi za obiad", ParsedAmount(10000, "PLN")),
    ("przelej 1,50 zł mamie", ParsedAmount(150, "PLN")),
    ("حول ٢٠٠ ريال لأحمد", ParsedAmount(20000, "SAR")),
    ("pay 50 EUR to PL61 1090 1014 0000 0712 1981 2874", ParsedAmount(5000, "EUR")),
    ("send $3 to Bob", ParsedAmount(300, "USD")),
])
def test_amounts_in_three_languages(text: str, expected: ParsedAmount) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize(("text", "problem"), [
    ("send £7.319 to Alice", AmountProblem.TOO_MANY_DECIMALS),
    ("przelej 0 zł Kasi", AmountProblem.NOT_POSITIVE),
    ("send -5 EUR to Marie", AmountProblem.NOT_POSITIVE),
    ("send money to Alice", AmountProblem.MISSING),
])
def test_refusals(text: str, problem: AmountProblem) -> None:
    assert parse_amount(text) is problem


def test_a_bare_number_needs_the_account_currency() -> None:
    assert parse_amount("send 20 to Alice") is AmountProblem.MISSING
    assert parse_amount("send 20 to Alice", "GBP") == ParsedAmount(2000, "GBP")


@given(st.integers(min_value=1, max_value=10**9), st.sampled_from(["GBP", "PLN", "SAR", "EUR", "USD"]))
def test_any_positive_two_decimal_amount_round_trips(minor: int, currency: str) -> None:
    text = f"{Decimal(minor).scaleb(-2):.2f} {currency}"
    parsed = parse_amount(text)
    assert parsed == ParsedAmount(minor, currency)
    assert isinstance(parsed, ParsedAmount) and parsed.decimal == Decimal(minor).scaleb(-2)


@given(st.integers(min_value=1, max_value=10**6), st.integers(min_value=1, max_value=9))
def test_a_third_decimal_is_always_refused(whole: int, third: int) -> None:
    assert parse_amount(f"£{whole}.0{third}{third}") is AmountProblem.TOO_MANY_DECIMALS
