"""Reply catalogues: YAML per language, plural forms keyed by CLDR category.

`en.yaml` holds the core replies; each feature may keep its own in `<feature>.<lang>.yaml` beside it
(`payments.pl.yaml`), so features grow without editing one shared file. A key defined twice is an error.

A message is either a string or a mapping of plural categories to strings; the `count` argument selects
the form. Every key must exist in every language (a test enforces it), so no customer ever sees a key.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from sarraf.domain.names import in_lang
from sarraf.i18n.languages import CODES
from sarraf.i18n.replies.formatting import isolate_values, plural_category

LANGUAGES = CODES
_HERE = Path(__file__).parent


class Catalog:
    def __init__(self, messages: dict[str, dict[str, Any]]) -> None:
        self.messages = messages

    def text(self, lang: str, key: str, /, **values: Any) -> str:
        table = self.messages.get(lang) or self.messages["en"]
        entry = table.get(key, self.messages["en"][key])
        if isinstance(entry, dict):
            count = values.get("count", 0)
            if not isinstance(count, int | float | Decimal):
                raise TypeError(f"{key}: count must be a number, not {type(count).__name__}")
            form = plural_category(lang, count)
            entry = entry.get(form, entry["other"])
        # Names that differ per language (a bank's) are read in the reply's language; figures are isolated
        # so an RTL sentence cannot reorder them (formatting.isolate_values).
        shown = isolate_values(lang, {k: in_lang(v, lang) if isinstance(v, str) else v for k, v in values.items()})
        return str(entry).format(**shown)

    def as_written(self, lang: str, key: str, /, **values: str) -> str:
        """An entry with its values put in as given: for text a channel or page lays out itself (a voice
        reads no isolation marks; a page sets its own direction). English where the language lacks it."""
        table = self.messages.get(lang) or self.messages["en"]
        return str(table.get(key, self.messages["en"][key])).format(**values)


def _load(lang: str) -> dict[str, Any]:
    # libyaml's safe loader (CSafeLoader): the same documents as yaml.safe_load, parsed ~10x faster at start-up
    text = (_HERE / f"{lang}.yaml").read_text(encoding="utf-8")
    table: dict[str, Any] = dict(yaml.load(text, Loader=yaml.CSafeLoader))
    for part in sorted(_HERE.glob(f"*.{lang}.yaml")):
        extra = yaml.load(part.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) or {}
        if clash := sorted(set(extra) & set(table)):
            raise ValueError(f"{part.name}: keys already defined elsewhere: {', '.join(clash)}")
        table.update(extra)
    return table


@cache
def catalog() -> Catalog:
    return Catalog({lang: _load(lang) for lang in LANGUAGES})
