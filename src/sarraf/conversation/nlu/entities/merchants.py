"""Where money was spent: "at Tesco", "w Biedronce", «في بنده» → a merchant phrase, and whether a merchant
name from the customer's own transactions is the one meant.

The NLU cannot know a bank's merchants, so it only finds the phrase; `merchant_matches` compares it with the
names the bank gave the customer's payments:
- Latin script: case- and diacritic-insensitive, tolerant of Polish case endings (Biedronce ~ Biedronka,
  Żabce ~ Żabka, Lidlu ~ Lidl);
- Arabic script against Latin names («بنده» ~ Panda, «الدانوب» ~ Danube, «كريم» ~ Careem): both are reduced to
  a consonant skeleton (Arabic writes no short vowels), with letters Arabic lacks mapped to their usual
  stand-ins (p → b, v → f, c → k, x → ks, g → j).
"""

from __future__ import annotations

import re
from functools import cache

from sarraf.conversation.nlu.entities.fold import fold
from sarraf.conversation.nlu.keywords import alternatives, words
from sarraf.conversation.nlu.types import Entity

MAX_WORDS = 3
_PHRASE_WORD = r"[^\s?!.,؟،;:]+"


@cache
def _phrase() -> re.Pattern[str]:
    """A preposition ("at", "w", «في»: keyword tables, `merchants:`) and up to MAX_WORDS words after it; group
    `in` is set when the preposition names a place only before a capital letter (English "in")."""
    capitalised = alternatives("merchants.before_capitalised") or "(?!)"
    return re.compile(
        rf"(?:{alternatives('merchants.before')}|(?P<in>{capitalised}))"
        rf"\s+(?P<words>{_PHRASE_WORD}(?:\s+{_PHRASE_WORD}){{0,{MAX_WORDS - 1}}})"
    )


@cache
def _stop() -> frozenset[str]:
    """Words that end a merchant phrase: periods, totals, pronouns, and the prepositions of the next phrase."""
    return frozenset(words("merchants.stop"))


_WORD = re.compile(r"[^\w]+")
_ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")
# Arabic letters → the consonant class a Latin transcription writes; vowels and glides (ا و ي ى ء ع) → "".
_ARABIC_SKELETON = str.maketrans({
    "ب": "b", "ت": "t", "ث": "s", "ج": "j", "ح": "h", "خ": "k", "د": "d", "ذ": "d", "ر": "r", "ز": "s", "س": "s",
    "ش": "s", "ص": "s", "ض": "d", "ط": "t", "ظ": "s", "ع": "", "غ": "j", "ف": "f", "ق": "k", "ك": "k", "ل": "l",
    "م": "m", "ن": "n", "ه": "h", "ة": "", "و": "", "ي": "", "ى": "", "ا": "", "أ": "", "إ": "", "آ": "", "ء": "",
    "ؤ": "", "ئ": "",
})
_LATIN_DIGRAPHS = (("sh", "s"), ("kh", "k"), ("th", "t"), ("ch", "s"), ("ph", "f"), ("gh", "j"), ("ck", "k"))
_LATIN_LETTERS = str.maketrans({"p": "b", "v": "f", "c": "k", "q": "k", "x": "ks", "g": "j", "z": "s",
                                "a": "", "e": "", "i": "", "o": "", "u": "", "y": "", "w": ""})


def find_merchant(text: str, folded: str, taken: list[Entity]) -> list[Entity]:
    """The phrase naming where the money went, or nothing; spans already taken by a period, an amount or a
    category ("w tym roku", "in March", "na jedzenie") are never a merchant."""
    pos = 0
    phrase_pattern, stop_words = _phrase(), _stop()
    while (m := phrase_pattern.search(folded, pos)) is not None:
        pos = m.start("words")  # the phrase may hold the next preposition: "na jedzenie w Żabce"
        if m.group("in") and not text[m.start("words")].isupper():
            continue  # "in total", "in general": English "in" names a place only when it is capitalised
        words: list[str] = []
        end = m.start("words")
        for w in re.finditer(r"\S+", folded[m.start("words"):m.end("words")]):
            start, stop = m.start("words") + w.start(), m.start("words") + w.end()
            if w.group() in stop_words:
                break
            if any(e.start < stop and start < e.end for e in taken):
                break
            words.append(w.group())
            end = stop
        if words:
            phrase = text[m.start("words"):end]
            return [Entity("merchant", phrase, phrase, m.start("words"), end)]
    return []


def merchant_matches(phrase: str, name: str) -> bool:
    """Whether the customer's `phrase` names the merchant the bank calls `name`."""
    said = _tokens(phrase)
    known = _tokens(name)
    if not said or not known:
        return False
    if _ARABIC_LETTER.search(said[0]):
        return _arabic_matches(said, known)
    return _same_word(said[0], known[0]) and all(
        any(_same_word(s, k) for k in known) for s in said[1:])


def _tokens(value: str) -> list[str]:
    out = []
    for raw in fold(value).split():
        token = _WORD.sub("", raw)
        if token:
            out.append(token)
    return out


def _same_word(said: str, known: str) -> bool:
    """Equal up to an inflected ending: the shared beginning is all but the last two letters of the shorter."""
    common = 0
    for a, b in zip(said, known, strict=False):
        if a != b:
            break
        common += 1
    shorter = min(len(said), len(known))
    return common == shorter or (common >= 3 and common >= shorter - 2)


def _arabic_matches(said: list[str], known: list[str]) -> bool:
    spoken = _arabic_skeleton(said[0])
    written = _latin_skeleton(known[0])
    return len(spoken) >= 2 and spoken == written


def _arabic_skeleton(word: str) -> str:
    if word.startswith("ال") and len(word) > 4:
        word = word[2:]  # the article: «البيك» is AlBaik, «الدانوب» Danube
    return word.rstrip("ه").translate(_ARABIC_SKELETON)


def _latin_skeleton(word: str) -> str:
    if word.startswith("al") and len(word) > 4:
        word = word[2:]
    for pair, single in _LATIN_DIGRAPHS:
        word = word.replace(pair, single)
    return re.sub(r"[^a-z]", "", word.rstrip("h").translate(_LATIN_LETTERS))
