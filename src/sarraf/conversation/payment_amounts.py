"""Amount + currency in a payment request ("£7.31", "100 zł", "1,50 zł", «٢٠٠ ريال», "50 EUR").

The result is exact minor units (CLDR digits for the currency, via Babel), so "£7.319", "0 zł" and
"-5 EUR" are refused with a reason the flow can tell the customer, never rounded or guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum

from babel.numbers import get_currency_precision

ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩٫", "0123456789.")
SYMBOLS = {"£": "GBP", "€": "EUR", "$": "USD", "zł": "PLN", "zl": "PLN", "złotych": "PLN", "złote": "PLN",
           "złoty": "PLN", "pln": "PLN", "gbp": "GBP", "eur": "EUR", "euro": "EUR", "euros": "EUR", "usd": "USD",
           "sar": "SAR", "ريال": "SAR", "ر.س": "SAR", "pounds": "GBP", "pound": "GBP", "dollars": "USD",
           "يورو": "EUR", "دولار": "USD", "جنيه": "GBP"}
_UNIT = "|".join(sorted((re.escape(k) for k in SYMBOLS), key=len, reverse=True))
_NUMBER = r"-?\d+(?:[.,]\d+)?"
_BEFORE = re.compile(rf"(?<!\w)({_UNIT})\s?({_NUMBER})", re.IGNORECASE)
_AFTER = re.compile(rf"({_NUMBER})\s?({_UNIT})(?!\w)", re.IGNORECASE)


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
    found = _BEFORE.search(plain)
    number, unit = (found.group(2), found.group(1)) if found else (None, None)
    if number is None and (after := _AFTER.search(plain)):
        number, unit = after.group(1), after.group(2)
    if number is None and default_currency and (bare := re.search(rf"(?<![\w.,]){_NUMBER}(?![\w.,])", plain)):
        number, unit = bare.group(0), None
    if number is None:
        return AmountProblem.MISSING
    currency = SYMBOLS[unit.lower()] if unit else default_currency
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
