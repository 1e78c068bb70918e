"""Every reply exists in Arabic, Polish and English, with the plural forms each language needs."""

import string

from sarraf.i18n.replies import LANGUAGES, catalog

REQUIRED_FORMS = {
    "en": {"one", "other"},
    "pl": {"one", "few", "many", "other"},
    "ar": {"zero", "one", "two", "few", "many", "other"},
}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_key_exists_in_every_language() -> None:
    messages = catalog().messages
    keys = {lang: set(messages[lang]) for lang in LANGUAGES}
    for lang in LANGUAGES:
        assert keys[lang] == keys["en"], f"{lang}: missing {keys['en'] - keys[lang]}, extra {keys[lang] - keys['en']}"


def test_plural_messages_have_every_cldr_form() -> None:
    for lang in LANGUAGES:
        for key, entry in catalog().messages[lang].items():
            if isinstance(catalog().messages["en"][key], dict):
                assert isinstance(entry, dict), f"{lang}:{key} must be plural-aware"
                assert REQUIRED_FORMS[lang] <= set(entry), f"{lang}:{key} lacks {REQUIRED_FORMS[lang] - set(entry)}"


def test_translations_use_only_placeholders_the_english_has() -> None:
    messages = catalog().messages
    for key, entry in messages["en"].items():
        english = set().union(*(_fields(v) for v in entry.values())) if isinstance(entry, dict) else _fields(entry)
        english |= {"count"}
        for lang in ("ar", "pl"):
            other = messages[lang][key]
            texts = other.values() if isinstance(other, dict) else [other]
            for text in texts:
                assert _fields(text) <= english, f"{lang}:{key} uses {_fields(text) - english}"


def test_arabic_replies_are_written_in_arabic_script() -> None:
    for key, entry in catalog().messages["ar"].items():
        texts = entry.values() if isinstance(entry, dict) else [entry]
        for text in texts:
            letters = [ch for ch in text.format_map(_Blank()) if ch.isalpha()]
            arabic = [ch for ch in letters if "\u0600" <= ch <= "\u06ff"]
            assert len(arabic) >= len(letters) * 0.6, key


class _Blank(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return ""
