"""Card flows in chat: freeze, unfreeze, and a lost or stolen card.

Freezing is reversible and happens at once. Blocking a card as lost or stolen is final (the bank issues a
new card), so it is never done on the first message: we offer the reversible freeze first and block only
after an explicit yes — the button, or "yes" / "tak" / "نعم" typed (Alexa has no buttons). The offer is
kept in a store (one per customer, a few minutes), so a typed yes on any replica finds it. Every action
goes through the card-action policy point, never the bank connector.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sarraf.conversation.nlu.keywords import alternatives
from sarraf.conversation.ports import Speaker
from sarraf.conversation.step_up import Requester, StepUpGate
from sarraf.domain.errors import BankUnavailable
from sarraf.domain.events import CardAction, PaymentCard, PendingBlock
from sarraf.domain.messages import Button, Outbound
from sarraf.i18n.replies import catalog
from sarraf.policy.actions import ActionOutcome, subject_for
from sarraf.policy.point import Subject
from sarraf.policy.step_up import Sensitive

CARD_PREFIX = "card:"
BLOCK, FREEZE, KEEP = "card:block", "card:freeze", "card:keep"
OFFER_VALID = timedelta(minutes=10)
CARD_INTENTS = {"freeze_card": CardAction.FREEZE, "unfreeze_card": CardAction.UNFREEZE,
                "lost_or_stolen_card": CardAction.REPORT_LOST, "card_lost": CardAction.REPORT_LOST,
                "card_stolen": CardAction.REPORT_STOLEN}
_LOST = re.compile(alternatives("cards.lost"), re.IGNORECASE)
_STOLEN = re.compile(alternatives("cards.stolen"), re.IGNORECASE)
_DONE = {CardAction.FREEZE: "card_frozen", CardAction.UNFREEZE: "card_unfrozen",
         CardAction.REPORT_LOST: "card_blocked_lost", CardAction.REPORT_STOLEN: "card_blocked_stolen"}


class CardActions(Protocol):
    async def act(self, subject: Subject, action: CardAction, card_id: str | None = None) -> ActionOutcome: ...

    async def cards(self, subject: Subject): ...  # type: ignore[no-untyped-def]  # (Decision, [PaymentCard])


class Confirmations(Protocol):
    async def offer(self, tenant: str, customer_id: str, pending: PendingBlock, now: datetime) -> None: ...

    async def take(self, tenant: str, customer_id: str, now: datetime) -> PendingBlock | None: ...


Asker = Speaker  # who is asking, where, in which language (a Turn, or a Party kept for later)


class CardFlows:
    def __init__(self, actions: CardActions, confirmations: Confirmations,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), *,
                 step_up: StepUpGate | None = None) -> None:
        self._actions = actions
        self._confirmations = confirmations
        self._clock = clock
        self._step_up = step_up
        if step_up is not None:  # a stepped-up unfreeze comes back here, from the bank login's callback
            step_up.runs(Sensitive.CARD_UNFREEZE, self._unfreeze_held)

    def _say(self, who: Asker, key: str, buttons: tuple[Button, ...] = (), **values: object) -> Outbound:
        return Outbound(catalog().text(who.lang, key, bank=who.bank, **values), who.lang, quick_replies=buttons)

    @staticmethod
    def _subject(who: Asker) -> Subject:
        return subject_for(who.tenant, who.customer_id, who.channel, fraud=False)

    async def intent(self, who: Asker, intent: str, text: str) -> list[Outbound]:
        action = CARD_INTENTS[intent]
        if action is CardAction.FREEZE and (_LOST.search(text) or _STOLEN.search(text)):
            # "I lost my card, block it": the customer needs the lost-card choice (freeze now, or block for
            # good and get a new card), not only the freeze the words "block it" ask for
            action = CardAction.REPORT_LOST
        if action is CardAction.REPORT_LOST and _STOLEN.search(text):
            action = CardAction.REPORT_STOLEN
        if action in (CardAction.REPORT_LOST, CardAction.REPORT_STOLEN):
            return await self._offer(who, action)
        if action is CardAction.UNFREEZE and self._step_up is not None:
            # unfreezing loosens protection: the bank may want a fresh login first (freezing never waits)
            held = await self._step_up.guard(_requester(who), Sensitive.CARD_UNFREEZE, None)
            if held is not None:
                return [held]
        return await self._act(who, action, None)

    async def _unfreeze_held(self, who: Requester, card_id: str | None) -> list[Outbound]:
        return await self._act(who, CardAction.UNFREEZE, card_id)

    async def _offer(self, who: Asker, action: CardAction) -> list[Outbound]:
        try:
            decision, cards = await self._actions.cards(self._subject(who))
        except BankUnavailable:
            return [self._say(who, "card_bank_down")]
        if not decision.allowed:
            return [self._say(who, "denied")]
        card = _blockable(cards)
        if card is None:
            return [self._say(who, "card_none")]
        pending = PendingBlock(action, card.card_id, card.last4, self._clock() + OFFER_VALID)
        await self._confirmations.offer(who.tenant, who.customer_id, pending, self._clock())
        c = catalog()
        stolen = action is CardAction.REPORT_STOLEN
        buttons = (
            Button(c.text(who.lang, "qr_card_freeze"), payload=FREEZE),
            Button(c.text(who.lang, "qr_card_block_stolen" if stolen else "qr_card_block_lost"), payload=BLOCK),
            Button(c.text(who.lang, "qr_card_keep"), payload=KEEP),
        )
        key = "card_stolen_offer" if stolen else "card_lost_offer"
        frozen = card.status == "frozen"
        return [self._say(who, key + ("_frozen" if frozen else ""), buttons if not frozen else buttons[1:],
                          last4=card.last4)]

    async def answer(self, who: Asker, payload: str) -> list[Outbound]:
        """A button on the offer: block (the explicit confirmation), freeze instead, or leave the card be."""
        pending = await self._confirmations.take(who.tenant, who.customer_id, self._clock())
        if pending is None:
            return [self._say(who, "card_offer_gone")]
        if payload == BLOCK:
            return await self._act(who, pending.action, pending.card_id)
        if payload == FREEZE:
            return await self._act(who, CardAction.FREEZE, pending.card_id)
        return [self._say(who, "card_block_cancelled", last4=pending.last4)]

    async def yes_or_no(self, who: Asker, yes: bool) -> list[Outbound] | None:
        """A typed yes confirms a pending block, a no withdraws it; None when no block is waiting."""
        pending = await self._confirmations.take(who.tenant, who.customer_id, self._clock())
        if pending is None:
            return None
        if yes:
            return await self._act(who, pending.action, pending.card_id)
        return [self._say(who, "card_block_cancelled", last4=pending.last4)]

    async def _act(self, who: Asker, action: CardAction, card_id: str | None) -> list[Outbound]:
        try:
            outcome = await self._actions.act(self._subject(who), action, card_id)
        except BankUnavailable:
            return [self._say(who, "card_bank_down")]
        if not outcome.decision.allowed:
            return [self._say(who, "denied")]
        if outcome.card is None:
            return [self._say(who, "card_none")]
        return [self._say(who, _DONE[action], last4=outcome.card.last4)]


def _requester(who: Asker) -> Requester:
    return Requester(who.tenant, who.customer_id, who.channel, who.sender, who.lang, who.bank)


def _blockable(cards: list[PaymentCard]) -> PaymentCard | None:
    """The card a lost/stolen report is about: the first active one, else a frozen one; never a blocked one."""
    return next((c for c in cards if c.status == "active"), None) or next(
        (c for c in cards if c.status != "blocked"), None)
