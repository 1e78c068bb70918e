"""Amounts of money: "£20", "20 quid", "50 zł", "pięćdziesiąt złotych", "خمسين دولار", "٥٠ ريال"."""

from __future__ import annotations

import re
from decimal import Decimal

from sarraf.conversation.nlu.entities.fold import fold
from sarraf.conversation.nlu.entities.numbers import find_number_words
from sarraf.conversation.nlu.types import Entity

# currency words/symbols on folded text (see fold.py); longest alternatives first in the regex
CURRENCY_WORDS: dict[str, str] = {
    **dict.fromkeys(["zl", "zl.", "pln", "zloty", "zlote", "zlotych", "zlotego", "zlotowek"], "PLN"),
    **dict.fromkeys(["زلوتي", "زلوتيات"], "PLN"),
    **dict.fromkeys(["£", "gbp", "pound", "pounds", "quid", "funt", "funty", "funtow"], "GBP"),
    **dict.fromkeys(["باوند", "استرليني"], "GBP"),
    **dict.fromkeys(["$", "usd", "dollar", "dollars", "bucks", "dolar", "dolary", "dolarow"], "USD"),
    **dict.fromkeys(["دولار", "دولارات"], "USD"),
    **dict.fromkeys(["€", "eur", "euro", "euros", "يورو"], "EUR"),
    **dict.fromkeys(["sar", "riyal", "riyals", "ريال", "ريالات", "رس"], "SAR"),
    **dict.fromkeys(["aed", "dirham", "dirhams", "درهم", "دراهم"], "AED"),
    **dict.fromkeys(["egp", "جنيه", "جنيهات", "جنية"], "EGP"),
    **dict.fromkeys(["jod", "dinar", "dinars", "دينار", "دنانير"], "JOD"),
    **dict.fromkeys(["mad"], "MAD"),
}
CURRENCY_WORDS = {fold(word): code for word, code in CURRENCY_WORDS.items()}
_CURRENCY_ALT = "|".join(re.escape(w) for w in sorted(CURRENCY_WORDS, key=len, reverse=True))
_CURRENCY = rf"(?:{_CURRENCY_ALT})(?![^\W\d_])"
# 1,500.50 / 1 500,50 / 20 / 45.5 ; separators followed by exactly three digits group thousands
_DIGITS = r"\d{1,3}(?:[ \u00a0,.]\d{3})+(?:[.,]\d{1,2})?(?!\d)|\d+(?:[.,]\d{1,2})?(?!\d)"
_AMOUNT_BEFORE = re.compile(rf"(?P<cur>{_CURRENCY})\s?(?P<num>{_DIGITS})")
_AMOUNT_AFTER = re.compile(rf"(?P<num>{_DIGITS})\s?(?P<k>k\b)?\s?(?P<cur>{_CURRENCY})?")
_NOT_MONEY_AFTER = re.compile(
    r"\s?(?:%|day|days|week|weeks|month|months|year|years|dni|dzien|tydz|tygod|miesi|lat|rok|"
    r"يوم|ايام|اسبوع|اسابيع|شهر|اشهر|سنه|سنوات|am|pm|:)"
)


def _to_decimal(digits: str) -> Decimal:
    digits = digits.replace("\u00a0", " ")
    decimal_part = ""
    if re.search(r"[.,]\d{1,2}$", digits):
        digits, decimal_part = digits[: -3 if digits[-3] in ".," else -2], digits[-2:].lstrip(".,")
    whole = re.sub(r"[ ,.]", "", digits)
    return Decimal(f"{whole}.{decimal_part}") if decimal_part else Decimal(whole)


def _currency_near(folded: str, end: int) -> tuple[str, int] | None:
    m = re.compile(rf"\s?({_CURRENCY})").match(folded, end)
    return (CURRENCY_WORDS[m.group(1)], m.end()) if m else None


def find_money(text: str, folded: str, *, bare_numbers: bool, default_currency: str) -> list[Entity]:
    """Amounts with a currency; bare numbers too when the intent is about moving money."""
    found: list[Entity] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, amount: Decimal, currency: str) -> None:
        if any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        found.append(Entity("money", {"amount": amount, "currency": currency}, text[start:end], start, end))

    for m in _AMOUNT_BEFORE.finditer(folded):
        add(m.start(), m.end(), _to_decimal(m.group("num")), CURRENCY_WORDS[m.group("cur")])
    for m in _AMOUNT_AFTER.finditer(folded):
        if m.start() > 0 and (folded[m.start() - 1].isalnum() or folded[m.start() - 1] in "#*"):
            continue  # part of a card number, an id or a word like "b2b"
        amount = _to_decimal(m.group("num")) * (1000 if m.group("k") else 1)
        if m.group("cur"):
            add(m.start(), m.end(), amount, CURRENCY_WORDS[m.group("cur")])
        elif bare_numbers and not _NOT_MONEY_AFTER.match(folded, m.end("num")) and len(m.group("num")) < 7:
            add(m.start(), m.end("num"), amount, default_currency)
    for start, end, value in find_number_words(folded):
        near = _currency_near(folded, end)
        if near:
            add(start, near[1], value, near[0])
        elif bare_numbers and not _NOT_MONEY_AFTER.match(folded, end):
            add(start, end, value, default_currency)
    return sorted(found, key=lambda e: e.start)
