"""Month names in every form a message may use, from CLDR via Babel plus the forms it lacks (the Polish
locative), which are keyword tables (nlu/data/keywords/<lang>.yml, `months.extra`)."""

from __future__ import annotations

from functools import lru_cache

from babel.dates import get_month_names

from sarraf.conversation.nlu.entities.fold import fold
from sarraf.conversation.nlu.keywords import KeywordTableError, language_tables
from sarraf.i18n.languages import CODES

# CLDR covers Gulf/Egyptian (يناير), Levantine/Iraqi (آذار), Moroccan (غشت) and Algerian/Tunisian (جانفي)
_LOCALES = ("en", "pl", "ar", "ar_SY", "ar_MA", "ar_DZ")


def extra_forms() -> tuple[str, ...]:
    """Every language's `months.extra` forms in registry order; each language's count is a multiple of 12."""
    forms: list[str] = []
    for lang in CODES:
        table = language_tables(lang)["months.extra"]
        if len(table) % 12:
            raise KeywordTableError(f"data/keywords/{lang}.yml: table months.extra needs twelve forms at a time")
        forms.extend(table)
    return tuple(forms)


@lru_cache(maxsize=1)
def month_forms() -> dict[str, int]:
    """Folded month name → month number (1-12)."""
    forms: dict[str, int] = {}
    for locale in _LOCALES:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context, locale).items():
                    name = fold(name).rstrip(".")
                    if len(name) >= 3:
                        forms[name] = number
    # forms CLDR lacks (the Polish locative of "w marcu"), per language twelve at a time, January first
    forms.update({name: i % 12 + 1 for i, name in enumerate(extra_forms())})
    # "may"/"mar" as plain English words are too ambiguous without a preposition; handled by the caller
    return forms
