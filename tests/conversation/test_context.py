"""The conversation's short memory: which messages are follow-ups, what period they mean, and greetings
answered in kind."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sarraf.conversation.context import Memory, Question, follow_up_shift, shifted
from sarraf.conversation.greetings import greeting_in_kind


@pytest.mark.parametrize(
    ("text", "shift"),
    [
        ("the month before?", (-1, "month")),
        ("and the month before?", (-1, "month")),
        ("the week before", (-1, "week")),
        ("the year before?", (-1, "year")),
        ("and before that?", (-1, None)),
        ("the month after?", (1, "month")),
        ("a miesiąc wcześniej?", (-1, "month")),
        ("a tydzień wcześniej?", (-1, "week")),
        ("a rok wcześniej", (-1, "year")),
        ("a wcześniej?", (-1, None)),
        ("والشهر الذي قبله؟", (-1, "month")),
        ("والشهر اللي قبله", (-1, "month")),
        ("والأسبوع الذي قبله؟", (-1, "week")),
        ("والسنة التي قبلها؟", (-1, "year")),
        ("وقبل ذلك؟", (-1, None)),
    ],
)
def test_follow_ups_are_recognised(text: str, shift: tuple[int, str | None]) -> None:
    assert follow_up_shift(text) == shift


@pytest.mark.parametrize(
    "text",
    ["how much did I spend last month?", "yes", "what's my balance?", "ile mam na koncie?", "كم رصيدي؟",
     "I paid the rent before the landlord asked and then I wanted to check my balance"],
)
def test_other_messages_are_not_follow_ups(text: str) -> None:
    assert follow_up_shift(text) is None


@pytest.mark.parametrize(
    ("start", "end", "step", "unit", "expected"),
    [
        # "this month so far" (1–14 May) → the whole of April
        (date(2025, 5, 1), date(2025, 5, 14), -1, None, (date(2025, 4, 1), date(2025, 4, 30))),
        # "last month" (April) → March; across a year boundary; named unit wins
        (date(2025, 4, 1), date(2025, 4, 30), -1, None, (date(2025, 3, 1), date(2025, 3, 31))),
        (date(2025, 1, 1), date(2025, 1, 31), -1, "month", (date(2024, 12, 1), date(2024, 12, 31))),
        (date(2025, 1, 1), date(2025, 5, 14), -1, "month", (date(2024, 12, 1), date(2024, 12, 31))),
        # "this year" → last year; "last week" (Mon–Sun) → the week before
        (date(2025, 1, 1), date(2025, 5, 14), -1, None, (date(2024, 1, 1), date(2024, 12, 31))),
        (date(2025, 5, 5), date(2025, 5, 11), -1, None, (date(2025, 4, 28), date(2025, 5, 4))),
        # "the last 10 days" → the 10 days before them
        (date(2025, 5, 5), date(2025, 5, 14), -1, None, (date(2025, 4, 25), date(2025, 5, 4))),
        (date(2025, 2, 1), date(2025, 2, 28), 1, None, (date(2025, 3, 1), date(2025, 3, 31))),
    ],
)
def test_the_period_moves_relative_to_the_one_last_asked(start: date, end: date, step: int, unit: str | None,
                                                          expected: tuple[date, date]) -> None:
    assert shifted(start, end, step, unit) == expected


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), st.sampled_from(["month", "week", "year"]))
def test_before_then_after_returns_to_the_whole_unit(day: date, unit: str) -> None:
    before = shifted(day, day, -1, unit)
    assert before[0] <= before[1] < day
    back = shifted(*before, 1, unit)
    assert back[0] <= day <= back[1]


def test_memory_round_trips_and_drops_what_it_does_not_know() -> None:
    memory = Memory("confirm_erase", Question("spending_summary", date(2025, 4, 1), date(2025, 4, 30), "food",
                                              "Tesco"))
    assert Memory.from_json(memory.to_json()) == memory
    assert Memory.from_json({"pending": "transfer_everything", "question": {"intent": "x"}}) == Memory()
    assert Memory().to_json() == {}


@pytest.mark.parametrize(
    ("text", "hello"),
    [("السلام عليكم", "hello_salam"), ("السلام عليكم ورحمة الله", "hello_salam"), ("salam", "hello_salam"),
     ("Assalamu alaikum", "hello_salam"), ("صباح الخير", "hello_morning"), ("good morning", "hello_morning"),
     ("مساء الخير", "hello_evening"), ("Dobry wieczór", "hello_evening"), ("hi", None), ("cześć", None),
     ("dzień dobry", None), ("مرحبا", None)],
)
def test_greetings_answered_in_kind(text: str, hello: str | None) -> None:
    assert greeting_in_kind(text) == hello
