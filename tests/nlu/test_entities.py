"""Money, period, category, merchant and payee extraction in English, Polish and Arabic."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from num2words import num2words

from sarraf.conversation.nlu import Nlu
from sarraf.conversation.nlu.entities import extract_entities
from sarraf.conversation.nlu.entities.categories import CATEGORIES
from sarraf.conversation.nlu.entities.fold import fold
from sarraf.conversation.nlu.entities.merchants import merchant_matches
from sarraf.conversation.nlu.entities.numbers import find_number_words

from .conftest import NOW


def money(text: str, intent: str = "transfer_money") -> list[dict[str, object]]:
    return [e.value for e in extract_entities(text, "en", NOW, intent=intent) if e.kind == "money"]


def period(text: str) -> dict[str, date]:
    found = [e for e in extract_entities(text, "en", NOW, intent="spending_summary") if e.kind == "period"]
    assert len(found) == 1, found
    return found[0].value  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("send £20 to mum", "20", "GBP"),
        ("give him 20 quid", "20", "GBP"),
        ("przelej 50 zł", "50", "PLN"),
        ("przelej pięćdziesiąt złotych Ani", "50", "PLN"),
        ("حول خمسين دولار لمحمد", "50", "USD"),
        ("ارسل ٥٠ ريال", "50", "SAR"),
        ("pay 45.50 EUR", "45.50", "EUR"),
        ("przelej 1 500,50 zł", "1500.50", "PLN"),
        ("send 1,250 pounds", "1250", "GBP"),
        ("send fifty pounds", "50", "GBP"),
        ("حول ألفين جنيه", "2000", "EGP"),
        ("pay Anna 100", "100", "PLN"),
    ],
)
def test_money(text: str, amount: str, currency: str) -> None:
    assert money(text) == [{"amount": Decimal(amount), "currency": currency}]


def test_bare_numbers_are_not_money_outside_payment_intents() -> None:
    assert money("freeze card ending 1234", intent="freeze_card") == []
    assert money("show my last 5 payments", intent="recent_transactions") == []


def test_default_currency_applies_to_bare_amounts() -> None:
    found = extract_entities("pay Tom 30", "en", NOW, intent="transfer_money", default_currency="GBP")
    assert [e.value for e in found if e.kind == "money"] == [{"amount": Decimal(30), "currency": "GBP"}]


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("how much did I spend last month", date(2025, 4, 1), date(2025, 4, 30)),
        ("ile wydałem w zeszłym miesiącu", date(2025, 4, 1), date(2025, 4, 30)),
        ("كم صرفت الشهر الماضي", date(2025, 4, 1), date(2025, 4, 30)),
        ("spending last week", date(2025, 5, 5), date(2025, 5, 11)),
        ("wydatki w zeszłym tygodniu", date(2025, 5, 5), date(2025, 5, 11)),
        ("مصاريف الأسبوع الماضي", date(2025, 5, 5), date(2025, 5, 11)),
        ("since March", date(2025, 3, 1), date(2025, 5, 14)),
        ("od marca", date(2025, 3, 1), date(2025, 5, 14)),
        ("this year", date(2025, 1, 1), date(2025, 5, 14)),
        ("w tym roku", date(2025, 1, 1), date(2025, 5, 14)),
        ("yesterday", date(2025, 5, 13), date(2025, 5, 13)),
        ("امبارح", date(2025, 5, 13), date(2025, 5, 13)),
        ("في شهر مارس", date(2025, 3, 1), date(2025, 3, 31)),
        ("بشهر آذار", date(2025, 3, 1), date(2025, 3, 31)),
        ("w marcu", date(2025, 3, 1), date(2025, 3, 31)),
        ("in June", date(2024, 6, 1), date(2024, 6, 30)),
        ("od 5 marca", date(2025, 3, 5), date(2025, 5, 14)),
        ("last 7 days", date(2025, 5, 8), date(2025, 5, 14)),
        ("this month", date(2025, 5, 1), date(2025, 5, 14)),
    ],
)
def test_periods(text: str, start: date, end: date) -> None:
    assert period(text) == {"start": start, "end": end}


def test_since_weekday_falls_back_to_dateparser() -> None:
    assert period("what did I spend since monday") == {"start": date(2025, 5, 12), "end": date(2025, 5, 14)}


@pytest.mark.parametrize(
    ("text", "lang", "category"),
    [
        ("how much on groceries", "en", "groceries"),
        ("ile wydałem na jedzenie", "pl", "food"),
        ("كم صرفت على المطاعم", "ar", "eating_out"),
        ("spent on uber", "en", "transport"),
        ("wydatki na paliwo", "pl", "transport"),
        ("subscriptions this year", "en", "subscriptions"),
        ("ile na rozrywkę", "pl", "entertainment"),
        ("مصاريف السفر", "ar", "travel"),
    ],
)
def test_categories(text: str, lang: str, category: str) -> None:
    found = [e.value for e in extract_entities(text, lang, NOW, intent="spending_summary") if e.kind == "category"]
    assert found == [category]
    assert category in CATEGORIES


@pytest.mark.parametrize(
    ("text", "payee"),
    [("send £20 to Sarah", "Sarah"), ("przelej 30 zł do Kasi", "Kasi"), ("حول ٥٠ دينار لأحمد", "أحمد")],
)
def test_payee(text: str, payee: str) -> None:
    found = [e.value for e in extract_entities(text, "en", NOW, intent="transfer_money") if e.kind == "payee"]
    assert found == [payee]


def test_entity_spans_index_the_original_text(nlu: Nlu) -> None:
    p = nlu.parse("Przelej PIĘĆDZIESIĄT złotych do Ani w tym tygodniu", now=NOW)
    assert p.entities
    for e in p.entities:
        assert p.text[e.start : e.end] == e.text


@settings(max_examples=150, deadline=None)
@given(n=st.integers(min_value=1, max_value=999_999), lang=st.sampled_from(["en", "pl"]))
def test_number_words_roundtrip_en_pl(n: int, lang: str) -> None:
    words = num2words(n, lang=lang)
    spans = find_number_words(fold(words))
    assert [v for _, _, v in spans] == [Decimal(n)], words


@settings(max_examples=150, deadline=None)
@given(n=st.integers(min_value=1, max_value=9_999))
def test_number_words_roundtrip_ar(n: int) -> None:
    words = num2words(n, lang="ar")
    spans = find_number_words(fold(words))
    assert [v for _, _, v in spans] == [Decimal(n)], words


@settings(max_examples=100, deadline=None)
@given(n=st.integers(min_value=1, max_value=99_999), cents=st.integers(min_value=0, max_value=99))
def test_digit_amounts_roundtrip(n: int, cents: int) -> None:
    text = f"pay {n}.{cents:02d} GBP"
    assert money(text) == [{"amount": Decimal(f"{n}.{cents:02d}"), "currency": "GBP"}]


@settings(max_examples=100, deadline=None)
@given(n=st.integers(min_value=1, max_value=99_999))
def test_arabic_indic_digits_roundtrip(n: int) -> None:
    arabic = str(n).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert money(f"حول {arabic} ريال") == [{"amount": Decimal(n), "currency": "SAR"}]


# ---- merchants (issue 21): "at Tesco", "w Biedronce", «في بنده» ----


def merchant(text: str, lang: str, intent: str = "spending_summary") -> object:
    found = [e.value for e in extract_entities(text, lang, NOW, intent=intent) if e.kind == "merchant"]
    assert len(found) <= 1, found
    return found[0] if found else None


@pytest.mark.parametrize(
    ("text", "lang", "said"),
    [
        ("how much did I spend at Tesco this year?", "en", "Tesco"),
        ("how much have I spent at pret a manger last week", "en", "pret"),
        ("what did I spend in Camden Market?", "en", "Camden Market"),
        ("ile wydałem w Biedronce w tym roku?", "pl", "Biedronce"),
        ("ile wydałem na jedzenie w Żabce w marcu?", "pl", "Żabce"),
        ("ile wydałam u Rossmanna", "pl", "Rossmanna"),
        ("كم صرفت في بنده هذه السنة؟", "ar", "بنده"),
        ("كم صرفت عند الدانوب الشهر الماضي", "ar", "الدانوب"),
    ],
)
def test_the_merchant_phrase_is_found(text: str, lang: str, said: str) -> None:
    assert merchant(text, lang) == said


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("how much did I spend this year?", "en"),
        ("how much did I spend in total this year?", "en"),
        ("how much did I spend in March?", "en"),
        ("ile wydałem w tym roku?", "pl"),
        ("ile wydałem w marcu?", "pl"),
        ("ile wydałem na jedzenie?", "pl"),
        ("ile wydałem w zeszłym miesiącu", "pl"),
        ("كم صرفت في الشهر الماضي", "ar"),
        ("كم صرفت على الطعام هذا الشهر", "ar"),
    ],
)
def test_periods_categories_and_totals_are_not_merchants(text: str, lang: str) -> None:
    assert merchant(text, lang) is None


def test_merchants_are_looked_for_only_in_spending_and_transaction_questions() -> None:
    assert merchant("pay 20 at Tesco", "en", intent="transfer_money") is None
    assert merchant("show my transactions at Tesco", "en", intent="recent_transactions") == "Tesco"


@pytest.mark.parametrize(
    ("said", "name"),
    [
        ("Tesco", "Tesco"), ("tesco", "TESCO LONDON"), ("Sainsburys", "Sainsbury's"), ("pret", "Pret A Manger"),
        ("Biedronce", "Biedronka"), ("biedronki", "Biedronka"), ("Żabce", "Żabka"), ("zabce", "Żabka"),
        ("Lidlu", "Lidl Polska"), ("Orlenie", "Orlen"),
        ("بنده", "Panda"), ("بندة", "Panda"), ("الدانوب", "Danube"), ("التميمي", "Tamimi Markets"),
        ("البيك", "AlBaik"), ("كودو", "Kudu"), ("كريم", "Careem"), ("أوبر", "Uber"), ("جرير", "Jarir Bookstore"),
        ("نون", "noon"), ("اكسترا", "eXtra"), ("النهدي", "Nahdi Pharmacy"),
    ],
)
def test_a_merchant_matches_its_latin_and_arabic_forms(said: str, name: str) -> None:
    assert merchant_matches(said, name)


@pytest.mark.parametrize(
    ("said", "name"),
    [("Tesco", "Sainsbury's"), ("Biedronce", "Lidl Polska"), ("بنده", "Danube"), ("الدانوب", "Panda"),
     ("كريم", "Kudu"), ("Żabce", "Carrefour Express")],
)
def test_other_merchants_do_not_match(said: str, name: str) -> None:
    assert not merchant_matches(said, name)
