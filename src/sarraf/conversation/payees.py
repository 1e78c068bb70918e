"""Finding the payee a customer names among the bank's beneficiaries, across inflections, diminutives
and scripts: "Kasi" / "Kasia" / "Katarzynie" ↔ Katarzyna Nowak, «لأحمد» ↔ أحمد العتيبي.

Polish declines names (Katarzyna → Katarzynie, Nowak → Nowakowi), so a word matches a name part when
they share a stem (all but the last few letters); diminutives are a short table of stems; Arabic words
lose the attached preposition (لـ / ل) and the spelling variants of alef, ta marbuta and ya. More than
one match is returned as such, so the flow asks which one rather than guessing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

# Diminutive stems (a word starting with one names the full given name): Kasia, Kasi, Kasię, Kaśka, ...
DIMINUTIVES = {
    "kasi": "katarzyna", "kaśk": "katarzyna", "basi": "barbara", "baśk": "barbara", "gosi": "małgorzata",
    "gośk": "małgorzata", "ani": "anna", "ank": "anna", "magd": "magdalena", "olu": "aleksandra",
    "oli": "aleksandra", "tomk": "tomasz", "kub": "jakub", "jank": "jan",
}
_ARABIC_MARKS = re.compile(r"[\u064B-\u065F\u0670\u0640]")  # harakat, dagger alef, tatweel
_ARABIC_VARIANTS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ة": "ه", "ى": "ي"})
_WORD = re.compile(r"\w+")


def _arabic(word: str) -> str:
    word = _ARABIC_MARKS.sub("", word).translate(_ARABIC_VARIANTS)
    return word


def words(text: str) -> list[str]:
    return [_arabic(w) for w in _WORD.findall(unicodedata.normalize("NFC", text).casefold())]


def _same_stem(said: str, part: str) -> bool:
    if said == part:
        return True
    if said[0] in "لب" and len(said) > 3 and said[1:] == part:  # Arabic clitic preposition: لأحمد, بأحمد
        return True
    # Endings change, stems stay: keep all but two letters of a long name, all but one of a short one,
    # so "Katarzynie" and "Nowakowi" match while "now" does not name Nowak.
    keep = max(3, len(part) - (2 if len(part) >= 6 else 1))
    return len(said) >= keep and said[:keep] == part[:keep] and len(said) <= len(part) + 4


def _names_part(said: str, part: str) -> bool:
    if _same_stem(said, part):
        return True
    return any(said.startswith(stem) and full == part and len(said) <= len(stem) + 3
               for stem, full in DIMINUTIVES.items())


def match_payees(text: str, names: Sequence[str]) -> list[str]:
    """The beneficiary names the text refers to, best first (most name parts mentioned)."""
    said = words(text)
    scored: list[tuple[int, str]] = []
    for name in names:
        parts = words(name)
        hits = sum(1 for part in parts if any(_names_part(w, part) for w in said))
        if hits:
            scored.append((hits, name))
    if not scored:
        return []
    best = max(h for h, _ in scored)
    return [n for h, n in scored if h == best]
