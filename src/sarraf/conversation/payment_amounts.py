"""Amount + currency in a payment request ("£7.31", "100 zł", "1,50 zł", «٢٠٠ ريال», "50 EUR").

The result is exact minor units (CLDR digits for the currency, via Babel), so "£7.319", "0 zł" and
"-5 EUR" are refused with a reason the flow can tell the customer, never rounded or guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import cache

from babel.numbers import get_currency_precision

from sarraf.conversation.nlu.keywords import words

ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩٫", "0123456789.")
# A currency is named by its ISO code, its symbol, or the words of its keyword table (nlu/data/keywords/<lang>.yml,
# `payment_amounts:`), in any case.
_CURRENCIES = {"PLN": "", "GBP": "£", "EUR": "€", "USD": "$", "SAR": ""}
_NUMBER = r"-?\d+(?:[.,]\d+)?"


@cache
def currency_names() -> dict[str, str]:
    """A currency's name, lower case (code, symbol or word) → its ISO code."""
    names: dict[str, str] = {}
    for code, symbol in _CURRENCIES.items():
        for name in (symbol, code.lower(), *words(f"payment_amounts.{code.lower()}")):
            if name:
                names[name] = code
    return names


@cache
def _amount_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The currency before the amount ("£7.31") and after it ("100 zł"), longest name first."""
    unit = "|".join(sorted((re.escape(k) for k in currency_names()), key=len, reverse=True))
    before = re.compile(rf"(?<!\w)({unit})\s?({_NUMBER})", re.IGNORECASE)
    after = re.compile(rf"({_NUMBER})\s?({unit})(?!\w)", re.IGNORECASE)
    return before, after


class AmountProblem(Enum):
    MISSING = "missing"
    TOO_MANY_DECIMALS = "too_many_decimals"
    NOT_POSITIVE = "not_positive"


@dataclass(frozen=True, slots=True)
class ParsedAmount:
    minor_units: int
    currency: str

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.minor_units).scaleb(-get_currency_precision(self.currency))


def parse_amount(text: str, default_currency: str | None = None) -> ParsedAmount | AmountProblem:
    """The first amount with a currency in `text` (a bare number only when a default currency is given)."""
    plain = text.translate(ARABIC_DIGITS)
    before, after_pattern = _amount_patterns()
    found = before.search(plain)
    number, unit = (found.group(2), found.group(1)) if found else (None, None)
    if number is None and (after := after_pattern.search(plain)):
        number, unit = after.group(1), after.group(2)
    if number is None and default_currency and (bare := re.search(rf"(?<![\w.,]){_NUMBER}(?![\w.,])", plain)):
        number, unit = bare.group(0), None
    if number is None:
        return AmountProblem.MISSING
    currency = currency_names()[unit.lower()] if unit else default_currency
    if currency is None:  # unreachable: a bare number is only taken with a default currency
        return AmountProblem.MISSING
    try:
        value = Decimal(number.replace(",", "."))
    except InvalidOperation:
        return AmountProblem.MISSING
    digits = get_currency_precision(currency)
    scaled = value.scaleb(digits)
    if scaled != scaled.to_integral_value():
        return AmountProblem.TOO_MANY_DECIMALS
    if value <= 0:
        return AmountProblem.NOT_POSITIVE
    return ParsedAmount(int(scaled), currency)
