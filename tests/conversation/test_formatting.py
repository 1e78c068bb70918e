"""CLDR formatting of money, dates and plural forms in Arabic, Polish and English."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sarraf.domain.money import Money
from sarraf.i18n.replies import catalog, format_date, format_money
from sarraf.i18n.replies.formatting import plural_category, strip_bidi_marks


@pytest.mark.parametrize(
    ("lang", "money", "expected"),
    [
        ("en", Money.of("1234.5", "GBP"), "£1,234.50"),
        ("en", Money.of("-12", "GBP"), "-£12.00"),
        ("pl", Money.of("1234.5", "PLN"), "1 234,50 zł"),
        ("pl", Money.of("12345.5", "PLN"), "12 345,50 zł"),
        ("ar", Money.of("1234.5", "SAR"), "1,234.50 ر.س.\u200f"),
    ],
)
def test_money_follows_each_locale(lang: str, money: Money, expected: str) -> None:
    assert strip_bidi_marks(format_money(money, lang)).replace("\xa0", " ") == strip_bidi_marks(expected)


def test_arabic_money_is_wrapped_in_direction_marks_for_rtl_rendering() -> None:
    assert "\u200f" in format_money(Money.of("10", "SAR"), "ar")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "3 Nov 2026"), ("pl", "3 lis 2026"), ("ar", "03\u200f/11\u200f/2026")],
)
def test_dates_follow_each_locale(lang: str, expected: str) -> None:
    assert format_date(date(2026, 11, 3), lang) == expected


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (1, "Twoja ostatnia transakcja:"),
        (3, "Twoje ostatnie 3 transakcje:"),
        (5, "Twoje ostatnie 5 transakcji:"),
        (22, "Twoje ostatnie 22 transakcje:"),
        (12, "Twoje ostatnie 12 transakcji:"),
    ],
)
def test_polish_plurals(count: int, text: str) -> None:
    assert catalog().text("pl", "transactions_header", count=count) == text


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (1, "آخر معاملة لك:"),
        (2, "آخر معاملتين لك:"),
        (3, "آخر 3 معاملات لك:"),
        (11, "آخر 11 معاملة لك:"),
        (100, "آخر 100 معاملة لك:"),
    ],
)
def test_arabic_dual_and_plural_forms(count: int, text: str) -> None:
    assert catalog().text("ar", "transactions_header", count=count) == text


def test_english_plurals() -> None:
    assert catalog().text("en", "transactions_header", count=1) == "Your last transaction:"
    assert catalog().text("en", "transactions_header", count=4) == "Your last 4 transactions:"


@given(st.integers(min_value=0, max_value=10_000), st.sampled_from(["ar", "pl", "en"]))
def test_every_count_has_a_form_in_every_language(count: int, lang: str) -> None:
    for key, entry in catalog().messages[lang].items():
        if isinstance(entry, dict):
            assert plural_category(lang, count) in entry or "other" in entry, key
            assert catalog().text(lang, key, count=count, start="a", end="b", amount="x", category="c", bank="B",
                                  merchant="M")


@given(st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=2))
def test_formatted_amount_keeps_the_value(amount: Decimal) -> None:
    text = strip_bidi_marks(format_money(Money(amount, "PLN"), "pl")).replace("\xa0", "").replace(" ", "")
    digits = text.replace("zł", "").replace(",", ".").replace("\u2212", "-")
    assert Decimal(digits) == amount


@given(
    lang=st.sampled_from(["en", "pl", "ar", "xx"]),
    currency=st.sampled_from(["GBP", "PLN", "SAR", "EUR", "USD", "JPY", "KWD", "AED", "CHF", "XXX"]),
    amount=st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=3, allow_nan=False),
)
def test_money_is_formatted_exactly_as_babels_format_currency(lang: str, currency: str, amount: Decimal) -> None:
    """format_money fills the currency into the CLDR pattern once per language; the text must not change."""
    from babel.numbers import format_currency

    from sarraf.i18n.replies.formatting import locale_for

    expected = format_currency(amount, currency, locale=locale_for(lang))
    assert format_money(Money(amount, currency), lang) == expected
