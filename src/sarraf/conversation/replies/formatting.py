"""CLDR-correct money, dates and plural categories for our three languages, via Babel."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.numbers import format_currency

from sarraf.domain.money import Money

# One CLDR locale per reply language; Saudi Arabic for "ar" as the default Gulf market.
LOCALES = {"en": "en_GB", "pl": "pl_PL", "ar": "ar_SA"}
_BIDI_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u061c"), None)


@cache
def locale_for(lang: str) -> Locale:
    return Locale.parse(LOCALES.get(lang, "en_GB"))


def plural_category(lang: str, count: int | float | Decimal) -> str:
    """CLDR plural category: Polish one/few/many, Arabic zero/one/two/few/many/other, English one/other."""
    value = count if isinstance(count, Decimal) else Decimal(str(count))
    return str(locale_for(lang).plural_form(value.copy_abs()))


def format_money(money: Money, lang: str) -> str:
    return format_currency(money.amount, money.currency, locale=locale_for(lang))


def strip_bidi_marks(text: str) -> str:
    """Babel wraps Arabic figures in direction marks; tests and parsers compare the bare figure."""
    return text.translate(_BIDI_MARKS)


def format_date(value: date | datetime, lang: str, style: str = "medium") -> str:
    if isinstance(value, datetime):
        value = value.date()
    return babel_format_date(value, format=style, locale=locale_for(lang))


def format_period(start: date, end: date, lang: str) -> str:
    return f"{format_date(start, lang)} – {format_date(end, lang)}"
