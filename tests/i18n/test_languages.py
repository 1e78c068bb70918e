"""The languages registry is the one list of languages: every catalogue, knowledge base and NLU table covers
exactly its codes, each locale is one Babel knows, and Arabic is written right to left."""

from __future__ import annotations

from pathlib import Path

from babel import Locale
from hypothesis import given
from hypothesis import strategies as st

from sarraf.i18n.languages import BY_CODE, CODES, DEFAULT, direction, from_accept_language, language, spoken
from sarraf.i18n.replies import catalog

SRC = Path(__file__).resolve().parents[2] / "src" / "sarraf"


def test_every_language_has_a_cldr_locale_a_direction_and_its_catalogues() -> None:
    for code in CODES:
        entry = BY_CODE[code]
        assert Locale.parse(entry.locale).language == code
        assert entry.direction in ("ltr", "rtl")
        assert (SRC / "i18n" / "replies" / f"{code}.yaml").is_file()
        assert (SRC / "conversation" / "nlu" / "data" / "categories" / f"{code}.yml").is_file()
        assert catalog().text(code, "greeting", bank="B")
    assert set(catalog().messages) == set(CODES)


def test_arabic_is_right_to_left_and_replies_say_so() -> None:
    assert direction("ar") == "rtl" and direction("pl") == direction("en") == "ltr"
    assert direction("xx") == language(DEFAULT).direction


def test_browser_and_platform_locales_map_to_a_spoken_language() -> None:
    assert spoken("pl-PL") == "pl" and spoken("ar_SA") == "ar" and spoken("de-DE") is None and spoken(None) is None
    assert from_accept_language("de-DE,de;q=0.9,ar;q=0.8,en;q=0.5", "en") == "ar"
    assert from_accept_language("", "pl") == "pl"
    assert all(spoken(locale) == code for code in CODES for locale in BY_CODE[code].alexa_locales)


@given(st.text(max_size=60))
def test_any_accept_language_header_gives_a_spoken_language(header: str) -> None:
    assert from_accept_language(header, DEFAULT) in CODES
