"""Step-up authentication: which sensitive actions a bank wants re-confirmed at its own login, and for how long
a completed re-confirmation counts (issue #18).

The consent scope alone says the customer MAY act on their cards from this chat; for the actions that loosen
protection or move where the bank's messages go, a bank can ask for a fresh login as well. Freezing a card is
deliberately not among them: the safe direction stays one tap. Configured per bank in banks.yaml:

    step_up: {actions: [card_unfreeze, alert_destination], fresh_for_seconds: 300, hold_seconds: 600}

No `step_up` block (or an empty `actions` list) keeps the behaviour from before: the consent scope decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sarraf.domain.disclosure import Decision, DisclosureRequest, Minimisation, Outcome

STEP_UP_POLICY_ID = "step-up"  # the audit log's name for decisions taken here (not a Cedar policy)
SUPPORT = "essential.service.operations.support"
MAX_FRESH = timedelta(hours=1)  # a "step-up" that counts longer than this is no step-up at all
MAX_HOLD = timedelta(hours=1)


class Sensitive(StrEnum):
    """The actions a bank may put behind a step-up. A freeze is not one, and cannot be configured as one."""

    CARD_UNFREEZE = "card_unfreeze"
    ALERT_DESTINATION = "alert_destination"  # alerts start going to another chat
    LINK_CHANNEL = "link_channel"  # a second channel joins an existing customer
    SECURE_PAGE_NEW_DEVICE = "secure_page_new_device"


# What each action touches, for the audit record of the step-up decision.
CATEGORIES = {
    Sensitive.CARD_UNFREEZE: "user.financial.credit_card.controls",
    Sensitive.ALERT_DESTINATION: "user",  # where the customer is reached: no finer vocabulary key for it
    Sensitive.LINK_CHANNEL: "user",
    Sensitive.SECURE_PAGE_NEW_DEVICE: "user.financial",
}


class StepUpConfigError(ValueError):
    """A `step_up` block that must not be used (unknown action, a window that is negative or too long)."""


@dataclass(frozen=True, slots=True)
class StepUpPolicy:
    actions: frozenset[Sensitive] = frozenset()
    fresh_for: timedelta = timedelta(minutes=5)  # a completed step-up covers later actions this long
    hold_for: timedelta = timedelta(minutes=10)  # how long a held action waits for its step-up

    def needs(self, action: Sensitive, last_step_up: datetime | None, now: datetime) -> bool:
        """Whether `action` must wait for a step-up, given when the customer last completed one (or never)."""
        if action not in self.actions:
            return False
        if last_step_up is None:
            return True
        # a step-up "in the future" (clock skew between replicas) counts as now, never as forever
        age = now - min(last_step_up, now)
        return age >= self.fresh_for

    @classmethod
    def from_config(cls, raw: Mapping[str, Any] | None) -> StepUpPolicy:
        if not raw:
            return OFF
        unknown = [str(a) for a in raw.get("actions") or () if str(a) not in Sensitive.__members__.values()]
        if unknown:
            known = ", ".join(s.value for s in Sensitive)
            raise StepUpConfigError(f"step_up actions {unknown} are not step-up actions (known: {known})")
        fresh = _seconds(raw, "fresh_for_seconds", 300, MAX_FRESH)
        hold = _seconds(raw, "hold_seconds", 600, MAX_HOLD)
        if hold <= timedelta(0):
            raise StepUpConfigError("step_up hold_seconds must be more than 0")
        return cls(frozenset(Sensitive(str(a)) for a in raw.get("actions") or ()), fresh, hold)


OFF = StepUpPolicy()


def _seconds(raw: Mapping[str, Any], key: str, default: float, most: timedelta) -> timedelta:
    try:
        value = timedelta(seconds=float(raw.get(key, default)))
    except (TypeError, ValueError) as exc:
        raise StepUpConfigError(f"step_up {key} must be a number of seconds") from exc
    if value < timedelta(0) or value > most:
        raise StepUpConfigError(f"step_up {key} must be between 0 and {int(most.total_seconds())}")
    return value


def step_up_record(tenant: str, customer_id: str, channel: str, action: Sensitive,
                   ending: HeldStatus, reason: str) -> tuple[DisclosureRequest, Decision]:
    """The audit record of a step-up's end: allowed when the customer re-confirmed in time (DONE), denied
    otherwise. The audit leaf keeps the policy id, so it names the action and the ending:
    "step-up:card_unfreeze:done", "step-up:card_unfreeze:expired"."""
    request = DisclosureRequest(tenant, customer_id, SUPPORT, (CATEGORIES[action],), channel)
    policy_id = f"{STEP_UP_POLICY_ID}:{action.value}:{ending.value}"
    if ending is HeldStatus.DONE:
        return request, Decision(Outcome.ALLOW, Minimisation.FULL, policy_id, reason)
    return request, Decision(Outcome.DENY, None, policy_id, reason)


class HeldStatus(StrEnum):
    WAITING = "waiting"  # the customer is at the bank's login
    RUNNING = "running"  # the login came back: taken by exactly one callback, the action is running
    DONE = "done"  # stepped up and the action ran (or was tried): counts as a step-up for `fresh_for`
    FAILED = "failed"  # the login failed or was refused: nothing was done
    EXPIRED = "expired"  # the login came back after `hold_for`: nothing was done


@dataclass(frozen=True, slots=True)
class HeldAction:
    """A sensitive action held while the customer steps up; who asked, where to answer, in which language."""

    held_id: str
    tenant: str
    customer_id: str
    channel: str
    sender: str
    lang: str
    action: Sensitive
    argument: str | None
    login_state: str
    created_at: datetime
    expires_at: datetime
    status: HeldStatus = HeldStatus.WAITING

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at
