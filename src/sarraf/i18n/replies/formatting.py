"""CLDR-correct money, dates and plural categories for our three languages, via Babel."""

from __future__ import annotations

import copy
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import get_timezone, get_timezone_location, get_timezone_name
from babel.numbers import (
    NumberPattern,
    format_currency,
    format_decimal,
    get_currency_precision,
    get_currency_symbol,
)

from sarraf.domain.money import Money
from sarraf.i18n.languages import LANGUAGES

# One CLDR locale per reply language (i18n/languages.py); Saudi Arabic for "ar" as the default Gulf market.
LOCALES = {language.code: language.locale for language in LANGUAGES}
RTL_LANGUAGES = frozenset(language.code for language in LANGUAGES if language.direction == "rtl")
# Unicode bidi isolates (UAX #9): LRI for what is always left-to-right (account numbers, IBANs, card digits),
# FSI for what takes the direction of its first strong letter (amounts: "12,00 zł" vs "١٢ ر.س."); PDI closes.
LRI, FSI, PDI = "\u2066", "\u2068", "\u2069"
# Reply values that are figures or identifiers: isolated inside right-to-left replies.
ISOLATED_LTR = frozenset({"last4", "account_number", "iban", "case", "order"})
# Amounts, and names that may be Latin ("Pret A Manger", "7-Eleven", "BR") or Arabic: FSI gives each its own.
ISOLATED_AUTO = frozenset({"amount", "total", "balance", "merchant", "description", "country", "carrier"})
_BIDI_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u061c\u2066\u2067\u2068\u2069"), None)


@cache
def locale_for(lang: str) -> Locale:
    return Locale.parse(LOCALES.get(lang, "en_GB"))


def plural_category(lang: str, count: int | float | Decimal) -> str:
    """CLDR plural category: Polish one/few/many, Arabic zero/one/two/few/many/other, English one/other."""
    value = count if isinstance(count, Decimal) else Decimal(str(count))
    return str(locale_for(lang).plural_form(value.copy_abs()))


def format_number(value: Decimal, lang: str) -> str:
    """A plain amount in the language's CLDR digits and separators, for when its currency is not ours to say."""
    return format_decimal(value, locale=locale_for(lang))


def format_money(money: Money, lang: str) -> str:
    pattern = _money_pattern(lang, money.currency)
    if pattern is None:
        return format_currency(money.amount, money.currency, locale=locale_for(lang))
    return str(pattern.apply(money.amount, locale_for(lang)))


@cache
def _money_pattern(lang: str, currency: str) -> NumberPattern | None:
    """The language's CLDR currency pattern with this currency's symbol and decimal places filled in, which is
    all format_currency does with the currency (tests/conversation/test_formatting.py holds them equal).
    format_currency also works out the currency's plural name on every call, although our patterns show
    the symbol only: a third of its time, paid on every alert. None when the pattern does show the name."""
    locale = locale_for(lang)
    standard = locale.currency_formats["standard"]
    if any("¤¤¤" in part for part in (*standard.prefix, *standard.suffix)):
        return None
    symbol = get_currency_symbol(currency, locale)

    def filled(parts: tuple[str, str]) -> tuple[str, str]:
        return tuple(part.replace("¤¤", currency.upper()).replace("¤", symbol) for part in parts)  # type: ignore[return-value]

    pattern: NumberPattern = copy.copy(standard)
    pattern.prefix, pattern.suffix = filled(standard.prefix), filled(standard.suffix)
    digits = get_currency_precision(currency)
    pattern.frac_prec = (digits, digits)
    return pattern


def isolate_ltr(text: str, lang: str) -> str:
    """A left-to-right run (an account number "••7519", an IBAN, card digits) kept whole and in order inside a
    right-to-left reply: without it Arabic text shows "(••7519)" as "(7519••)". Unchanged in LTR languages."""
    return f"{LRI}{text}{PDI}" if text and lang in RTL_LANGUAGES else text


def isolate_auto(text: str, lang: str) -> str:
    """A figure that keeps the direction of its own first strong letter (an amount with its currency) isolated from
    the surrounding right-to-left sentence. Unchanged in LTR languages."""
    return f"{FSI}{text}{PDI}" if text and lang in RTL_LANGUAGES else text


def isolate_values(lang: str, values: dict[str, object]) -> dict[str, object]:
    """Reply values named as figures or identifiers, isolated for a right-to-left reply (once: an already
    isolated value is left alone)."""
    if lang not in RTL_LANGUAGES:
        return values
    out = dict(values)
    for key, value in values.items():
        if not isinstance(value, str) or not value or value.startswith((LRI, FSI)):
            continue
        if key in ISOLATED_LTR:
            out[key] = isolate_ltr(value, lang)
        elif key in ISOLATED_AUTO:
            out[key] = isolate_auto(value, lang)
    return out


def strip_bidi_marks(text: str) -> str:
    """Babel wraps Arabic figures in direction marks, and RTL replies isolate figures (LRI/FSI … PDI); tests and
    parsers compare the bare figure."""
    return text.translate(_BIDI_MARKS)


def format_date(value: date | datetime, lang: str, style: str = "medium") -> str:
    if isinstance(value, datetime):
        value = value.date()
    return babel_format_date(value, format=style, locale=locale_for(lang))


def format_zone(zone: str, lang: str) -> str:
    """A time zone as customers name it, never its IANA id: "czas: Polska", «توقيت المملكة العربية السعودية»,
    "United Kingdom Time"; UTC (which has no country) by its name, "Coordinated Universal Time"."""
    try:
        tz = get_timezone(zone)
    except LookupError:
        tz = get_timezone("UTC")
    locale = locale_for(lang)
    if str(tz) in ("UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Universal", "Etc/Zulu"):
        return get_timezone_name(tz, "long", locale=locale, zone_variant="standard")
    return get_timezone_location(tz, locale=locale)


def format_period(start: date, end: date, lang: str) -> str:
    return f"{format_date(start, lang)} – {format_date(end, lang)}"
