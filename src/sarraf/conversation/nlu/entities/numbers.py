"""Numbers written as words in English, Polish and Arabic ("pięćdziesiąt", "خمسين", "twenty-five").

No installed library finds number words *inside* a sentence in all three languages, so this is a
small lexicon + the usual additive/multiplicative rule: units, teens and tens add; a hundred word
multiplies a preceding unit (three hundred, ثلاث مئة) or adds 100 alone; a scale word (thousand,
tysięcy, آلاف) multiplies everything so far. Words are matched on folded text (see fold.py).
"""

from __future__ import annotations

import re
from decimal import Decimal

from sarraf.conversation.nlu.entities.fold import fold

_UNITS_EN = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS_EN = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]

ADD: dict[str, int] = {w: i for i, w in enumerate(_UNITS_EN)}
ADD.update({w: 20 + 10 * i for i, w in enumerate(_TENS_EN)})
ADD.update({"a": 1})  # "a hundred", "a thousand" — only counts when followed by a multiplier
_PL = {
    0: "zero",
    1: "jeden jedna jedno jednego",
    2: "dwa dwie dwoch dwoje",
    3: "trzy trzech",
    4: "cztery czterech",
    5: "piec pieciu",
    6: "szesc szesciu",
    7: "siedem siedmiu",
    8: "osiem osmiu",
    9: "dziewiec dziewieciu",
    10: "dziesiec dziesieciu",
    11: "jedenascie",
    12: "dwanascie",
    13: "trzynascie",
    14: "czternascie",
    15: "pietnascie",
    16: "szesnascie",
    17: "siedemnascie",
    18: "osiemnascie",
    19: "dziewietnascie",
    20: "dwadziescia dwudziestu",
    30: "trzydziesci trzydziestu",
    40: "czterdziesci czterdziestu",
    50: "piecdziesiat piecdziesieciu",
    60: "szescdziesiat",
    70: "siedemdziesiat",
    80: "osiemdziesiat",
    90: "dziewiecdziesiat",
    100: "sto stu",
    200: "dwiescie",
    300: "trzysta",
    400: "czterysta",
    500: "piecset",
    600: "szescset",
    700: "siedemset",
    800: "osiemset",
    900: "dziewiecset",
}
_AR = {
    0: "صفر",
    1: "واحد واحده احد احدى",
    2: "اثنين اثنان اتنين تنين ثنتين اثنتان اثنا اثنتا اثني",
    3: "ثلاثه ثلاث تلاته تلات",
    4: "اربعه اربع",
    5: "خمسه خمس",
    6: "سته ست",
    7: "سبعه سبع",
    8: "ثمانيه ثماني ثمان تمانيه تمن",
    9: "تسعه تسع",
    10: "عشره عشر",
    11: "حداشر حدعش",
    12: "طناشر اتناشر",
    20: "عشرين عشرون",
    30: "ثلاثين ثلاثون تلاتين",
    40: "اربعين اربعون",
    50: "خمسين خمسون",
    60: "ستين ستون",
    70: "سبعين سبعون",
    80: "ثمانين ثمانون تمانين",
    90: "تسعين تسعون",
    200: "مئتان مئتين مئتا ميتين متين",
    300: "ثلاثمائه ثلاثمئه تلتمية",
    400: "اربعمائه اربعمئه",
    500: "خمسمائه خمسمئه خمسمية",
    600: "ستمائه ستمئه ستمية",
    700: "سبعمائه سبعمئه سبعمية",
    800: "ثمانمائه ثمانمئه ثمنمية",
    900: "تسعمائه تسعمئه تسعمية",
}
for table in (_PL, _AR):
    for value, words in table.items():
        ADD.update(dict.fromkeys(fold(words).split(), value))
# Arabic "ثلاثة عشر" = 13: a unit followed by عشر/عشرة adds ten (handled as TEEN_SUFFIX)
TEEN_SUFFIX = {"عشر", "عشره"}
HUNDRED = {fold(w) for w in ("hundred", "مائه", "مئه", "ميه", "مية", "مايه", "ميت")}
SCALE = {
    "thousand": 1000,
    "tysiac": 1000,
    "tysiace": 1000,
    "tysiecy": 1000,
    "million": 1_000_000,
    "milion": 1_000_000,
    "miliony": 1_000_000,
    "milionow": 1_000_000,
    "الف": 1000,
    "الاف": 1000,
    "مليون": 1_000_000,
    "ملايين": 1_000_000,
}
# Arabic duals mean "two thousand" alone; "الفا" after a count is the accusative ("احد عشر الفا")
DUAL_SCALE = {"الفين": 1000, "الفان": 1000, "الفا": 1000, "مليونين": 1_000_000, "مليونا": 1_000_000}
CONNECTORS = {"and", "i", "و"}

NUMBER_WORDS = set(ADD) | TEEN_SUFFIX | HUNDRED | set(SCALE) | set(DUAL_SCALE)
_ONLY_WITH_TEEN = {"احد", "احدي", "اثنا", "اثني"}
_TOKEN = re.compile(r"[^\W\d_]+")


def _strip_waw(word: str) -> str:
    """Arabic attaches "and" to the next word: "وعشرين" → "عشرين"."""
    if word.startswith("و") and word not in NUMBER_WORDS and word[1:] in NUMBER_WORDS:
        return word[1:]
    return word


def words_value(words: list[str]) -> Decimal | None:
    """Value of a run of folded number words, or None if it is not a number."""
    total, current, seen = 0, 0, False
    for raw in words:
        word = _strip_waw(raw)
        if word in CONNECTORS:
            continue
        if word in DUAL_SCALE:
            total += (current or 2) * DUAL_SCALE[word]
            current, seen = 0, True
        elif word in SCALE:
            total += max(current, 1) * SCALE[word]
            current, seen = 0, True
        elif word in HUNDRED:
            current = current * 100 if 0 < current < 10 else current + 100
            seen = True
        elif word in TEEN_SUFFIX and 0 < current < 10:
            current += 10
        elif word in ADD:
            if word != "a":
                seen = True
            current += ADD[word]
        else:
            return None
    return Decimal(total + current) if seen else None


def find_number_words(folded: str) -> list[tuple[int, int, Decimal]]:
    """Spans (start, end, value) of maximal runs of number words in folded text."""
    spans: list[tuple[int, int, Decimal]] = []
    run: list[re.Match[str]] = []

    def flush() -> None:
        while run and _strip_waw(run[-1].group()) in CONNECTORS | {"a"}:
            run.pop()
        # "احد" alone means "someone"; it is a number only inside "احد عشر" (eleven)
        if run and not (len(run) == 1 and run[0].group() in _ONLY_WITH_TEEN):
            value = words_value([m.group() for m in run])
            if value is not None:
                spans.append((run[0].start(), run[-1].end(), value))
        run.clear()

    for m in _TOKEN.finditer(folded.replace("-", " ")):
        word = _strip_waw(m.group())
        if word in NUMBER_WORDS or (run and word in CONNECTORS) or word == "a":
            run.append(m)
        else:
            flush()
    flush()
    return spans
