"""Payments abroad: which payee "my sister in Germany" / "siostrze w Niemczech" / «أختي في ألمانيا» means, and in
which currency a payee abroad is paid.

A payee's country is the IBAN's country code (a UK sort code and account number is GB). A payment is international
when the payee's country is not the paying account's; the payee receives their country's currency (Babel/CLDR),
or US dollars where the bank's rate table has no such currency. A country named in the message (its CLDR name in
English, Polish or Arabic, Polish case endings allowed) picks the customer's saved payee in that country, the only
one there: relations ("my sister") are not guessed, so two payees in one country are asked about by name.
"""

from __future__ import annotations

from collections.abc import Sequence

from babel import Locale
from babel.numbers import get_territory_currencies

from sarraf.conversation.payees import words
from sarraf.domain.payments import Payee, SourceAccount

EXCHANGED = frozenset({"GBP", "PLN", "SAR", "EUR", "USD"})  # what the banks' rate tables carry
FALLBACK_CURRENCY = "USD"
LANGS = ("en", "pl", "ar")
STEM_KEEP = 4  # Polish declines country names too (Niemcy → w Niemczech): a word matches on its first letters
_ARABIC_ARTICLE_PREFIXES = ("في", "ف", "ب", "ل", "و")


def country_of(scheme: str, identification: str) -> str:
    if scheme.endswith("IBAN") and len(identification) >= 2 and identification[:2].isalpha():
        return identification[:2].upper()
    return "GB"


def is_abroad(source: SourceAccount, payee: Payee) -> bool:
    return country_of(payee.scheme, payee.identification) != country_of(source.scheme, source.identification)


def transfer_currency(payee: Payee) -> str:
    """The currency a payee abroad receives."""
    found = get_territory_currencies(country_of(payee.scheme, payee.identification))
    return found[0] if found and found[0] in EXCHANGED else FALLBACK_CURRENCY


def _names(country: str) -> list[list[str]]:
    return [words(Locale.parse(lang).territories[country]) for lang in LANGS
            if country in Locale.parse(lang).territories]


def _word_matches(said: str, name: str) -> bool:
    if said == name:
        return True
    for prefix in _ARABIC_ARTICLE_PREFIXES:  # «فألمانيا», «بألمانيا»
        if said.startswith(prefix) and said[len(prefix):] == name:
            return True
    keep = max(STEM_KEEP, len(name) - 2)
    return len(name) > STEM_KEEP and said[:keep] == name[:keep] and abs(len(said) - len(name)) <= 3


SHORT_NAME_MIN = 7  # «الإمارات» for «الإمارات العربية المتحدة»: a long first word alone names the country


def names_country(text: str, country: str) -> bool:
    """Whether `text` names `country`: every word of one of its names, or a long first word of it alone."""
    said = words(text)

    def named(part: str) -> bool:
        return any(_word_matches(w, part) for w in said)

    return any(all(named(part) for part in name) or (len(name[0]) >= SHORT_NAME_MIN and named(name[0]))
               for name in _names(country) if name)


def payees_in_named_country(text: str, payees: Sequence[Payee], home: str) -> list[Payee]:
    """The saved payees outside `home` whose country the message names."""
    abroad = [p for p in payees if country_of(p.scheme, p.identification) != home]
    return [p for p in abroad if names_country(text, country_of(p.scheme, p.identification))]
