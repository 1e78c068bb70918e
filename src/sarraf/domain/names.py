"""Names that read differently per language: a bank is «بنك صرّاف التجريبي» to an Arabic-speaking customer and
"Sarraf Sandbox Bank" to an English-speaking one."""

from __future__ import annotations

from collections.abc import Mapping


class LocalizedName(str):
    """A name that is its default form wherever a plain string is expected (logs, ids, tables keyed by name),
    and knows its form in each language. The reply catalogue asks `in_lang` when it fills a reply, so the
    many places that pass bank names around (`bank_names: Mapping[str, str]`) need not know about languages."""

    _forms: dict[str, str]

    def __new__(cls, default: str, forms: Mapping[str, str] | None = None) -> LocalizedName:
        name = super().__new__(cls, default)
        name._forms = dict(forms or {})
        return name

    def in_lang(self, lang: str) -> str:
        return self._forms.get(lang, str(self))

    @property
    def forms(self) -> dict[str, str]:
        return dict(self._forms)

    def __reduce__(self) -> tuple[type[LocalizedName], tuple[str, dict[str, str]]]:
        return LocalizedName, (str(self), self._forms)


def in_lang(name: str, lang: str) -> str:
    """`name` as a customer speaking `lang` should read it; plain strings are the same in every language."""
    return name.in_lang(lang) if isinstance(name, LocalizedName) else name
