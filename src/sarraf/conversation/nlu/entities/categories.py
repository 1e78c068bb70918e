"""Spending categories named in a message, from the per-language phrase tables in nlu/data/categories.

Matching runs on folded text (fold.py). Every phrase of a language is one alternative of one pattern,
longest first: at any position the longest phrase wins, and scanning left to right a phrase that starts
earlier wins, so a longer phrase containing a shorter one ("zakupy spożywcze" ⊃ "zakupy") always beats it.
Arabic phrases are stored bare; the article and the one-letter clitics that attach to it (و ف ب ك ل ع:
"والبقالة", "بالمطاعم", "للسفر", "عالأكل") may precede any of them.

When the customer says what they spent on ("spent on gardening") and it is in no table, an `unplaced`
entity carries those words, so the conversation asks instead of answering with every category's total.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from sarraf.conversation.nlu.entities.fold import fold
from sarraf.conversation.nlu.types import Entity
from sarraf.i18n.languages import CODES

LANGUAGES = CODES  # one category table per language (data/categories/<code>.yml)
GROUPS = {"food": ("groceries", "eating_out")}  # a word naming several of banks/categories.py's categories


def members(category: str) -> tuple[str, ...]:
    """The transaction categories a named category covers: a group's members, else itself."""
    return GROUPS.get(category, (category,))
_LETTER = r"[^\W\d_]"
_ARABIC = re.compile(r"[\u0600-\u06FF]")
# optional conjunction, optional preposition, optional article ("لل" is ل + the article's contracted ل)
_AR_CLITICS = r"(?:[وف])?(?:[بكلع])?(?:ال|ل)?"
_END = re.compile(r"[?.!,;:؟،؛\n]")


@dataclass(frozen=True, slots=True)
class Table:
    """One language's phrases, compiled."""

    lang: str
    pattern: re.Pattern[str]  # group p<i> is phrase i
    category_of: tuple[str, ...]  # category of phrase i
    spent_on: re.Pattern[str]
    not_categories: re.Pattern[str]
    fillers: frozenset[str]


def phrase_regex(phrase: str) -> str:
    """One phrase as a regex on folded text: words apart by spaces, `*` closing a word takes any ending."""
    words = []
    for word in fold(phrase).split():
        stem = word.endswith("*")
        words.append(re.escape(word.rstrip("*")) + (f"{_LETTER}*" if stem else ""))
    return r"\s+".join(words) + rf"(?!{_LETTER})"


def _phrases(phrases: list[str], lang: str) -> str:
    prefix = _AR_CLITICS if lang == "ar" else ""
    body = "|".join(phrase_regex(p) for p in sorted(phrases, key=lambda p: len(fold(p)), reverse=True))
    return rf"(?<!{_LETTER}){prefix}(?:{body})"


@cache
def read_table(lang: str) -> dict[str, object]:
    """A language's category file as parsed, once per process (read-only: shared by every caller)."""
    text = resources.files("sarraf.conversation.nlu.data.categories").joinpath(f"{lang}.yml").read_text("utf-8")
    doc: dict[str, object] = yaml.load(text, Loader=yaml.CSafeLoader)
    return doc


@cache
def table(lang: str) -> Table:
    doc = read_table(lang)
    categories: dict[str, list[str]] = doc["categories"]  # type: ignore[assignment]
    entries = sorted(((p, c) for c, phrases in categories.items() for p in phrases),
                     key=lambda pc: len(fold(pc[0])), reverse=True)
    prefix = _AR_CLITICS if lang == "ar" else ""
    alternatives = "|".join(f"(?P<p{i}>{phrase_regex(p)})" for i, (p, _) in enumerate(entries))
    return Table(
        lang,
        re.compile(rf"(?<!{_LETTER}){prefix}(?:{alternatives})"),
        tuple(c for _, c in entries),
        re.compile(_phrases(doc["spent_on"], lang)),  # type: ignore[arg-type]
        re.compile(rf"^(?:{_phrases(doc['not_categories'], lang)})$"),  # type: ignore[arg-type]
        frozenset(fold(w) for w in doc["fillers"]),  # type: ignore[attr-defined]
    )


def _tables(text: str, lang: str) -> list[Table]:
    # Arabic script is unambiguous; Latin text uses its own language's table only, so a Polish stem
    # ("kino") never fires inside an English word and vice versa
    langs = [lang if lang in LANGUAGES and lang != "ar" else "en"]
    if _ARABIC.search(text):
        langs = ["ar", *langs] if lang != "ar" else ["ar"]
    return [table(code) for code in langs]


def find_categories(text: str, folded: str, lang: str = "en", taken: list[Entity] | None = None) -> list[Entity]:
    """Category entities, or one `unplaced` entity naming what the customer spent on when no table has it.

    `taken`: spans already recognised (periods, amounts), which never form part of an unplaced name."""
    out: list[Entity] = []
    tables = _tables(text, lang)
    for t in tables:
        for m in t.pattern.finditer(folded):
            category = t.category_of[int((m.lastgroup or "p0")[1:])]
            out.append(Entity("category", category, text[m.start() : m.end()], m.start(), m.end()))
    if out:
        return sorted(out, key=lambda e: e.start)
    for t in tables:
        named = _named_after_spent_on(t, text, folded, taken or [])
        if named is not None:
            return [named]
    return []


def _named_after_spent_on(t: Table, text: str, folded: str, taken: list[Entity]) -> Entity | None:
    m = t.spent_on.search(folded)
    if m is None:
        return None
    end = len(folded)
    if stop := _END.search(folded, m.end()):
        end = stop.start()
    end = min([end, *(e.start for e in taken if e.start >= m.end())])
    words = [w for w in re.finditer(rf"{_LETTER}+", folded[m.end() : end])][:4]
    while words and words[0].group() in t.fillers:
        words.pop(0)
    while words and words[-1].group() in t.fillers:
        words.pop()
    if not words:
        return None
    start, stop_at = m.end() + words[0].start(), m.end() + words[-1].end()
    if t.not_categories.match(folded[start:stop_at]):
        return None
    return Entity("unplaced", text[start:stop_at], text[start:stop_at], start, stop_at)


def all_categories() -> tuple[str, ...]:
    """Every category a table can find (one with at least one phrase), read from the files without compiling
    the tables' patterns: that compile is ~0.08 s at import, and a turn needs only its own language's."""
    names = set()
    for lang in LANGUAGES:
        categories: dict[str, list[str]] = read_table(lang)["categories"]  # type: ignore[assignment]
        names |= {c for c, phrases in categories.items() if phrases}
    return tuple(sorted(names))


CATEGORIES = (*all_categories(), "other")
