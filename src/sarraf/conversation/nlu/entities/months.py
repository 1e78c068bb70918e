"""Month names in every form a message may use, from CLDR via Babel plus the Polish locative it lacks."""

from __future__ import annotations

from functools import lru_cache

from babel.dates import get_month_names

from sarraf.conversation.nlu.entities.fold import fold

# CLDR covers Gulf/Egyptian (يناير), Levantine/Iraqi (آذار), Moroccan (غشت) and Algerian/Tunisian (جانفي)
_LOCALES = ("en", "pl", "ar", "ar_SY", "ar_MA", "ar_DZ")
# "w marcu" (in March) uses the locative, which CLDR does not carry
_POLISH_LOCATIVE = [
    "styczniu",
    "lutym",
    "marcu",
    "kwietniu",
    "maju",
    "czerwcu",
    "lipcu",
    "sierpniu",
    "wrzesniu",
    "pazdzierniku",
    "listopadzie",
    "grudniu",
]


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
    forms.update({name: i for i, name in enumerate(_POLISH_LOCATIVE, start=1)})
    # "may"/"mar" as plain English words are too ambiguous without a preposition; handled by the caller
    return forms
