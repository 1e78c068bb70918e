"""Keyword tables as data (nlu/data/keywords/<lang>.yml): every registered language has every table the code
asks for, a gap fails loudly at load naming the file and the table, and the patterns the modules compile are
exactly the ones the word lists give."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sarraf.conversation import context, greetings, payment_amounts, payment_references
from sarraf.conversation.flows import alerts, offers, payments, privacy, service
from sarraf.conversation.nlu.entities import merchants, money, months, payee, periods
from sarraf.conversation.nlu.entities.fold import fold
from sarraf.conversation.nlu.keywords import (
    TABLES,
    KeywordTableError,
    alternatives,
    language_tables,
    parse,
    words,
)
from sarraf.i18n.languages import CODES

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzłąśحسبلام", min_size=1, max_size=12)
FILLER = st.from_regex(r"[0-9 ]{0,12}", fullmatch=True)  # text no table's words can occur in


def document(lang: str, tables: dict[str, object], shorthand: dict[str, list[str]] | None = None) -> str:
    doc: dict[str, object] = {"language": lang, "shorthand": shorthand or {}}
    sections: dict[str, dict[str, object]] = {}
    for name, entries in tables.items():
        section, _, key = name.partition(".")
        sections.setdefault(section, {})[key] = entries
    return str(yaml.safe_dump(doc | sections, allow_unicode=True))


def complete(value: list[str]) -> dict[str, object]:
    return {name: value for name in TABLES}


def plain_phrase(entry: str) -> str | None:
    """The phrase an entry spells when it is a plain word or phrase between optional word boundaries."""
    phrase = entry.removeprefix(r"\b").removesuffix(r"\b")
    return phrase if re.fullmatch(r"[^\W\d_]+(?: [^\W\d_]+)*", phrase) else None


def plain_in(lang: str, table: str) -> list[str]:
    """A language's entries of a table that are plain words or phrases, as those phrases."""
    return [p for e in language_tables(lang)[table] if (p := plain_phrase(e)) is not None]


def plain_entries(table: str) -> list[tuple[str, str]]:
    return [(lang, phrase) for lang in CODES for phrase in plain_in(lang, table)]


# --- every registered language, every table -------------------------------------------------------------


@pytest.mark.parametrize("lang", CODES)
def test_every_registered_language_has_every_table_the_code_asks_for(lang: str) -> None:
    tables = language_tables(lang)
    assert set(tables) == set(TABLES)
    for name, entries in tables.items():
        re.compile("|".join(entries))  # every table is valid regex on its own
        assert all(entries), f"{lang}: {name} has an empty alternative, which would match everywhere"


def test_a_missing_table_fails_at_load_naming_the_file_and_the_table() -> None:
    tables = complete(["x"])
    del tables["alerts.night"]
    with pytest.raises(KeywordTableError, match=r"data/keywords/pl\.yml: table alerts\.night is missing"):
        parse(document("pl", tables), "pl")


def test_a_table_of_something_other_than_strings_fails_at_load() -> None:
    tables = complete(["x"]) | {"alerts.night": {"x": 1}}
    with pytest.raises(KeywordTableError, match=r"en\.yml: table alerts\.night is missing or not a list of strings"):
        parse(document("en", tables), "en")


def test_an_unknown_shorthand_fails_at_load_naming_the_table() -> None:
    tables = complete(["x"]) | {"periods.last_week": [r"\b{latest} week\b"]}
    with pytest.raises(KeywordTableError, match=r"en\.yml: table periods\.last_week: unknown shorthand \{latest\}"):
        parse(document("en", tables), "en")


def test_a_file_for_another_language_is_refused() -> None:
    with pytest.raises(KeywordTableError, match=r"ar\.yml: expected a mapping with `language: ar`"):
        parse(document("en", complete(["x"])), "ar")


def test_a_language_without_a_file_fails_naming_the_file() -> None:
    with pytest.raises(KeywordTableError, match=r"data/keywords/xx\.yml: no keyword file"):
        language_tables("xx")


def test_a_table_the_code_did_not_declare_is_refused() -> None:
    with pytest.raises(KeywordTableError, match="not declared"):
        words("periods.tomorrow")


def test_month_forms_come_twelve_at_a_time_january_first() -> None:
    extra = months.extra_forms()
    assert len(extra) % 12 == 0
    forms = months.month_forms()
    assert all(forms[form] == i % 12 + 1 for i, form in enumerate(extra))


# --- the word lists give the patterns -------------------------------------------------------------------


@given(
    lists=st.dictionaries(st.sampled_from(TABLES), st.lists(WORD, min_size=1, max_size=4), min_size=1),
    shorthand=st.lists(WORD, min_size=1, max_size=4),
)
@settings(max_examples=60, deadline=None)
def test_a_file_parses_to_its_word_lists_with_shorthands_expanded(
    lists: dict[str, list[str]], shorthand: list[str]
) -> None:
    tables: dict[str, object] = complete(["{s} x"]) | lists
    parsed = parse(document("en", tables, {"s": shorthand}), "en")
    group = "(?:" + "|".join(shorthand) + ")"
    for name in TABLES:
        given_words = lists.get(name, ["{s} x"])
        assert parsed[name] == tuple(entry.replace("{s}", group) for entry in given_words)
        pattern = re.compile("|".join(parsed[name]))
        for entry in lists.get(name, []):
            assert pattern.fullmatch(entry)  # every word of the list is matched by the table's pattern


def test_the_modules_compile_exactly_the_tables() -> None:
    compiled = alerts._words()
    assert compiled.off.pattern == alternatives("alerts.turn_off")
    assert compiled.on.pattern == alternatives("alerts.turn_on")
    assert compiled.alerts.pattern == alternatives("alerts.alerts")
    assert compiled.night.pattern == alternatives("alerts.night")
    assert {g.value: p.pattern for g, p in compiled.groups.items()} == {
        g: alternatives(f"alerts.{g}") for g in ("shopping", "balance", "account")
    }
    assert compiled.over.pattern == ">|" + alternatives("alerts.over")
    assert compiled.under.pattern == "<|" + alternatives("alerts.under")
    assert service._helped().pattern == alternatives("service.helped")
    assert service._not_helped().pattern == alternatives("service.not_helped")
    assert [p.pattern for _, p in greetings._in_kind()] == [alternatives(table) for _, table in greetings._IN_KIND]
    relative = periods._patterns()[0]
    assert relative.pattern == "|".join(f"(?P<{k}>{alternatives(f'periods.{k}')})" for k in periods.KINDS)
    # a language's words sit in the registry's order: Arabic's first, English's last
    assert words("periods.days") == tuple(e for lang in CODES for e in language_tables(lang)["periods.days"])


@given(
    case=st.sampled_from([(k, e) for k in periods.KINDS for e in plain_entries(f"periods.{k}")]), pre=FILLER, suf=FILLER
)
@settings(max_examples=100, deadline=None)
def test_every_relative_period_phrase_is_found_as_its_period(
    case: tuple[str, tuple[str, str]], pre: str, suf: str
) -> None:
    kind, (_, phrase) = case
    found = periods._patterns()[0].search(f"{pre} {phrase} {suf}")
    assert found is not None and found.lastgroup == kind


@given(
    case=st.sampled_from(
        [
            (table, phrase)
            for table in ("turn_off", "turn_on", "alerts", "night", "shopping", "balance", "account", "over", "under")
            for _, phrase in plain_entries(f"alerts.{table}")
        ]
    ),
    pre=FILLER,
    suf=FILLER,
)
@settings(max_examples=100, deadline=None)
def test_every_alert_word_is_recognised_in_any_case(case: tuple[str, str], pre: str, suf: str) -> None:
    table, phrase = case
    compiled = alerts._words()
    pattern = {
        "turn_off": compiled.off,
        "turn_on": compiled.on,
        "alerts": compiled.alerts,
        "night": compiled.night,
        "over": compiled.over,
        "under": compiled.under,
    }.get(table) or next(p for g, p in compiled.groups.items() if g.value == table)
    assert pattern.search(f"{pre} {phrase.upper()} {suf}")


@given(
    case=st.sampled_from([(key, p) for key, table in greetings._IN_KIND for _, p in plain_entries(table)]),
    pre=FILLER,
    suf=FILLER,
)
@settings(max_examples=60, deadline=None)
def test_every_greeting_phrase_is_answered_in_kind(case: tuple[str, str], pre: str, suf: str) -> None:
    key, phrase = case
    assert greetings.greeting_in_kind(f"{pre} {phrase} {suf}") == key


@given(
    case=st.sampled_from(
        [(True, p) for _, p in plain_entries("service.helped")]
        + [(False, p) for _, p in plain_entries("service.not_helped")]
    ),
    pre=FILLER,
)
@settings(max_examples=60, deadline=None)
def test_every_answer_to_did_it_help_is_recognised(case: tuple[bool, str], pre: str) -> None:
    helped, phrase = case
    pattern = service._helped() if helped else service._not_helped()
    assert pattern.search(f"{pre} {phrase}")


def test_the_last_n_days_words_of_every_language_give_a_period() -> None:
    now = datetime(2025, 5, 14, 10, 30)
    for lang, last, days in (("en", "last", "days"), ("pl", "ostatnie", "dni"), ("ar", "اخر", "ايام")):
        found = periods.find_periods(f"{last} 7 {days}", f"{last} 7 {days}", now, lang)
        assert [(e.value["start"].day, e.value["end"].day) for e in found] == [(8, 14)]  # type: ignore[index]


def test_a_currency_pattern_is_its_code_its_symbol_and_its_table() -> None:
    compiled = service._currencies()
    assert compiled["EUR"].pattern == r"\beur\b|€|" + alternatives("service.euro")
    assert compiled["PLN"].pattern == r"\bpln\b|" + alternatives("service.zloty")


@given(
    case=st.sampled_from(
        [(code, p) for code, (_, table) in service._CURRENCIES.items() for _, p in plain_entries(table)]
    ),
    pre=FILLER,
)
@settings(max_examples=60, deadline=None)
def test_every_currency_word_names_its_currency(case: tuple[str, str], pre: str) -> None:
    code, phrase = case
    assert service.currency_named(f"{pre} {phrase}", None) == code


def test_the_follow_up_patterns_are_the_context_tables() -> None:
    follow_ups = context._follow_ups()
    assert follow_ups.units == {w: unit for unit in ("month", "week", "year") for w in words(f"context.{unit}")}
    assert f"(?:{alternatives('context.before')})" in follow_ups.before.pattern
    assert f"(?:{alternatives('context.after')})" in follow_ups.after.pattern


def follow_up_cases() -> list[tuple[int, str, str, str]]:
    """(step, unit, unit word, plain before/after word) in every language that has plain ones."""
    return [
        (step, unit, word, shift)
        for lang in CODES
        for step, table in ((-1, "context.before"), (1, "context.after"))
        for shift in plain_in(lang, table)
        for unit in ("month", "week", "year")
        for word in language_tables(lang)[f"context.{unit}"]
    ]


@given(case=st.sampled_from(follow_up_cases()), article=st.sampled_from(("", "the ", "a ")))
@settings(max_examples=80, deadline=None)
def test_a_unit_word_and_a_before_or_after_word_give_the_shift(case: tuple[int, str, str, str], article: str) -> None:
    step, unit, word, shift = case
    assert context.follow_up_shift(f"{article}{word} {shift}?") == (step, unit)


def test_the_offer_and_privacy_patterns_are_their_tables() -> None:
    assert [p.pattern for p in privacy._who_saw()] == list(words("privacy.who_saw"))
    compiled = offers._compiled()
    assert {wish: [p.pattern for p in compiled[wish]] for wish in compiled} == {
        wish: list(words(table)) for wish, table in offers._TABLES.items()
    }
    assert any("(?:offers?|promotions?|deals)" in p.pattern for p in compiled["out"])  # `offer`, expanded


def test_the_payment_answers_and_reference_markers_are_their_tables() -> None:
    cancel, agree, decline = payments._answers()
    assert cancel.pattern == alternatives("payments.cancel")
    assert agree.pattern == rf"^\W*(?:{alternatives('payments.agree')})(?!\w)"
    assert decline.pattern == rf"^\W*(?:{alternatives('payments.decline')})(?!\w)"
    assert alternatives("payment_references.markers") in payment_references._markers().pattern


@given(case=st.sampled_from(plain_entries("payments.agree")), rest=FILLER)
@settings(max_examples=60, deadline=None)
def test_every_agreeing_word_first_agrees(case: tuple[str, str], rest: str) -> None:
    assert payments._answers()[1].search(f"{case[1].upper()} {rest}")


@given(
    case=st.sampled_from(plain_entries("payment_references.markers")),
    reference=st.sampled_from(("dinner", "obiad", "العشاء")),
)
@settings(max_examples=40, deadline=None)
def test_every_reference_marker_introduces_the_reference(case: tuple[str, str], reference: str) -> None:
    assert payment_references.parse_reference(f"pay Ann 20 {case[1]} {reference}") == reference


def test_the_payee_patterns_are_their_tables() -> None:
    found = payee._words()
    assert f"(?:{alternatives('payee.to')})" in found.spaced.pattern
    assert f"(?i:{alternatives('payee.relatives')})" in found.spaced.pattern
    assert found.attached is not None and f"(?:{alternatives('payee.attached_to')})" in found.attached.pattern
    assert found.not_attached == frozenset(words("payee.not_attached"))


@given(
    to=st.sampled_from([p for _, p in plain_entries("payee.to")]),
    my=st.sampled_from(["", *(f"{p} " for _, p in plain_entries("payee.my"))]),
    relative=st.sampled_from([p for _, p in plain_entries("payee.relatives")]),
    capitalised=st.booleans(),
)
@settings(max_examples=80, deadline=None)
def test_every_relative_after_every_to_word_is_the_payee(to: str, my: str, relative: str, capitalised: bool) -> None:
    who = relative.capitalize() if capitalised else relative
    assert [e.value for e in payee.find_payee(f"{to} {my}{who} 20")] == [who]


def test_the_merchant_pattern_and_stop_words_are_their_tables() -> None:
    assert merchants._phrase().pattern.startswith(
        f"(?:{alternatives('merchants.before')}|(?P<in>{alternatives('merchants.before_capitalised')}))"
    )
    assert merchants._stop() == frozenset(words("merchants.stop"))


@given(
    before=st.sampled_from([p for _, p in plain_entries("merchants.before")]),
    stop=st.sampled_from(words("merchants.stop")),
)
@settings(max_examples=80, deadline=None)
def test_a_merchant_phrase_runs_from_its_preposition_to_a_stop_word(before: str, stop: str) -> None:
    text = f"spent {before} Kwikmart {stop} 77"
    assert [e.value for e in merchants.find_merchant(text, text.lower(), [])] == ["Kwikmart"]


CURRENCY_CASES = [
    (code, word)
    for code in ("PLN", "GBP", "USD", "EUR", "SAR", "AED", "EGP", "JOD", "MAD")
    for word in (code.lower(), *words(f"money.{code.lower()}"))
]


def test_every_currency_is_named_by_its_code_and_its_words() -> None:
    named = money.currency_words()
    assert all(named[fold(word)] == code for code, word in CURRENCY_CASES)
    assert set(named.values()) == {code for code, _ in CURRENCY_CASES}


@given(case=st.sampled_from(CURRENCY_CASES), amount=st.integers(min_value=1, max_value=99999))
@settings(max_examples=100, deadline=None)
def test_an_amount_and_any_currency_word_is_that_money(case: tuple[str, str], amount: int) -> None:
    code, word = case
    text = f"{amount} {word}"
    found = money.find_money(text, fold(text), bare_numbers=False, default_currency="")
    assert [(e.value["amount"], e.value["currency"]) for e in found] == [(amount, code)]  # type: ignore[index]


@given(word=st.sampled_from([p for _, p in plain_entries("money.not_money_after")]), n=st.integers(1, 999))
@settings(max_examples=60, deadline=None)
def test_a_number_of_days_or_months_is_no_amount(word: str, n: int) -> None:
    text = f"{n} {word}"
    assert money.find_money(text, fold(text), bare_numbers=True, default_currency="GBP") == []


PAYMENT_CURRENCY_CASES = [
    (code, name)
    for code in ("PLN", "GBP", "EUR", "USD", "SAR")
    for name in (code.lower(), *words(f"payment_amounts.{code.lower()}"))
]


@given(case=st.sampled_from(PAYMENT_CURRENCY_CASES), units=st.integers(min_value=1, max_value=99999))
@settings(max_examples=100, deadline=None)
def test_a_payment_amount_with_any_currency_name_is_in_that_currency(case: tuple[str, str], units: int) -> None:
    code, name = case
    parsed = payment_amounts.parse_amount(f"send {units} {name.upper()} to Ann")
    assert isinstance(parsed, payment_amounts.ParsedAmount) and parsed.currency == code and parsed.decimal == units
