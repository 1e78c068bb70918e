"""Make customer text safe to process: no bidi overrides, no control characters, bounded length."""

from __future__ import annotations

import unicodedata

MAX_MESSAGE_CHARS = 1000

# Explicit direction overrides and isolates can make a message render differently from what it says
# ("Trojan Source"); natural RTL text never needs them, so they are dropped before anything reads it.
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), None)


def clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text.translate(_BIDI_CONTROLS))
    kept = (ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs", "Co", "Cn"))
    return " ".join("".join(kept).split())
