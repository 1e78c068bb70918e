"""Per-language keyword tables, one data file per language (nlu/data/keywords/<code>.yml).

The regexes that spot periods, greetings, alert preferences and the like keep their structure in Python;
the words each language fills them with live in data, so a new language is its data files plus one
registry entry (i18n/languages.py). A table is a list of regex alternatives (most are plain words or
phrases; a few carry an inflection group or a boundary the language needs). `{name}` in an entry stands
for the file's `shorthand` list `name`, as one non-capturing group, so "last|previous|past" is written once.

Every registered language must define every table in TABLES (an empty list is a legitimate "this language
has no such words"); a missing file, table or shorthand fails at load and names the file and the table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources

import yaml

from sarraf.i18n.languages import CODES

PACKAGE = "sarraf.conversation.nlu.data.keywords"

# The tables the code asks for: "<module>.<table>", each a key under the module's section of every file.
# Names avoid YAML 1.1's booleans (on, off, yes, no), which would not load as keys: hence "turn_on".
TABLES: tuple[str, ...] = (
    "periods.today",
    "periods.yesterday",
    "periods.this_week",
    "periods.last_week",
    "periods.this_month",
    "periods.last_month",
    "periods.this_year",
    "periods.last_year",
    "periods.last_n",
    "periods.days",
    "periods.since_day",
    "periods.since_month",
    "periods.since_words",
    "periods.in_month",
    "periods.month_of",
    "periods.month_of_since",
    "months.extra",
    "greetings.salam",
    "greetings.morning",
    "greetings.evening",
    "alerts.turn_off",
    "alerts.turn_on",
    "alerts.alerts",
    "alerts.night",
    "alerts.shopping",
    "alerts.balance",
    "alerts.account",
    "alerts.over",
    "alerts.under",
    "alerts.language_hint",
    "service.not_helped",
    "service.helped",
    "service.euro",
    "service.dollar",
    "service.pound",
    "service.zloty",
    "service.riyal",
    "context.month",
    "context.week",
    "context.year",
    "context.article",
    "context.before",
    "context.after",
    "privacy.who_saw",
    "offers.opt_out",
    "offers.opt_in",
    "offers.why",
    "cards.lost",
    "cards.stolen",
    "payments.cancel",
    "payments.agree",
    "payments.decline",
    "payment_references.markers",
    "payee.to",
    "payee.my",
    "payee.relatives",
    "payee.not_names",
    "payee.attached_to",
    "payee.not_attached",
    "payee.not_attached_starts",
    "merchants.before",
    "merchants.before_capitalised",
    "merchants.stop",
    "money.pln",
    "money.gbp",
    "money.usd",
    "money.eur",
    "money.sar",
    "money.aed",
    "money.egp",
    "money.jod",
    "money.mad",
    "money.not_money_after",
    "payment_amounts.pln",
    "payment_amounts.gbp",
    "payment_amounts.eur",
    "payment_amounts.usd",
    "payment_amounts.sar",
)

_SHORTHAND = re.compile(r"\{([a-z_]+)\}")  # `{last}`; regex quantifiers such as {1,2} never match


class KeywordTableError(LookupError):
    """A keyword file is missing, or lacks a table or shorthand the code asks for."""


def _expand(entry: str, shorthand: Mapping[str, list[str]], where: str) -> str:
    def group(m: re.Match[str]) -> str:
        if m.group(1) not in shorthand:
            raise KeywordTableError(f"{where}: unknown shorthand {{{m.group(1)}}}")
        return "(?:" + "|".join(shorthand[m.group(1)]) + ")"

    return _SHORTHAND.sub(group, entry)


def _table(doc: Mapping[str, object], name: str, shorthand: Mapping[str, list[str]], file: str) -> list[str]:
    section, _, key = name.partition(".")
    tables = doc.get(section)
    entries = tables.get(key) if isinstance(tables, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise KeywordTableError(f"{file}: table {name} is missing or not a list of strings")
    return [_expand(entry, shorthand, f"{file}: table {name}") for entry in entries]


def parse(text: str, lang: str) -> dict[str, tuple[str, ...]]:
    """One language's keyword file (its YAML text): table name → its regex alternatives, shorthands expanded."""
    file = f"data/keywords/{lang}.yml"
    doc = yaml.load(text, Loader=yaml.CSafeLoader)
    if not isinstance(doc, dict) or doc.get("language") != lang:
        raise KeywordTableError(f"{file}: expected a mapping with `language: {lang}`")
    shorthand = doc.get("shorthand") or {}
    if not isinstance(shorthand, dict):
        raise KeywordTableError(f"{file}: `shorthand` must map names to word lists")
    return {name: tuple(_table(doc, name, shorthand, file)) for name in TABLES}


@cache
def language_tables(lang: str) -> dict[str, tuple[str, ...]]:
    """Every table of one registered language, read once from its file."""
    try:
        text = resources.files(PACKAGE).joinpath(f"{lang}.yml").read_text("utf-8")
    except FileNotFoundError as missing:
        raise KeywordTableError(f"data/keywords/{lang}.yml: no keyword file for language {lang!r}") from missing
    return parse(text, lang)


def words(table: str) -> tuple[str, ...]:
    """A table's alternatives in every registered language, languages in registry order."""
    if table not in TABLES:
        raise KeywordTableError(f"table {table} is not declared in keywords.TABLES")
    return tuple(entry for lang in CODES for entry in language_tables(lang)[table])


def alternatives(table: str) -> str:
    """A table as one regex alternation (no group around it: the caller's pattern places it)."""
    return "|".join(words(table))
