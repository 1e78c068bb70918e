"""Customer text is cleaned of direction overrides and control characters before anything reads it."""

from hypothesis import given
from hypothesis import strategies as st

from sarraf.conversation.sanitize import clean

OVERRIDES = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def test_bidi_overrides_are_removed_but_arabic_stays() -> None:
    assert clean("كم \u202eرصيدي\u202c؟") == "كم رصيدي؟"


def test_whitespace_is_collapsed() -> None:
    assert clean("  ile   mam\n\tna koncie? ") == "ile mam na koncie?"


@given(st.text())
def test_no_override_or_control_character_survives(text: str) -> None:
    cleaned = clean(text)
    assert not any(ch in OVERRIDES for ch in cleaned)
    assert not any(ord(ch) < 32 for ch in cleaned)
    assert clean(cleaned) == cleaned
