"""A conversation's short memory: the question we are waiting on, and the last data question asked.

"yes" only means something next to the question it answers ("Erase now?", "shall I connect you?"), and
"the month before?" only next to the spending question it follows. Both live in the conversation context
store (persisted, so the next message may reach any replica) and expire after CONTEXT_TTL: a "yes" typed
tomorrow answers nothing.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any

from sarraf.conversation.nlu.entities.fold import fold
from sarraf.conversation.nlu.keywords import alternatives, words

CONTEXT_TTL = timedelta(minutes=15)
CONFIRM_ERASE = "confirm_erase"  # "This erases everything … Erase now?"
OFFER_HANDOFF = "offer_handoff"  # "… shall I connect you?"
PAYMENT_QUESTION = "payment"  # a payment's own question: amount, payee or account (flows/payments.py)
PAYMENT_CONFIRM = "payment_confirm"  # a payment's "confirm?" (flows/payments.py)
PENDING = (CONFIRM_ERASE, OFFER_HANDOFF, PAYMENT_QUESTION, PAYMENT_CONFIRM)
# Questions a bare "yes" / "no" answers. With a fraud alert's "Was this you?" open as well, a typed yes / no is
# ambiguous between them and answers neither; to any other question of ours it is the fraud question's answer.
YES_NO_QUESTIONS = frozenset({CONFIRM_ERASE, OFFER_HANDOFF, PAYMENT_CONFIRM})
MAX_FOLLOW_UP_WORDS = 7  # longer messages say something of their own

_UNIT_NAMES = ("month", "week", "year")


@dataclass(frozen=True, slots=True)
class _FollowUps:
    """ "the month before?" and "after that?", built once from the keyword tables (nlu/data/keywords, `context:`)
    and matched on fold()ed text: lower case, Polish diacritics dropped, Arabic hamza / ta marbuta unified."""

    units: dict[str, str]  # a word naming a unit → the unit
    before: re.Pattern[str]
    after: re.Pattern[str]


@cache
def _follow_ups() -> _FollowUps:
    units = {word: unit for unit in _UNIT_NAMES for word in words(f"context.{unit}")}
    unit = "|".join(sorted((re.escape(u) for u in units), key=len, reverse=True))  # the longest word wins
    lead = rf"(?:^|\s)(?:{alternatives('context.article')})?(?P<unit>{unit})?\s?"
    end = r"(?:\s|$|[?!.؟])"
    return _FollowUps(
        units=units,
        before=re.compile(rf"{lead}(?:{alternatives('context.before')}){end}"),
        after=re.compile(rf"{lead}(?:{alternatives('context.after')}){end}"),
    )


@dataclass(frozen=True, slots=True)
class Question:
    """A data question as answered: what, for which days (inclusive), narrowed how."""

    intent: str
    start: date
    end: date
    category: str | None = None
    merchant: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"intent": self.intent, "start": self.start.isoformat(), "end": self.end.isoformat(),
                "category": self.category, "merchant": self.merchant}

    @classmethod
    def from_json(cls, raw: Any) -> Question | None:
        if not isinstance(raw, dict):
            return None
        try:
            return cls(str(raw["intent"]), date.fromisoformat(raw["start"]), date.fromisoformat(raw["end"]),
                       raw.get("category"), raw.get("merchant"))
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(slots=True)
class Memory:
    """This turn's view of the conversation context: read at the start, written back if it changed."""

    pending: str | None = None
    question: Question | None = None
    # what a flow (flows/__init__.py) keeps between turns, under the flow's own key: {"service": {...}}
    flows: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Memory:
        pending = raw.get("pending")
        flows = raw.get("flows")
        return cls(pending if pending in PENDING else None, Question.from_json(raw.get("question")),
                   dict(flows) if isinstance(flows, dict) else {})

    def to_json(self) -> dict[str, Any]:
        if self.pending is None and self.question is None and not self.flows:
            return {}
        shown = {"pending": self.pending, "question": self.question.to_json() if self.question else None}
        return {**shown, "flows": self.flows} if self.flows else shown


def follow_up_shift(text: str) -> tuple[int, str | None] | None:
    """(-1 or +1, the unit named or None) when the message only asks for the period before / after the last
    one: "the month before?", "a miesiąc wcześniej?", «والشهر الذي قبله؟», "and before that?"."""
    folded = fold(text).strip()
    if len(folded.split()) > MAX_FOLLOW_UP_WORDS:
        return None
    follow_ups = _follow_ups()
    for step, pattern in ((-1, follow_ups.before), (1, follow_ups.after)):
        found = pattern.search(folded)
        if found:
            unit = found.group("unit")
            return step, follow_ups.units.get(unit) if unit else None
    return None


def shifted(start: date, end: date, step: int, unit: str | None) -> tuple[date, date]:
    """The period `step` units before (-1) or after (+1) the one last asked about, whole units: after
    "this month so far", "the month before" is the whole previous month."""
    unit = unit or _unit_of(start, end)
    if unit == "year":
        year = start.year + step
        return date(year, 1, 1), date(year, 12, 31)
    if unit == "month":
        month_index = start.year * 12 + start.month - 1 + step
        year, month = divmod(month_index, 12)
        return date(year, month + 1, 1), date(year, month + 1, calendar.monthrange(year, month + 1)[1])
    if unit == "week":
        monday = start - timedelta(days=start.weekday()) + timedelta(weeks=step)
        return monday, monday + timedelta(days=6)
    length = (end - start).days + 1
    return start + timedelta(days=step * length), end + timedelta(days=step * length)


def _unit_of(start: date, end: date) -> str | None:
    """The calendar unit a period was asked in: "this year", "in March", "last week" — or None (N days)."""
    if (start.month, start.day) == (1, 1) and end.year == start.year and (end - start).days > 31:
        return "year"
    if start.day == 1 and (end.year, end.month) == (start.year, start.month):
        return "month"
    if start.weekday() == 0 and (end - start).days <= 6:
        return "week"
    return None
