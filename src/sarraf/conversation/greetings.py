"""Greetings answered in kind: «السلام عليكم» is answered «وعليكم السلام», "good morning" with "Good morning!".

Matched on fold()ed text (lower case, no Polish diacritics, unified Arabic letters); a plain "hi" gets the
catalogue's ordinary greeting. The greetings of each language are keyword tables (nlu/data/keywords).
"""

from __future__ import annotations

import re
from functools import cache

from sarraf.conversation.nlu.entities.fold import fold
from sarraf.conversation.nlu.keywords import alternatives

# catalogue key → the keyword table of greetings it answers (nlu/data/keywords/<lang>.yml, `greetings:`)
_IN_KIND = (
    ("hello_salam", "greetings.salam"),
    ("hello_morning", "greetings.morning"),
    ("hello_evening", "greetings.evening"),
)


@cache
def _in_kind() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((key, re.compile(alternatives(table))) for key, table in _IN_KIND)


def greeting_in_kind(text: str) -> str | None:
    """The catalogue key of the hello that answers this greeting in kind, or None for a plain greeting."""
    folded = fold(text)
    return next((key for key, pattern in _in_kind() if pattern.search(folded)), None)
