"""Every counted message of the reply catalogues, rendered for n in {0, 1, 2, 3, 10, 11, 100} in ar, pl and en,
takes exactly the form CLDR (Babel's Locale.plural_form) names for n — never a fallback — and no message
shows a number with a noun outside a plural message (how "10 دقيقة" slipped into my_data)."""

from __future__ import annotations

import string

import pytest
from babel import Locale

from sarraf.i18n.replies import LANGUAGES, catalog
from sarraf.i18n.replies.formatting import LOCALES, strip_bidi_marks

COUNTS = (0, 1, 2, 3, 10, 11, 100)
# placeholders that only ever hold a number; they belong in plural messages (as `count`)
NUMBERS = {"count", "minutes", "days", "n"}


def _counted() -> list[tuple[str, str]]:
    return [(lang, key) for lang in LANGUAGES for key, entry in catalog().messages[lang].items()
            if isinstance(entry, dict)]


def _values(template_set: dict[str, str]) -> dict[str, str]:
    fields = {f for text in template_set.values() for _, f, _, _ in string.Formatter().parse(text) if f}
    return {f: f"<{f}>" for f in fields - {"count"}}


@pytest.mark.parametrize(("lang", "key"), _counted())
def test_each_count_takes_the_cldr_form_babel_names(lang: str, key: str) -> None:
    entry = catalog().messages[lang][key]
    locale = Locale.parse(LOCALES[lang])
    values = _values(entry)
    for n in COUNTS:
        form = locale.plural_form(n)
        assert form in entry, f"{lang}:{key} has no {form!r} form for {n}"
        # Arabic replies isolate amounts and names (bidi marks); the form chosen is what is checked here.
        said = strip_bidi_marks(catalog().text(lang, key, count=n, **values))
        assert said == entry[form].format(count=n, **values)


def test_arabic_minutes_agree_with_the_number() -> None:
    # 3–10: plural (دقائق); 11–99: singular accusative (دقيقةً); 100: singular (دقيقة); 1 and 2: no figure
    said = {n: catalog().text("ar", "minutes_count", count=n) for n in COUNTS}
    assert said[1] == "دقيقة واحدة" and said[2] == "دقيقتين"
    assert said[3] == "3 دقائق" and said[10] == "10 دقائق"
    assert said[11] == "11 دقيقةً" and said[100] == "100 دقيقة"


def test_polish_minutes_agree_with_the_number() -> None:
    said = {n: catalog().text("pl", "minutes_count", count=n) for n in (1, 2, 5, 22, 25)}
    assert said == {1: "1 minutę", 2: "2 minuty", 5: "5 minut", 22: "22 minuty", 25: "25 minut"}


def test_no_plain_message_shows_a_bare_number_placeholder() -> None:
    for lang in LANGUAGES:
        for key, entry in catalog().messages[lang].items():
            if isinstance(entry, dict):
                continue
            fields = {f for _, f, _, _ in string.Formatter().parse(entry) if f}
            assert not fields & NUMBERS, f"{lang}:{key} shows {fields & NUMBERS} without plural forms"
