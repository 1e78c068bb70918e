"""How replies read in Arabic, Polish and English: bank names per language, figures isolated in right-to-left
text, lists carried as rows for channels that draw tables (issue 20, item 8)."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from sarraf.channels import webchat
from sarraf.config import DEFAULT_BANKS_FILE, load_banks
from sarraf.conversation import answers
from sarraf.domain.banking import Account, Balance, CreditDebit, Transaction
from sarraf.domain.messages import Button, Outbound
from sarraf.domain.money import Money
from sarraf.domain.names import LocalizedName, in_lang
from sarraf.i18n.replies import LANGUAGES, catalog, format_money
from sarraf.i18n.replies.formatting import FSI, LRI, PDI, isolate_ltr, strip_bidi_marks
from sarraf.policy.point import AccountBalances
from sarraf.sandbox_bank.pages.i18n import TEXT as BANK_PAGE

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
SANDBOX = load_banks(DEFAULT_BANKS_FILE)["sandbox"].name


def _balances(currency: str = "SAR") -> list[AccountBalances]:
    account = Account("a1", currency, "الحساب الجاري", "Personal/CurrentAccount", "SA0380000000608010167519")
    balance = Balance("a1", Money(Decimal("4120.50"), currency), "InterimAvailable", NOW)
    return [AccountBalances(account, (balance,))]


def _transactions() -> list[Transaction]:
    return [
        Transaction("t1", "a1", NOW, Money(Decimal("23.40"), "SAR"), CreditDebit.DEBIT, "PANDA RIYADH", "بنده"),
        Transaction("t2", "a1", NOW, Money(Decimal("9000"), "SAR"), CreditDebit.CREDIT, "Salary", None),
    ]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_sandbox_bank_is_named_in_replies_as_on_its_own_page(lang: str) -> None:
    """The banks file names the sandbox per language, and every reply uses the customer's language's name."""
    expected = BANK_PAGE[lang]["bank"]
    assert SANDBOX.in_lang(lang) == expected
    text = catalog().text(lang, "link_needed", bank=SANDBOX)
    assert expected in text
    if lang == "ar":
        assert "Sarraf Sandbox Bank" not in text
        assert not any(unicodedata.bidirectional(ch) == "L" for ch in text), text


def test_a_localized_name_is_its_default_where_a_plain_string_is_expected() -> None:
    name = LocalizedName("ACME Bank", {"en": "ACME Bank", "ar": "بنك أكمي"})
    assert name == "ACME Bank" and f"{name}" == "ACME Bank" and {name: 1}["ACME Bank"] == 1
    assert in_lang(name, "ar") == "بنك أكمي" and in_lang(name, "pl") == "ACME Bank"
    assert in_lang("Plain Bank", "ar") == "Plain Bank"


def test_arabic_balance_isolates_the_masked_account_number() -> None:
    """«(••7519)» would show as «(7519••)» in right-to-left text without the isolate."""
    reply = answers.balances("ar", SANDBOX, _balances())
    assert f"({LRI}••7519{PDI})" in reply.text
    assert SANDBOX.in_lang("ar") in reply.text
    amount = format_money(Money(Decimal("4120.50"), "SAR"), "ar")
    assert f"{FSI}{amount}{PDI}" in reply.text  # the amount is its own island too
    assert strip_bidi_marks(f"({LRI}••7519{PDI})") == "(••7519)"


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_left_to_right_replies_are_unchanged(lang: str) -> None:
    reply = answers.balances(lang, SANDBOX, _balances("GBP"))
    assert "(••7519)" in reply.text
    assert not {LRI, FSI, PDI} & set(reply.text)
    assert isolate_ltr("GB29NWBK60161331926819", lang) == "GB29NWBK60161331926819"


def test_arabic_alerts_isolate_card_digits_and_amounts() -> None:
    amount = format_money(Money(Decimal("749.99"), "PLN"), "ar")  # a foreign amount: Latin letters in Arabic text
    text = catalog().text("ar", "alert_fraud", amount=amount, merchant="X", country="BR", last4="6614")
    assert f"{LRI}6614{PDI}" in text and f"{FSI}{amount}{PDI}" in text
    frozen = catalog().text("ar", "card_frozen", last4="6614", bank=SANDBOX)
    assert f"{LRI}6614{PDI}" in frozen
    # Already isolated values are not wrapped twice.
    assert catalog().text("ar", "card_frozen", last4=isolate_ltr("6614", "ar"), bank=SANDBOX).count(LRI) == 1


@pytest.mark.parametrize("lang", LANGUAGES)
def test_transactions_come_as_rows_as_well_as_lines(lang: str) -> None:
    reply = answers.transactions(lang, date(2026, 11, 1), date(2026, 11, 20), _transactions())
    assert reply.table is not None and reply.table.columns == ("date", "description", "amount")
    assert len(reply.table.rows) == 2
    assert reply.text.splitlines()[0] == reply.table.caption
    for row, line in zip(reply.table.rows, reply.text.splitlines()[1:], strict=True):
        assert all(strip_bidi_marks(cell) in strip_bidi_marks(line) for cell in row)
    assert reply.table.rows[0][1] == "بنده"


def test_secure_page_list_says_when_a_period_is_empty() -> None:
    empty = answers.transaction_list("pl", date(2026, 11, 1), date(2026, 11, 20), [])
    assert empty.table is None and "2026" in empty.text
    full = answers.transaction_list("en", date(2026, 11, 1), date(2026, 11, 20), _transactions())
    assert full.table is not None and len(full.table.rows) == 2 and full.table.caption == ""


def test_web_chat_json_carries_the_rows_and_marks_the_login_button() -> None:
    reply = answers.transactions("ar", date(2026, 11, 1), date(2026, 11, 20), _transactions())
    drawn = webchat.render(reply)
    assert drawn["dir"] == "rtl"
    assert drawn["table"] == {"caption": reply.table.caption, "columns": ["date", "description", "amount"],
                              "rows": [list(r) for r in reply.table.rows]}
    login = webchat.render(Outbound("x", "en", buttons=(Button("Log in", url="https://b/x", login=True),)))
    assert login["buttons"][0]["login"] is True and login["table"] is None


CHIP_INTENTS = {
    "chip_balance": "check_balance",
    "chip_transactions": "recent_transactions",
    "chip_spending": "spending_summary",
    "chip_freeze": "freeze_card",
    "chip_alerts": "manage_alerts",
    "chip_help": "help",
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_suggestion_chip_means_what_it_says(lang: str) -> None:
    """The empty web chat's chips send their text as the customer's message: each must be read as its intent,
    in its own language."""
    from sarraf.conversation.nlu import load_default
    from sarraf.web.routes_webchat import CHIPS

    nlu = load_default()
    assert set(CHIPS) == set(CHIP_INTENTS)
    for key in CHIPS:
        parsed = nlu.parse(catalog().text(lang, key))
        assert (parsed.intent, parsed.lang) == (CHIP_INTENTS[key], lang), key


def test_latin_names_inside_arabic_sentences_are_isolated() -> None:
    """«دفعة بالبطاقة: … لدى 7-Eleven، …»: a Latin merchant (digits first, then letters) keeps its order."""
    text = catalog().text("ar", "alert_card_payment", amount="", merchant="7-Eleven", last4="1290")
    assert f"{FSI}7-Eleven{PDI}" in text
    line = catalog().text("ar", "transaction_line", date="٤ ديسمبر", description="Tamimi Markets", amount="")
    assert f"{FSI}Tamimi Markets{PDI}" in line
