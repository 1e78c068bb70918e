"""A bank's card desk in memory, behind the card-action port, for the card flows' unit tests: it keeps
real card states (a block is final) and counts every action it was asked for."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

from sarraf.domain.disclosure import Decision, Minimisation, Outcome
from sarraf.domain.events import CardAction, PaymentCard
from sarraf.policy.actions import ActionOutcome
from sarraf.policy.point import Subject

ALLOW = Decision(Outcome.ALLOW, Minimisation.FULL, "test-allow")
STATUS_AFTER = {CardAction.FREEZE: "frozen", CardAction.UNFREEZE: "active", CardAction.REPORT_LOST: "blocked",
                CardAction.REPORT_STOLEN: "blocked"}


@dataclass
class CardDesk:
    held: dict[str, PaymentCard] = field(default_factory=lambda: {
        "c1": PaymentCard("c1", "1290", "active"), "c2": PaymentCard("c2", "7702", "active")})
    asked: Counter[CardAction] = field(default_factory=Counter)

    async def cards(self, subject: Subject) -> tuple[Decision, list[PaymentCard]]:
        return ALLOW, list(self.held.values())

    async def act(self, subject: Subject, action: CardAction, card_id: str | None = None) -> ActionOutcome:
        self.asked[action] += 1
        if card_id is None:
            wanted = "frozen" if action is CardAction.UNFREEZE else "active"
            card_id = next((c.card_id for c in self.held.values() if c.status == wanted), None)
        if card_id is None or self.held[card_id].status == "blocked":
            return ActionOutcome(ALLOW)
        self.held[card_id] = replace(self.held[card_id], status=STATUS_AFTER[action])
        return ActionOutcome(ALLOW, self.held[card_id])

    def status(self, card_id: str) -> str:
        return self.held[card_id].status
