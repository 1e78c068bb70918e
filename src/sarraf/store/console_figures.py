"""What supervisors read about the desk, and the customers' "how did we do?" answers, in SQL.

Figures come from what the desk already records: hand-off requests (when a customer started waiting), the
requests a person took (`console_handled`: by whom, when), the staff events (hand-backs), the satisfaction
answers and the customers' answers to "did that help?" after a service answer (`service_outcomes`). Nothing here
reads a transcript or any bank data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.store.address_sealing import Addresses
from sarraf.store.channel_state import utc
from sarraf.store.tables.console import console_handled, console_satisfaction, service_outcomes, staff_events
from sarraf.store.tables.core import handoff_requests


@dataclass(frozen=True, slots=True)
class DeskDay:
    """The desk since `since` (a supervisor's "today")."""

    requests: int  # hand-off requests made
    waits: list[float]  # seconds from request to an agent taking it, for the requests taken
    handled_by: dict[str, int]  # staff id -> conversations taken
    handed_back: int  # conversations a person finished and gave back to the bot
    scores: list[int]  # satisfaction answers, 1..5
    resolved_by_bot: int = 0  # service answers the customer said helped
    not_helped: int = 0  # service answers the customer said did not help (each queued for a person)


class SqlDeskFigures:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def day(self, tenant: str, since: datetime) -> DeskDay:
        async with self._engine.connect() as conn:
            requests = (await conn.execute(select(func.count()).select_from(handoff_requests).where(
                handoff_requests.c.tenant == tenant, handoff_requests.c.created_at >= since))).scalar_one()
            taken = (await conn.execute(
                select(handoff_requests.c.created_at, console_handled.c.claimed_at, console_handled.c.staff_id)
                .join(console_handled, console_handled.c.handoff_id == handoff_requests.c.id)
                .where(handoff_requests.c.tenant == tenant, console_handled.c.claimed_at >= since))).all()
            handed_back = (await conn.execute(select(func.count()).select_from(staff_events).where(
                staff_events.c.tenant == tenant, staff_events.c.action == "hand_back",
                staff_events.c.created_at >= since))).scalar_one()
            scores = (await conn.execute(select(console_satisfaction.c.score).where(
                console_satisfaction.c.tenant == tenant, console_satisfaction.c.asked_at >= since,
                console_satisfaction.c.score.is_not(None)))).scalars().all()
            counted = (await conn.execute(
                select(service_outcomes.c.helped, func.count()).where(
                    service_outcomes.c.tenant == tenant, service_outcomes.c.at >= since)
                .group_by(service_outcomes.c.helped))).all()
        outcomes = {bool(helped): int(n) for helped, n in counted}
        waits = [max(0.0, (utc(r.claimed_at) - utc(r.created_at)).total_seconds()) for r in taken]
        handled: dict[str, int] = {}
        for r in taken:
            handled[r.staff_id] = handled.get(r.staff_id, 0) + 1
        return DeskDay(int(requests), waits, handled, int(handed_back), [int(s) for s in scores],
                       outcomes.get(True, 0), outcomes.get(False, 0))


class SqlServiceOutcomes:
    """Notes each "did that help?" answer (flows.service.Outcomes): the intent and when, nobody's identity."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def record(self, tenant: str, intent: str, helped: bool, at: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(insert(service_outcomes).values(tenant=tenant, intent=intent[:64], helped=helped,
                                                               at=at))


class SqlSatisfaction:
    """One question per handed-back conversation; only the latest unanswered one takes an answer, once. The
    conversation is named by the keyed hash of its address (store/address_sealing.py)."""

    def __init__(self, engine: AsyncEngine, addresses: Addresses) -> None:
        self._engine = engine
        self._addresses = addresses

    async def ask(self, tenant: str, channel: str, sender: str, staff_id: str, now: datetime) -> None:
        sender = await self._addresses.stored(channel, sender)
        async with self._engine.begin() as conn:
            await conn.execute(insert(console_satisfaction).values(
                tenant=tenant, channel=channel, sender=sender, staff_id=staff_id, asked_at=now))

    async def answer(self, tenant: str, channel: str, sender: str, score: int, now: datetime) -> bool:
        """Record `score` on the conversation's open question; False when none is open (a replayed tap)."""
        sender = await self._addresses.stored(channel, sender)
        async with self._engine.begin() as conn:
            latest = (await conn.execute(
                select(console_satisfaction.c.id, console_satisfaction.c.score).where(
                    console_satisfaction.c.tenant == tenant, console_satisfaction.c.channel == channel,
                    console_satisfaction.c.sender == sender)
                .order_by(console_satisfaction.c.id.desc()).limit(1))).first()
            if latest is None or latest.score is not None:
                return False
            done = await conn.execute(update(console_satisfaction).where(
                console_satisfaction.c.id == latest.id, console_satisfaction.c.score.is_(None),
            ).values(score=score, answered_at=now))
        return done.rowcount == 1
