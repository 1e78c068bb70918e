"""The in-scope confidence is that of what the bot will do: all BANKING77 labels together when one of them
is on top (each leads to the same hand-off), a bot intent's own probability otherwise."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sarraf.conversation.nlu.scope import scope_confidence, service_mask

CLASSES = ["check_balance", "out_of_scope", "card_payment_fee_charged", "extra_charge_on_statement",
           "transfer_fee_charged"]
SERVICE = service_mask(CLASSES)


def test_the_bot_intents_and_out_of_scope_are_not_service_questions() -> None:
    assert SERVICE.tolist() == [False, False, True, True, True]


def test_a_fee_question_split_between_fee_labels_counts_as_one() -> None:
    probs = np.array([0.05, 0.1, 0.4, 0.3, 0.15])
    assert scope_confidence(probs, SERVICE) == pytest.approx(0.85)
    assert scope_confidence(np.array([0.6, 0.1, 0.2, 0.05, 0.05]), SERVICE) == pytest.approx(0.6)


@given(arrays(np.float64, (7, len(CLASSES)), elements=st.floats(0.001, 1.0)))
def test_scope_confidence_is_at_least_the_top_probability_and_at_most_one(raw: np.ndarray) -> None:
    probs = raw / raw.sum(axis=1, keepdims=True)
    conf = scope_confidence(probs, SERVICE)
    assert np.all(conf >= probs.max(axis=1) - 1e-12) and np.all(conf <= 1 + 1e-12)
    bot_on_top = ~SERVICE[probs.argmax(axis=1)]
    assert np.allclose(conf[bot_on_top], probs.max(axis=1)[bot_on_top])
