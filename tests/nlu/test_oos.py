"""Messages outside banking are flagged so the bot asks to rephrase or offers a human."""

from __future__ import annotations

import pytest

from sarraf.conversation.nlu import Nlu


@pytest.mark.parametrize(
    "text",
    [
        "tell me a joke",
        "what's the weather in Paris tomorrow",
        "jaka będzie pogoda w weekend",
        "kto wygrał wczoraj mecz",
        "احكيلي نكتة",
        "كيف الطقس بكرة",
    ],
)
def test_out_of_scope_messages_are_not_in_scope(nlu: Nlu, text: str) -> None:
    assert nlu.parse(text).in_scope is False


def test_threshold_was_calibrated(nlu: Nlu) -> None:
    assert 0.0 < nlu.threshold < 1.0
    assert all(0.0 < nlu.threshold_for(lang) < 1.0 for lang in ("ar", "pl", "en"))


def test_a_language_without_its_own_threshold_falls_back_to_the_overall_one(nlu: Nlu) -> None:
    assert nlu.threshold_for("de") == nlu.threshold


def test_empty_message_is_out_of_scope(nlu: Nlu) -> None:
    assert nlu.parse("").in_scope is False
