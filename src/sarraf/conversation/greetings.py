"""Greetings answered in kind: «السلام عليكم» is answered «وعليكم السلام», "good morning" with "Good morning!".

Matched on fold()ed text (lower case, no Polish diacritics, unified Arabic letters); a plain "hi" gets the
catalogue's ordinary greeting.
"""

from __future__ import annotations

import re

from sarraf.conversation.nlu.entities.fold import fold

_IN_KIND = (
    ("hello_salam", re.compile(r"(?:ال)?سلام عليك|\bsala(?:a)?m\b|\bas+ala(?:a)?mu?\b|\bsalam alejkum\b")),
    ("hello_morning", re.compile(r"صباح الخير|\bgood morning\b|\bmorning\b")),
    ("hello_evening", re.compile(r"مساء الخير|\bgood evening\b|\bdobry wieczor\b")),
)


def greeting_in_kind(text: str) -> str | None:
    """The catalogue key of the hello that answers this greeting in kind, or None for a plain greeting."""
    folded = fold(text)
    return next((key for key, pattern in _IN_KIND if pattern.search(folded)), None)
