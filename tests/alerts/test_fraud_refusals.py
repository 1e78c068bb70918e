"""How the fraud desk tells a refusing bank from an unavailable one, in the three languages: a card blocked
as lost still gets its case; any other refusal is final (no retry) and said so; only a bank that did not
answer is "could not reach", and only that one is retried."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sarraf.alerts.fraud import Answer, FraudDesk
from sarraf.alerts.ports import FraudCase
from sarraf.domain.errors import BankRefused, BankUnavailable
from sarraf.i18n.replies import catalog
from sarraf.policy.actions import ActionOutcome
from tests.alerts.test_fraud_race import ALLOW, Cases, Outbox


class Bank:
    """The card-action point's answers for one freeze: what `act` raises, and the case it then opens."""

    def __init__(self, failure: Exception | None) -> None:
        self.failure = failure
        self.cases_opened = 0

    async def act(self, *args: Any, **kwargs: Any) -> ActionOutcome:
        if self.failure is not None:
            raise self.failure
        return ActionOutcome(ALLOW)

    async def open_case(self, *args: Any, **kwargs: Any) -> ActionOutcome:
        self.cases_opened += 1
        return ActionOutcome(ALLOW, case_id="case-7")


def _case(lang: str) -> FraudCase:
    return FraudCase("bank", "evt-1", "cust-1", "card-1", {"card_last4": "4321"}, "asked", "none", None,
                     "webchat", "session", lang, 0, datetime.now(UTC) + timedelta(minutes=10))


@pytest.mark.parametrize("lang", ["en", "pl", "ar"])
@pytest.mark.parametrize(
    ("failure", "told", "freeze", "cases_opened"),
    [
        (BankRefused("declined", BankRefused.CARD_BLOCKED), "fraud_card_blocked", "done", 1),
        (BankRefused("declined"), "fraud_freeze_refused", "refused", 0),
        (BankUnavailable("down"), "fraud_freeze_failed", "pending", 0),
        (None, "fraud_frozen", "done", 1),
    ],
)
async def test_the_customer_hears_what_the_bank_did(lang: str, failure: Exception | None, told: str, freeze: str,
                                                     cases_opened: int) -> None:
    cases, bank = Cases(_case(lang)), Bank(failure)
    desk = FraudDesk(cases, bank, Outbox(), None, bank_names={"bank": "Bank"})  # type: ignore[arg-type]

    (reply,) = await desk.answer(Answer("bank", "cust-1", "webchat", "session", lang, "evt-1", genuine=False))

    assert reply.text == catalog().text(lang, told, bank="Bank", last4="4321", case="case-7")
    assert cases.case.freeze == freeze and bank.cases_opened == cases_opened
    retried = await cases.pending_freezes(datetime.now(UTC), 10)
    assert bool(retried) == (told == "fraud_freeze_failed")  # only an unreachable bank is tried again
