"""The step-up policy (policy/step_up.py): which actions wait for a bank login, how long a completed one counts,
what a bank's `step_up` block may say, and the audit record of a step-up's end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sarraf.domain.disclosure import Outcome
from sarraf.policy.step_up import (
    OFF,
    HeldStatus,
    Sensitive,
    StepUpConfigError,
    StepUpPolicy,
    step_up_record,
)
from sarraf.policy.vocabulary import CATEGORIES

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
actions = st.sampled_from(list(Sensitive))
action_sets = st.frozensets(actions)
seconds = st.integers(min_value=0, max_value=3600)


def test_no_step_up_block_is_the_behaviour_from_before() -> None:
    assert StepUpPolicy.from_config(None) == OFF
    assert StepUpPolicy.from_config({}) == OFF
    assert not any(OFF.needs(a, None, NOW) for a in Sensitive)


def test_a_bank_block_is_read_with_its_windows() -> None:
    policy = StepUpPolicy.from_config({"actions": ["card_unfreeze"], "fresh_for_seconds": 120, "hold_seconds": 60})
    assert policy.actions == {Sensitive.CARD_UNFREEZE}
    assert policy.fresh_for == timedelta(minutes=2) and policy.hold_for == timedelta(minutes=1)
    assert policy.needs(Sensitive.CARD_UNFREEZE, None, NOW)
    assert not policy.needs(Sensitive.ALERT_DESTINATION, None, NOW)  # not listed by this bank


def test_defaults_are_five_minutes_fresh_and_ten_held() -> None:
    policy = StepUpPolicy.from_config({"actions": ["alert_destination"]})
    assert policy.fresh_for == timedelta(minutes=5) and policy.hold_for == timedelta(minutes=10)


@pytest.mark.parametrize("raw, words", [
    ({"actions": ["card_freeze"]}, "not step-up actions"),  # freezing stays one tap: it cannot be configured
    ({"actions": ["unfreeze"]}, "not step-up actions"),
    ({"actions": ["card_unfreeze"], "fresh_for_seconds": -1}, "fresh_for_seconds"),
    ({"actions": ["card_unfreeze"], "fresh_for_seconds": 86400}, "fresh_for_seconds"),
    ({"actions": ["card_unfreeze"], "hold_seconds": 0}, "hold_seconds"),
    ({"actions": ["card_unfreeze"], "hold_seconds": "soon"}, "hold_seconds"),
])
def test_a_block_that_must_not_be_used_is_refused(raw: dict[str, object], words: str) -> None:
    with pytest.raises(StepUpConfigError, match=words):
        StepUpPolicy.from_config(raw)


@given(action_sets, actions, seconds, st.integers(min_value=0, max_value=7200))
def test_fresh_step_up_lets_an_action_through_exactly_within_the_window(
        listed: frozenset[Sensitive], action: Sensitive, fresh: int, age: int) -> None:
    policy = StepUpPolicy(listed, timedelta(seconds=fresh))
    needs = policy.needs(action, NOW - timedelta(seconds=age), NOW)
    assert needs == (action in listed and age >= fresh)


@given(action_sets, actions, seconds)
def test_never_stepped_up_means_every_listed_action_waits(listed: frozenset[Sensitive], action: Sensitive,
                                                           fresh: int) -> None:
    assert StepUpPolicy(listed, timedelta(seconds=fresh)).needs(action, None, NOW) == (action in listed)


@given(actions, seconds, st.integers(min_value=1, max_value=10**6))
def test_a_step_up_from_the_future_counts_as_now_never_for_ever(action: Sensitive, fresh: int, ahead: int) -> None:
    policy = StepUpPolicy(frozenset({action}), timedelta(seconds=fresh))
    assert policy.needs(action, NOW + timedelta(seconds=ahead), NOW) == (fresh == 0)


@given(st.lists(st.sampled_from([s.value for s in Sensitive]), unique=True), seconds,
       st.integers(min_value=1, max_value=3600))
def test_any_valid_block_round_trips(names: list[str], fresh: int, hold: int) -> None:
    policy = StepUpPolicy.from_config({"actions": names, "fresh_for_seconds": fresh, "hold_seconds": hold})
    assert {a.value for a in policy.actions} == set(names)
    assert policy.fresh_for.total_seconds() == fresh and policy.hold_for.total_seconds() == hold


@pytest.mark.parametrize("ending, outcome", [(HeldStatus.DONE, Outcome.ALLOW), (HeldStatus.EXPIRED, Outcome.DENY),
                                             (HeldStatus.FAILED, Outcome.DENY)])
def test_the_audit_record_names_the_action_and_the_ending(ending: HeldStatus, outcome: Outcome) -> None:
    request, decision = step_up_record("sandbox", "c1", "webchat", Sensitive.CARD_UNFREEZE, ending, "why")
    assert decision.outcome is outcome
    assert decision.policy_id == f"step-up:card_unfreeze:{ending.value}"
    assert request.recipient == "webchat" and request.customer_id == "c1"


@pytest.mark.parametrize("action", list(Sensitive))
def test_every_action_is_audited_under_a_known_category(action: Sensitive) -> None:
    request, _ = step_up_record("sandbox", "c1", "webchat", action, HeldStatus.DONE, "")
    assert all(c in CATEGORIES for c in request.categories)
