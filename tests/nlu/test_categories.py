"""Spending categories: the longest phrase wins, Arabic clitics and the article are accepted, groceries and
eating out are told apart, and a name no table covers is reported (to be asked about), never dropped."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sarraf.banks.categories import CATEGORIES as BANK_CATEGORIES
from sarraf.banks.categories import category_for_mcc
from sarraf.conversation.nlu.entities import extract_entities
from sarraf.conversation.nlu.entities.categories import GROUPS, LANGUAGES, members, read_table
from tests.nlu.conftest import NOW

AR_CLITICS = ["", "ال", "بال", "وال", "فال", "لل", "عال", "وبال", "ولل", "ب", "ل", "و", "ف", "ك"]


def categories(text: str, lang: str) -> list[str]:
    return [str(e.value) for e in extract_entities(text, lang, NOW, intent="spending_summary") if e.kind == "category"]


def unplaced(text: str, lang: str) -> list[str]:
    return [str(e.value) for e in extract_entities(text, lang, NOW, intent="spending_summary") if e.kind == "unplaced"]


@pytest.mark.parametrize(
    ("text", "lang", "category"),
    [
        ("ile wydałem na zakupy spożywcze w zeszłym miesiącu?", "pl", "groceries"),
        ("ile wydałem na zakupach spożywczych", "pl", "groceries"),
        ("ile wydałem na zakupy w zeszłym miesiącu?", "pl", "shopping"),
        ("ile wydałem na jedzenie na mieście", "pl", "eating_out"),
        ("ile wydałem na jedzenie", "pl", "food"),
        ("كم صرفت على البقالة الشهر الماضي؟", "ar", "groceries"),
        ("كم صرفت على المطاعم", "ar", "eating_out"),
        ("كم صرفت عالأكل", "ar", "food"),
        ("مصاريف السفر", "ar", "travel"),
        ("groceries", "en", "groceries"),
        ("how much did I spend on food shopping", "en", "groceries"),
        ("how much did I spend on eating out", "en", "eating_out"),
        ("coffee this month", "en", "eating_out"),
        ("how much on food", "en", "food"),
        ("spent on the train", "en", "transport"),
    ],
)
def test_the_most_specific_category_is_found(text: str, lang: str, category: str) -> None:
    assert categories(text, lang) == [category]


@pytest.mark.parametrize(
    ("text", "lang"),
    [("what kind of spending is that", "en"), ("how much did I spend on business trips", "en"),
     ("ile wydałem na wódkę", "pl"), ("ile wydałem w loterii", "pl")],
)
def test_a_stem_of_one_word_never_fires_inside_another(text: str, lang: str) -> None:
    assert "entertainment" not in categories(text, lang) and "utilities" not in categories(text, lang)
    assert "transport" not in categories(text, lang)


@pytest.mark.parametrize(
    ("text", "lang", "name"),
    [
        ("how much did I spend on gardening last month?", "en", "gardening"),
        ("ile wydałem na ogród w maju", "pl", "ogród"),
        ("كم صرفت على الحديقة الشهر الماضي", "ar", "الحديقة"),
    ],
)
def test_a_name_no_category_covers_is_reported_not_widened(text: str, lang: str, name: str) -> None:
    assert categories(text, lang) == []
    assert unplaced(text, lang) == [name]


@pytest.mark.parametrize(
    ("text", "lang"),
    [("how much did I spend last month", "en"), ("how much did I spend on everything", "en"),
     ("ile wydałem w tym miesiącu", "pl"), ("كم صرفت الشهر الماضي", "ar")],
)
def test_no_name_means_no_question(text: str, lang: str) -> None:
    assert categories(text, lang) == [] and unplaced(text, lang) == []


def test_every_table_names_only_the_banks_categories_or_a_group_of_them() -> None:
    for lang in LANGUAGES:
        named = set(read_table(lang)["categories"])  # type: ignore[arg-type]
        assert named <= set(BANK_CATEGORIES) | set(GROUPS), lang
    for group, parts in GROUPS.items():
        assert set(parts) <= set(BANK_CATEGORIES) and members(group) == parts


def test_groceries_and_eating_out_come_from_different_merchant_codes() -> None:
    assert category_for_mcc("5411") == category_for_mcc("5499") == "groceries"
    assert category_for_mcc("5812") == category_for_mcc("5814") == "eating_out"


def test_arabic_phrases_are_stored_without_the_article() -> None:
    doc = read_table("ar")
    phrases = [p for ps in doc["categories"].values() for p in ps]  # type: ignore[attr-defined]
    assert [p for p in phrases if p.startswith("ال")] == []


def _phrases(lang: str) -> list[tuple[str, str]]:
    """(text, category) for every phrase of a table, a stem's `*` dropped (a stem matches itself)."""
    doc = read_table(lang)
    return [(p.replace("*", ""), c) for c, ps in doc["categories"].items() for p in ps]  # type: ignore[attr-defined]


AR_PHRASES = _phrases("ar")


@settings(max_examples=200, deadline=None)
@given(phrase=st.sampled_from(AR_PHRASES), clitic=st.sampled_from(AR_CLITICS),
       before=st.sampled_from(["كم صرفت على", "مصاريف", ""]), after=st.sampled_from(["", "الشهر الماضي", "؟"]))
def test_arabic_clitics_and_article_keep_the_category(phrase: tuple[str, str], clitic: str, before: str,
                                                      after: str) -> None:
    text, category = phrase
    words = text.split()
    attached = " ".join([clitic + words[0], *words[1:]])
    message = " ".join(part for part in (before, attached, after) if part)
    assert categories(message, "ar")[:1] == [category], message


def _longer_containing_shorter(lang: str) -> list[tuple[str, str, str, str]]:
    """(longer phrase, its category, shorter phrase inside it, its category) for different categories."""
    pairs = []
    phrases = _phrases(lang)
    for longer, long_cat in phrases:
        for shorter, short_cat in phrases:
            if shorter != longer and long_cat != short_cat and re.search(rf"(?<!\w){re.escape(shorter)}", longer):
                pairs.append((longer, long_cat, shorter, short_cat))
    return pairs


CONTAINING = [(lang, *pair) for lang in LANGUAGES for pair in _longer_containing_shorter(lang)]


def test_there_are_overlapping_phrases_to_check() -> None:
    assert {("pl", "zakup spożywcz", "groceries", "zakup", "shopping")} <= set(CONTAINING)
    assert len(CONTAINING) >= 5


@settings(max_examples=200, deadline=None)
@given(case=st.sampled_from(CONTAINING), before=st.sampled_from(["", "how much on", "ile na", "كم صرفت على"]),
       after=st.sampled_from(["", "last month", "w maju", "الشهر الماضي"]))
def test_a_longer_phrase_beats_a_shorter_one_it_contains(case: tuple[str, str, str, str, str], before: str,
                                                         after: str) -> None:
    lang, longer, long_cat, _shorter, _short_cat = case
    message = " ".join(part for part in (before, longer, after) if part)
    assert categories(message, lang)[:1] == [long_cat], message
