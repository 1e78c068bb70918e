"""Length-preserving folding so regex spans found on the folded text index the original text."""

from __future__ import annotations

_TABLE = str.maketrans(
    "ąćęłńóśźżĄĆĘŁŃÓŚŹŻأإآٱىةؤئ٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫٬",
    "acelnoszzACELNOSZZاااايهوي01234567890123456789.,",
)


def fold(text: str) -> str:
    """Lower-case, drop Polish diacritics and Arabic hamza/ta-marbuta variants, ASCII digits."""
    out = text.translate(_TABLE)
    lowered = out.lower()
    if len(lowered) == len(out):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in out)
