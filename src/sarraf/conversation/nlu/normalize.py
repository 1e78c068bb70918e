"""Text normalisation shared by training and inference, so both see exactly the same strings.

Why each step: users type Arabic with or without hamza/diacritics and with Arabic-Indic digits, and
Polish with or without diacritics ("czesc" for "cześć"); folding those variants together lets a few
training lines cover all spellings. Digit runs collapse to one symbol because the amount never
changes the intent, except a single digit written inside a Latin word: that is Arabizi ("3andi", "7sab"),
where 2/3/5/7/9 are letters. Dialect spellings fold onto the common letter (Iraqi/Gulf چ for ك, گ/ڨ/ڭ for
the g-sound of ق, ڤ for ف, پ for ب), and letters stretched for emphasis ("كتيييير", "plzzz") fold back to one,
so a dialect writer's spelling habits do not hide a word the model knows.
"""

from __future__ import annotations

import re
import unicodedata

_ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ة": "ه",
        "ؤ": "و",
        "ئ": "ي",
        "ک": "ك",
        "ی": "ي",
        "چ": "ك",
        "گ": "ق",
        "ڨ": "ق",
        "ڭ": "ق",
        "ڤ": "ف",
        "پ": "ب",
        "؟": "?",
        "،": ",",
        "؛": ";",
    }
)
DIGITS_TO_ASCII = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_POLISH_FOLD = str.maketrans("ąćęłńóśźż", "acelnoszz")
# a digit run, unless it is one digit touching a Latin letter (an Arabizi letter)
_DIGIT_RUN = re.compile(r"\d{2,}|(?<![a-z])\d(?![a-z])")
# three or more of the same letter: elongation for emphasis (no Arabic, Polish or English word needs it)
_ELONGATION = re.compile(r"([^\W\d_])\1{2,}")


def normalize_for_model(text: str) -> str:
    """Fold case, Arabic orthographic variants, Polish diacritics and digits."""
    text = unicodedata.normalize("NFKC", text).translate(DIGITS_TO_ASCII).casefold()
    text = _ARABIC_DIACRITICS.sub("", text).translate(_ARABIC_FOLD).translate(_POLISH_FOLD)
    return _DIGIT_RUN.sub("0", _ELONGATION.sub(r"\1", text))
