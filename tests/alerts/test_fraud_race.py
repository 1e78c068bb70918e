"""A "No" whose freeze is still at the bank is not a failed freeze: the retry loop leaves it alone, so the
card is frozen once and the customer is told once."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sarraf.alerts.fraud import FREEZE_LEASE_S, Answer, FraudDesk
from sarraf.alerts.ports import FraudCase
from sarraf.domain.disclosure import Decision, Minimisation, Outcome
from sarraf.domain.errors import BankUnavailable
from sarraf.i18n.replies import catalog
from sarraf.policy.actions import ActionOutcome
from sarraf.store.alerts_prefs import SqlFraudCases
from sarraf.store.database import make_engine
from tests.alerts.pipeline import create_schema
from tests.support.sealing import addresses_for_tests, sealer_for_tests

ALLOW = Decision(Outcome.ALLOW, Minimisation.FULL, "test")


class Cases:
    """One case in memory, with the freeze lease of the real store (SqlFraudCases, tested below)."""

    def __init__(self, case: FraudCase) -> None:
        self.case = case
        self.leased = False

    async def get(self, tenant: str, event_id: str) -> FraudCase:
        return self.case

    async def answer(self, tenant: str, event_id: str, status: str, at: datetime) -> bool:
        self.case = dataclasses.replace(self.case, status=status)
        return True

    async def begin_freeze(self, tenant: str, event_id: str, now: datetime, lease_s: float) -> bool:
        if self.case.freeze == "done" or self.leased:
            return False
        self.case, self.leased = dataclasses.replace(self.case, freeze="pending"), True
        return True

    async def set_freeze(self, tenant: str, event_id: str, freeze: str, bank_case_id: str | None) -> None:
        self.case = dataclasses.replace(self.case, freeze=freeze, bank_case_id=bank_case_id)
        self.leased = False

    async def pending_freezes(self, now: datetime, limit: int) -> list[FraudCase]:
        return [self.case] if self.case.freeze == "pending" and not self.leased else []


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


class FlakyBank:
    """A bank that is down until `up` is set; counts the freezes it was asked for."""

    def __init__(self) -> None:
        self.freezes = 0
        self.up = False
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def act(self, *args: Any, **kwargs: Any) -> ActionOutcome:
        self.freezes += 1
        self.started.set()
        await self.release.wait()
        if not self.up:
            raise BankUnavailable("bank down")
        return ActionOutcome(ALLOW)

    async def open_case(self, *args: Any, **kwargs: Any) -> ActionOutcome:
        return ActionOutcome(ALLOW, case_id="case-9")


async def test_two_replicas_never_freeze_the_same_card_at_once(tmp_path: Path) -> None:
    """Two FraudDesks on one database (two replicas): while one freezes, the other's retry loop leaves the case
    alone; once that attempt failed, the other retries it; a lease left by a process that died mid-attempt
    runs out and the case is retried then."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'fraud.db'}")
    await create_schema(engine)
    cases = SqlFraudCases(engine, sealer_for_tests(), addresses_for_tests())
    now = datetime.now(UTC)
    try:
        for event_id in ("evt-1", "evt-2"):
            await cases.open(FraudCase("bank", event_id, "cust-1", "card-1", {"card_last4": "4321"}, "asked", "none",
                                       None, "webchat", "session", "en", 0, now + timedelta(minutes=10)))
        bank_a, bank_b, outbox = FlakyBank(), FlakyBank(), Outbox()
        bank_b.up = True
        bank_b.release.set()
        desk_a = FraudDesk(cases, bank_a, outbox, None, bank_names={"bank": "Bank"})  # type: ignore[arg-type]
        desk_b = FraudDesk(cases, bank_b, outbox, None, bank_names={"bank": "Bank"})  # type: ignore[arg-type]

        answering = asyncio.create_task(desk_a.answer(Answer("bank", "cust-1", "webchat", "session", "en", "evt-1",
                                                             False)))
        await bank_a.started.wait()
        assert await desk_b.retry_freezes() == 0, "replica A's freeze is under way"
        assert bank_b.freezes == 0
        bank_a.release.set()  # ... and fails: the bank is down
        (reply,) = await answering
        assert reply.text == catalog().text("en", "fraud_freeze_failed", bank="Bank", last4="4321")
        assert await desk_b.retry_freezes() == 1, "the failed freeze is retried, by whichever replica"
        assert (bank_a.freezes, bank_b.freezes) == (1, 1)
        assert (await cases.get("bank", "evt-1")).freeze == "done"  # type: ignore[union-attr]
        assert outbox.queued == ["evt-1#frozen"]

        # A process took evt-2's freeze and died: nobody retries it until its lease runs out.
        assert await cases.answer("bank", "evt-2", "fraud", now)
        assert await cases.begin_freeze("bank", "evt-2", now, FREEZE_LEASE_S)
        assert await desk_b.retry_freezes() == 0
        later = FraudDesk(cases, bank_b, outbox, None, bank_names={"bank": "Bank"},  # type: ignore[arg-type]
                          clock=lambda: now + timedelta(seconds=FREEZE_LEASE_S + 1))
        assert await later.retry_freezes() == 1
        assert (await cases.get("bank", "evt-2")).freeze == "done"  # type: ignore[union-attr]
    finally:
        await engine.dispose()
