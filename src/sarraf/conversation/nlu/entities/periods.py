"""Time periods → {"start": date, "end": date} (end inclusive), relative to the message time.

Relative phrases ("last month", "w zeszłym tygodniu", "الشهر الماضي") and the words around month names
("since", "od", "منذ") are per-language keyword tables (nlu/data/keywords/<lang>.yml);
month names come from CLDR (months.py); "since <something else>" falls back to dateparser, imported
lazily because it costs ~0.3 s and most messages never need it. Weeks start on Monday.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import cache

from sarraf.conversation.nlu.entities.months import month_forms
from sarraf.conversation.nlu.entities.numbers import words_value
from sarraf.conversation.nlu.keywords import alternatives
from sarraf.conversation.nlu.types import Entity

Span = tuple[date, date]
# The relative periods, each a table of per-language phrases (nlu/data/keywords/<lang>.yml, `periods:`)
KINDS = ("today", "yesterday", "this_week", "last_week", "this_month", "last_month", "this_year", "last_year")
_COUNT = r"\d{1,3}|[^\W\d_]+(?:\s[^\W\d_]+)?"


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


@cache
def _patterns() -> tuple[re.Pattern[str], ...]:
    """The period patterns, built once from the keyword tables: relative, since-day, since, within, last-n-days."""
    relative = re.compile("|".join(f"(?P<{kind}>{alternatives(f'periods.{kind}')})" for kind in KINDS))
    months = "|".join(re.escape(m) for m in sorted(month_forms(), key=len, reverse=True))
    since_day = re.compile(
        rf"(?:{alternatives('periods.since_day')})\s(?P<day>\d{{1,2}})(?:st|nd|rd|th|\.)?\s(?:of\s)?"
        rf"(?P<month>{months})\b"
    )
    since = re.compile(
        rf"(?:{alternatives('periods.since_month')})\s(?:{alternatives('periods.month_of_since')})?"
        rf"(?P<month>{months})\b"
    )
    within = re.compile(
        rf"(?:{alternatives('periods.in_month')})\s?(?:{alternatives('periods.month_of')})?(?P<month>{months})\b"
    )
    last_n_days = re.compile(
        rf"(?:{alternatives('periods.last_n')})\s(?P<n>{_COUNT})\s(?:{alternatives('periods.days')})\b"
    )
    return relative, since_day, since, within, last_n_days


@cache
def _since_words() -> re.Pattern[str]:
    """A "since" word and up to three words after it, for dateparser to read."""
    return re.compile(rf"(?:{alternatives('periods.since_words')})\s(?P<what>[^\s,.?!]+(?:\s[^\s,.?!]+){{0,2}})")


def _since_fallback(text: str, folded: str, now: datetime, lang: str) -> Entity | None:
    m = _since_words().search(folded)
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
    relative, since_day, since, within, last_n_days = _patterns()
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
    for m in last_n_days.finditer(folded):
        raw = m.group("n") or ""
        n = int(raw) if raw.isdigit() else words_value(raw.split())
        if n:
            add(m.start(), m.end(), (today - timedelta(days=int(n) - 1), today))
    entities = [Entity("period", {"start": s[0], "end": s[1]}, text[a:b], a, b) for a, b, s in found]
    if not entities:
        fallback = _since_fallback(text, folded, now, lang)
        entities = [fallback] if fallback else []
    return sorted(entities, key=lambda e: e.start)
