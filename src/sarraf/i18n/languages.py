"""The languages registry: one entry per language Sarraf answers in.

Everything that differs by language and is not a sentence lives here: the CLDR locale that Babel formats
numbers, dates and currencies with, the writing direction, the template language codes Meta's platforms
registered our templates under, and the Alexa locales whose requests arrive in that language. The sentences
themselves are the reply catalogues (`i18n/replies/<lang>.yaml` and `<feature>.<lang>.yaml`).

A new language is one `Language` entry below plus its data files (listed in docs/i18n.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Language:
    code: str  # ISO 639-1, as customers' preferences and catalogues are keyed
    name: str  # the language's own name, for language pickers
    locale: str  # CLDR locale for Babel; the market the bank formats for by default
    direction: str  # "ltr" | "rtl"
    messenger_template: str  # the language code Messenger utility templates are created with
    whatsapp_template: str  # WhatsApp's code for the same templates (its list differs from Messenger's)
    alexa_locales: tuple[str, ...] = ()  # the Alexa skill locales answered in this language


# Ordered as pickers show them.
LANGUAGES: tuple[Language, ...] = (
    Language("ar", "العربية", "ar_SA", "rtl", "ar", "ar", ("ar-SA",)),
    Language("pl", "Polski", "pl_PL", "ltr", "pl_PL", "pl"),
    Language("en", "English", "en_GB", "ltr", "en_US", "en_US", ("en-US", "en-GB", "en-IN", "en-AU", "en-CA")),
)
BY_CODE = {language.code: language for language in LANGUAGES}
CODES: tuple[str, ...] = tuple(language.code for language in LANGUAGES)
DEFAULT = "en"  # when nothing says which: an unknown browser, an unknown Alexa locale


def language(code: str) -> Language:
    """The registry's entry for `code`, or the default language's for a code we do not speak."""
    return BY_CODE.get(code, BY_CODE[DEFAULT])


def direction(code: str) -> str:
    return language(code).direction


def spoken(code: str | None) -> str | None:
    """`code` when Sarraf speaks it; the first two letters of a locale also count ("pl-PL", "ar_SA")."""
    prefix = (code or "")[:2].lower()
    return prefix if prefix in BY_CODE else None


def from_accept_language(header: str, fallback: str) -> str:
    """The first language of an HTTP Accept-Language header that Sarraf speaks, else `fallback`."""
    for part in header.split(","):
        if (found := spoken(part.strip())) is not None:
            return found
    return fallback
