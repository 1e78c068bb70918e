"""Amounts of money: "£20", "20 quid", "50 zł", "pięćdziesiąt złotych", "خمسين دولار", "٥٠ ريال"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from sarraf.conversation.nlu.entities.fold import fold
from sarraf.conversation.nlu.entities.numbers import find_number_words
from sarraf.conversation.nlu.keywords import alternatives, words
from sarraf.conversation.nlu.types import Entity

# Currencies by ISO code: each is named by its code, by its symbol where it has one, and by the words of its
# keyword table (nlu/data/keywords/<lang>.yml, `money:`), all matched on folded text (see fold.py).
_CURRENCIES = {"PLN": "", "GBP": "£", "USD": "$", "EUR": "€", "SAR": "", "AED": "", "EGP": "", "JOD": "", "MAD": ""}
# 1,500.50 / 1 500,50 / 20 / 45.5 ; separators followed by exactly three digits group thousands
_DIGITS = r"\d{1,3}(?:[ \u00a0,.]\d{3})+(?:[.,]\d{1,2})?(?!\d)|\d+(?:[.,]\d{1,2})?(?!\d)"


@cache
def currency_words() -> dict[str, str]:
    """Folded currency word, code or symbol → ISO code."""
    named: dict[str, str] = {}
    for code, symbol in _CURRENCIES.items():
        for word in (code.lower(), symbol, *words(f"money.{code.lower()}")):
            if word:
                named[fold(word)] = code
    return named


@dataclass(frozen=True, slots=True)
class _Patterns:
    before: re.Pattern[str]  # "£20"
    after: re.Pattern[str]  # "20 zł", "20k", a bare "20"
    near: re.Pattern[str]  # the currency after a number in words ("twenty pounds")
    not_money_after: re.Pattern[str]  # "20%", "20 days", "5 pm": a number that is no amount


@cache
def _patterns() -> _Patterns:
    alternatives_ = "|".join(re.escape(w) for w in sorted(currency_words(), key=len, reverse=True))  # longest first
    currency = rf"(?:{alternatives_})(?![^\W\d_])"
    return _Patterns(
        before=re.compile(rf"(?P<cur>{currency})\s?(?P<num>{_DIGITS})"),
        after=re.compile(rf"(?P<num>{_DIGITS})\s?(?P<k>k\b)?\s?(?P<cur>{currency})?"),
        near=re.compile(rf"\s?({currency})"),
        not_money_after=re.compile(rf"\s?(?:%|{alternatives('money.not_money_after')}|:)"),
    )


def _to_decimal(digits: str) -> Decimal:
    digits = digits.replace("\u00a0", " ")
    decimal_part = ""
    if re.search(r"[.,]\d{1,2}$", digits):
        digits, decimal_part = digits[: -3 if digits[-3] in ".," else -2], digits[-2:].lstrip(".,")
    whole = re.sub(r"[ ,.]", "", digits)
    return Decimal(f"{whole}.{decimal_part}") if decimal_part else Decimal(whole)


def _currency_near(folded: str, end: int) -> tuple[str, int] | None:
    m = _patterns().near.match(folded, end)
    return (currency_words()[m.group(1)], m.end()) if m else None


def find_money(text: str, folded: str, *, bare_numbers: bool, default_currency: str) -> list[Entity]:
    """Amounts with a currency; bare numbers too when the intent is about moving money."""
    found: list[Entity] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, amount: Decimal, currency: str) -> None:
        if any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        found.append(Entity("money", {"amount": amount, "currency": currency}, text[start:end], start, end))

    patterns, named = _patterns(), currency_words()
    for m in patterns.before.finditer(folded):
        add(m.start(), m.end(), _to_decimal(m.group("num")), named[m.group("cur")])
    for m in patterns.after.finditer(folded):
        if m.start() > 0 and (folded[m.start() - 1].isalnum() or folded[m.start() - 1] in "#*"):
            continue  # part of a card number, an id or a word like "b2b"
        amount = _to_decimal(m.group("num")) * (1000 if m.group("k") else 1)
        if m.group("cur"):
            add(m.start(), m.end(), amount, named[m.group("cur")])
        elif bare_numbers and not patterns.not_money_after.match(folded, m.end("num")) and len(m.group("num")) < 7:
            add(m.start(), m.end("num"), amount, default_currency)
    for start, end, value in find_number_words(folded):
        near = _currency_near(folded, end)
        if near:
            add(start, near[1], value, near[0])
        elif bare_numbers and not patterns.not_money_after.match(folded, end):
            add(start, end, value, default_currency)
    return sorted(found, key=lambda e: e.start)
