"""A "No" whose freeze is still at the bank is not a failed freeze: the retry loop leaves it alone, so the
card is frozen once and the customer is told once."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from sarraf.alerts.fraud import Answer, FraudDesk
from sarraf.alerts.ports import FraudCase
from sarraf.domain.disclosure import Decision, Minimisation, Outcome
from sarraf.policy.actions import ActionOutcome

ALLOW = Decision(Outcome.ALLOW, Minimisation.FULL, "test")


class Cases:
    def __init__(self, case: FraudCase) -> None:
        self.case = case

    async def get(self, tenant: str, event_id: str) -> FraudCase:
        return self.case

    async def answer(self, tenant: str, event_id: str, status: str, at: datetime) -> bool:
        self.case = dataclasses.replace(self.case, status=status)
        return True

    async def set_freeze(self, tenant: str, event_id: str, freeze: str, bank_case_id: str | None) -> None:
        self.case = dataclasses.replace(self.case, freeze=freeze, bank_case_id=bank_case_id)

    async def pending_freezes(self, limit: int) -> list[FraudCase]:
        return [self.case] if self.case.freeze == "pending" else []


class SlowBank:
    def __init__(self) -> None:
        self.freezes = 0
        self.answered = asyncio.Event()

    async def act(self, *args: Any, **kwargs: Any) -> ActionOutcome:
        self.freezes += 1
        await self.answered.wait()
        return ActionOutcome(ALLOW)

    async def open_case(self, *args: Any, **kwargs: Any) -> ActionOutcome:
        return ActionOutcome(ALLOW, case_id="case-1")


class Outbox:
    def __init__(self) -> None:
        self.queued: list[str] = []

    async def enqueue(self, tenant: str, event_id: str, kind: str, routed: Any, data: Any) -> bool:
        self.queued.append(event_id)
        return True


async def test_the_retry_loop_skips_a_freeze_still_in_flight() -> None:
    case = FraudCase("bank", "evt-1", "cust-1", "card-1", {"card_last4": "4321"}, "asked", "none", None,
                     "webchat", "session", "en", 0, datetime.now(UTC) + timedelta(minutes=10))
    cases, bank, outbox = Cases(case), SlowBank(), Outbox()
    desk = FraudDesk(cases, bank, outbox, None, bank_names={"bank": "Bank"})  # type: ignore[arg-type]
    answering = asyncio.create_task(desk.answer(Answer("bank", "cust-1", "webchat", "session", "en", "evt-1", False)))
    while bank.freezes == 0:
        await asyncio.sleep(0)
    assert cases.case.freeze == "pending"
    # Without the guard the retry would freeze again (and wait on the same slow bank): fail, do not hang.
    assert await asyncio.wait_for(desk.retry_freezes(), 1.0) == 0, "the answer's own freeze is not retried"
    bank.answered.set()
    (reply,) = await answering
    assert "frozen" in reply.text
    assert (bank.freezes, outbox.queued, cases.case.freeze) == (1, [], "done")
