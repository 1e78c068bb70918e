"""Minimisation keeps masked data useful but never exact, and link_only gives nothing away."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sarraf.domain.banking import Account, Balance, CreditDebit, Transaction
from sarraf.domain.disclosure import Minimisation
from sarraf.domain.money import Money
from sarraf.policy.minimise import (
    MASK,
    UNCATEGORISED,
    mask_identifier,
    minimise,
    minimise_all,
    round_amount,
    rounding_step,
)

DETERMINISTIC = settings(derandomize=True, database=None, max_examples=300)
amounts = st.decimals(min_value=Decimal("-10000000"), max_value=Decimal("10000000"), places=2,
                      allow_nan=False, allow_infinity=False)
identifiers = st.text(alphabet="0123456789ABCDEFGHJKLMNPQRSTUVWXYZ -", min_size=0, max_size=34)
WHEN = datetime(2025, 3, 14, 15, 9, 26, tzinfo=UTC)


def transaction(amount: Decimal = Decimal("12.34"), **changes: object) -> Transaction:
    fields: dict[str, object] = {
        "transaction_id": "t1", "account_id": "a1", "booked_at": WHEN, "amount": Money(amount, "GBP"),
        "credit_debit": CreditDebit.DEBIT, "description": "CARD PAYMENT TO PRET A MANGER LONDON",
        "merchant_name": "Pret A Manger", "merchant_category_code": "5812", "category": "food",
        "card_last4": "4242", "extra": {"location": "51.5,-0.1"},
    }
    fields.update(changes)
    return Transaction(**fields)  # type: ignore[arg-type]


@DETERMINISTIC
@given(amounts)
def test_rounded_amounts_stay_within_half_a_step_and_land_on_the_step(amount: Decimal) -> None:
    rounded = round_amount(amount)
    step = rounding_step(amount)
    assert abs(rounded - amount) <= step / 2
    assert rounded % step == 0
    assert (rounded >= 0) == (amount >= 0) or rounded == 0


@pytest.mark.parametrize(("amount", "expected"), [
    ("0", "0"), ("4.99", "0"), ("5", "10"), ("-5", "-10"), ("-4.99", "0"), ("123.45", "120"),
    ("999.99", "1000"), ("1000", "1000"), ("2349.99", "2300"), ("2350", "2400"), ("-1234567.89", "-1234600"),
])
def test_rounding_examples(amount: str, expected: str) -> None:
    assert round_amount(Decimal(amount)) == Decimal(expected)
    assert str(round_amount(Decimal(amount))) != "-0"


@DETERMINISTIC
@given(identifiers)
def test_masked_identifier_never_contains_the_whole_identifier(identification: str) -> None:
    masked = mask_identifier(identification)
    significant = "".join(c for c in identification if c.isalnum())
    visible = masked.removeprefix(MASK).strip()
    assert len(visible) <= 4
    if len(significant) >= 5:
        assert significant not in masked
    assert significant.endswith(visible)


def test_identifier_examples() -> None:
    assert mask_identifier("GB29 NWBK 6016 1331 9268 19") == f"{MASK} 6819"
    assert mask_identifier("12-34-56 87654321") == f"{MASK} 4321"
    assert mask_identifier("1234567") == MASK


@DETERMINISTIC
@given(amounts, identifiers)
def test_masked_records_keep_shape_but_not_detail(amount: Decimal, identification: str) -> None:
    account = Account("a1", "GBP", "Main", "Personal/CurrentAccount", identification)
    masked_account = minimise(account, Minimisation.MASKED)
    assert masked_account.identification == mask_identifier(identification)
    assert (masked_account.account_id, masked_account.nickname) == ("a1", "Main")

    balance = Balance("a1", Money(amount, "GBP"), "InterimAvailable", WHEN)
    assert minimise(balance, Minimisation.MASKED).amount == Money(round_amount(amount), "GBP")

    masked = minimise(transaction(abs(amount)), Minimisation.MASKED)
    assert masked.amount.amount == round_amount(abs(amount))
    assert masked.merchant_name is None
    assert "PRET" not in masked.description.upper()
    assert masked.description == "food"
    assert masked.extra == {}
    assert masked.booked_at == datetime(2025, 3, 14, tzinfo=UTC)
    assert masked.credit_debit is CreditDebit.DEBIT


def test_uncategorised_transactions_are_generalised_to_other() -> None:
    assert minimise(transaction(category=None), Minimisation.MASKED).description == UNCATEGORISED


@pytest.mark.parametrize("item", [
    Money(Decimal("12.34"), "GBP"),
    Account("a1", "GBP", "Main", "Personal/CurrentAccount", "12345687654321"),
    Balance("a1", Money(Decimal("-3.5"), "GBP"), "InterimAvailable", WHEN),
    transaction(),
])
def test_full_is_unchanged_and_link_only_is_nothing(item: object) -> None:
    assert minimise(item, Minimisation.FULL) is item
    assert minimise(item, Minimisation.LINK_ONLY) is None
    assert minimise_all([item, item], Minimisation.LINK_ONLY) == []
    assert minimise_all([item], Minimisation.FULL) == [item]


def test_unknown_types_are_refused_rather_than_passed_through() -> None:
    with pytest.raises(TypeError):
        minimise("a raw string", Minimisation.MASKED)
