"""Time periods → {"start": date, "end": date} (end inclusive), relative to the message time.

Relative phrases are small per-language tables ("last month", "w zeszłym tygodniu", "الشهر الماضي");
month names come from CLDR (months.py); "since <something else>" falls back to dateparser, imported
lazily because it costs ~0.3 s and most messages never need it. Weeks start on Monday.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import lru_cache

from sarraf.conversation.nlu.entities.months import month_forms
from sarraf.conversation.nlu.entities.numbers import words_value
from sarraf.conversation.nlu.types import Entity

Span = tuple[date, date]
_LAST = r"(?:last|previous|past)"
_PL_LAST = r"(?:w\s)?(?:zeszlym|ubieglym|poprzednim|ostatnim)"
_PL_LAST_NOM = r"(?:zeszly|ubiegly|poprzedni|ostatni)"
_AR_PAST = r"(?:الماضي|الماضيه|الفائت|الفائته|السابق|السابقه|اللي فات|اللي فاتت|اللي راح|اللي راحت)"

RELATIVE: dict[str, str] = {
    "today": r"\btoday\b|\bdzis\b|\bdzisiaj\b|اليوم|النهارده|النهارده",
    "yesterday": r"\byesterday\b|\bwczoraj\b|(?<![^\s])(?:امس|البارحه|امبارح|مبارح|اليوم اللي فات)\b",
    "this_week": r"\bthis week\b|\bw tym tygodniu\b|\bten tydzien\b|\btego tygodnia\b"
    r"|(?:هذا|هاد|هذ) الاسبوع|هالاسبوع|الاسبوع (?:الحالي|هذا|ده)",
    "last_week": rf"\b{_LAST} week\b|\b{_PL_LAST} tygodniu\b|\b{_PL_LAST_NOM} tydzien\b|الاسبوع {_AR_PAST}"
    r"|(?:ال)?جمعه اللي فاتت",
    "this_month": r"\bthis month\b|\bw tym miesiacu\b|\bten miesiac\b|\btego miesiaca\b"
    r"|(?:هذا|هاد) الشهر|هالشهر|الشهر (?:الحالي|هذا|ده)",
    "last_month": rf"\b{_LAST} month\b|\b{_PL_LAST} miesiacu\b|\b{_PL_LAST_NOM} miesiac\b|الشهر {_AR_PAST}",
    "this_year": r"\bthis year\b|\bw tym roku\b|\bten rok\b|\btego roku\b"
    r"|(?:هذه|هاي|هذي|هاد) (?:السنه|العام)|هالسنه|هالعام|(?:السنه|العام) (?:الحالي|الحاليه|هذه|هذا|دي)",
    "last_year": rf"\b{_LAST} year\b|\b{_PL_LAST} roku\b|\b{_PL_LAST_NOM} rok\b|(?:السنه|العام) {_AR_PAST}",
}
_COUNT = r"\d{1,3}|[^\W\d_]+(?:\s[^\W\d_]+)?"
LAST_N_DAYS = re.compile(rf"(?:\b(?:{_LAST}|ostatnie|ostatnich)|اخر)\s(?P<n>{_COUNT})\s(?:days|dni|ايام|يوم)\b")


def _month_span(month: int, today: date) -> Span:
    year = today.year if month <= today.month else today.year - 1
    last = date(year, month, calendar.monthrange(year, month)[1])
    return date(year, month, 1), min(last, today)


def _relative(kind: str, today: date) -> Span:
    monday = today - timedelta(days=today.weekday())
    first = today.replace(day=1)
    prev_last = first - timedelta(days=1)
    spans: dict[str, Callable[[], Span]] = {
        "today": lambda: (today, today),
        "yesterday": lambda: (today - timedelta(days=1),) * 2,
        "this_week": lambda: (monday, today),
        "last_week": lambda: (monday - timedelta(days=7), monday - timedelta(days=1)),
        "this_month": lambda: (first, today),
        "last_month": lambda: (prev_last.replace(day=1), prev_last),
        "this_year": lambda: (date(today.year, 1, 1), today),
        "last_year": lambda: (date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
    }
    return spans[kind]()


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    relative = re.compile("|".join(f"(?P<{k}>{v})" for k, v in RELATIVE.items()))
    months = "|".join(re.escape(m) for m in sorted(month_forms(), key=len, reverse=True))
    since_day = re.compile(
        rf"(?:\bsince|\bfrom|\bod|منذ|من)\s(?P<day>\d{{1,2}})(?:st|nd|rd|th|\.)?\s(?:of\s)?(?P<month>{months})\b"
    )
    since = re.compile(rf"(?:\bsince|\bod|منذ|من)\s(?:شهر\s)?(?P<month>{months})\b")
    within = re.compile(
        rf"(?:\bin|\bduring|\bfor|\bw|\bwe|\bza|(?<!\S)في|(?<!\S)ب|(?<!\S)خلال)\s?(?:شهر\s|the month of\s)?"
        rf"(?P<month>{months})\b"
    )
    return relative, since_day, since, within


def _since_fallback(text: str, folded: str, now: datetime, lang: str) -> Entity | None:
    m = re.search(r"(?:\bsince|\bod|منذ)\s(?P<what>[^\s,.?!]+(?:\s[^\s,.?!]+){0,2})", folded)
    if not m:
        return None
    import dateparser  # lazily: heavy import, rarely needed

    base = now.replace(tzinfo=None)
    settings = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past"}
    words = text[m.start("what") : m.end("what")].split()
    for n in range(len(words), 0, -1):  # longest prefix dateparser understands
        parsed = dateparser.parse(" ".join(words[:n]), languages=[lang], settings=settings)
        if parsed and parsed.date() <= base.date():
            end = m.start("what") + len(" ".join(words[:n]))
            span = {"start": parsed.date(), "end": base.date()}
            return Entity("period", span, text[m.start() : end], m.start(), end)
    return None


def find_periods(text: str, folded: str, now: datetime, lang: str) -> list[Entity]:
    today = now.date()
    relative, since_day, since, within = _patterns()
    months = month_forms()
    found: list[tuple[int, int, Span]] = []

    def add(start: int, end: int, span: Span) -> None:
        if not any(s < end and start < e for s, e, _ in found):
            found.append((start, end, span))

    for m in since_day.finditer(folded):
        month, day = months[m.group("month")], int(m.group("day"))
        year = today.year if (month, day) <= (today.month, today.day) else today.year - 1
        if day <= calendar.monthrange(year, month)[1]:
            add(m.start(), m.end(), (date(year, month, day), today))
    for m in since.finditer(folded):
        add(m.start(), m.end(), (_month_span(months[m.group("month")], today)[0], today))
    for m in within.finditer(folded):
        add(m.start(), m.end(), _month_span(months[m.group("month")], today))
    for m in relative.finditer(folded):
        add(m.start(), m.end(), _relative(m.lastgroup or "today", today))
    for m in LAST_N_DAYS.finditer(folded):
        raw = m.group("n") or ""
        n = int(raw) if raw.isdigit() else words_value(raw.split())
        if n:
            add(m.start(), m.end(), (today - timedelta(days=int(n) - 1), today))
    entities = [Entity("period", {"start": s[0], "end": s[1]}, text[a:b], a, b) for a, b, s in found]
    if not entities:
        fallback = _since_fallback(text, folded, now, lang)
        entities = [fallback] if fallback else []
    return sorted(entities, key=lambda e: e.start)
