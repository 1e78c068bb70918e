"""Reading the customer's bank data for a turn: balances, transactions and spending, always through the
policy point, answered in full, masked or as a secure link as the channel's minimisation says."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from sarraf.conversation import answers
from sarraf.conversation.context import Question
from sarraf.conversation.nlu.types import Parse
from sarraf.conversation.ports import BankData, SecureLinks
from sarraf.domain.disclosure import Decision
from sarraf.domain.messages import Outbound

if TYPE_CHECKING:
    from sarraf.conversation.turn import Turn


def entity_value(parse: Parse | None, kind: str) -> object:
    found = parse.entity(kind) if parse else None
    return found.value if found else None


class BankReading:
    def __init__(
        self,
        point: BankData,
        links: SecureLinks,
        clock: Callable[[], datetime],
        refused: Callable[[Turn, Decision], Outbound],
    ) -> None:
        self._point = point
        self._links = links
        self._clock = clock
        self._refused = refused  # the engine words a refusal: consent or agreement

    async def balance(self, turn: Turn) -> list[Outbound]:
        disclosed = await self._point.balances(turn.subject)
        if not disclosed.decision.allowed:
            return [self._refused(turn, disclosed.decision)]
        if disclosed.link_only or disclosed.data is None:
            url = self._links.issue(turn.tenant, turn.customer_id, "balance", None, None)
            return [answers.link_only(turn.lang, turn.bank, "balance", url, self._links.ttl_minutes)]
        return [answers.balances(turn.lang, turn.bank, disclosed.data)]

    def question(self, intent: str, parse: Parse | None) -> Question:
        start, end = self.period(intent, parse)
        category, merchant = entity_value(parse, "category"), entity_value(parse, "merchant")
        return Question(intent, start, end, category if isinstance(category, str) else None,
                        merchant if isinstance(merchant, str) else None)

    async def transactions(self, turn: Turn, q: Question) -> list[Outbound]:
        turn.memory.question = q  # what a follow-up ("the month before?") continues
        since = datetime.combine(q.start, time.min, UTC)
        until = datetime.combine(q.end, time.max, UTC)
        view = "spending" if q.intent == "spending_summary" else "transactions"
        merchant = q.merchant if view == "spending" else None
        keep = answers.at_merchant(merchant) if merchant else None
        disclosed = await self._point.transactions(turn.subject, since, until, keep)
        if not disclosed.decision.allowed:
            return [self._refused(turn, disclosed.decision)]
        if disclosed.link_only or disclosed.data is None:
            narrowing = {"category": q.category, "merchant": merchant} if view == "spending" else {}
            url = self._links.issue(turn.tenant, turn.customer_id, view, q.start.isoformat(), q.end.isoformat(),
                                    **narrowing)
            return [answers.link_only(turn.lang, turn.bank, view, url, self._links.ttl_minutes)]
        if view == "spending":
            return [answers.spending(turn.lang, q.start, q.end, q.category, disclosed.data, merchant,
                                     narrowed=True)]
        return [answers.transactions(turn.lang, q.start, q.end, disclosed.data)]

    def period(self, intent: str, parse: Parse | None) -> tuple[date, date]:
        found = entity_value(parse, "period")
        if isinstance(found, dict) and isinstance(found.get("start"), date) and isinstance(found.get("end"), date):
            return found["start"], found["end"]
        today = self._clock().date()
        if intent == "spending_summary":  # "how much did I spend?" means this month so far
            return today.replace(day=1), today
        return today - timedelta(days=30), today
