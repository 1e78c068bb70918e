"""A fraud alert derived from the account's transactions knows the card only by its last digits: the freeze
(and the bank case) is for that card and no other; with no digits at all the first card the action can change
is taken, as before."""

from __future__ import annotations

from sarraf.domain.consent import Tokens
from sarraf.domain.events import CardAction, PaymentCard
from sarraf.policy.actions import CardActionPoint
from tests.policy.test_point_unsealing import FULL, SUBJECT, Audit, FixedDecider, Links


class TwoCards:
    def __init__(self) -> None:
        self.acted: list[tuple[str, CardAction]] = []
        self.cases: list[str] = []

    async def cards(self, tokens: Tokens) -> list[PaymentCard]:
        return [PaymentCard("card-debit", "4821", "active"), PaymentCard("card-credit", "7702", "active"),
                PaymentCard("card-lost", "1111", "blocked")]

    async def card_action(self, tokens: Tokens, card_id: str, action: CardAction) -> PaymentCard:
        self.acted.append((card_id, action))
        return PaymentCard(card_id, "", "frozen")

    async def open_case(self, tokens: Tokens, card_id: str, reason: str, reference: str) -> str:
        self.cases.append(card_id)
        return "case-1"


def _point(bank: TwoCards) -> CardActionPoint:
    return CardActionPoint(FixedDecider(FULL), Audit(), Links(), {"bank": bank})  # type: ignore[dict-item]


async def test_the_card_named_by_its_digits_is_frozen_and_its_case_opened() -> None:
    bank = TwoCards()
    await _point(bank).act(SUBJECT, CardAction.FREEZE, None, last4="7702")
    await _point(bank).open_case(SUBJECT, "", "fraud", "evt-1", last4="7702")
    assert bank.acted == [("card-credit", CardAction.FREEZE)]
    assert bank.cases == ["card-credit"]


async def test_digits_of_no_usable_card_freeze_nothing() -> None:
    bank = TwoCards()
    outcome = await _point(bank).act(SUBJECT, CardAction.FREEZE, None, last4="1111")  # blocked already
    assert outcome.allowed and bank.acted == []
    await _point(bank).act(SUBJECT, CardAction.FREEZE, None, last4="9999")
    assert bank.acted == []


async def test_without_digits_the_first_active_card_as_before() -> None:
    bank = TwoCards()
    await _point(bank).act(SUBJECT, CardAction.FREEZE)
    assert bank.acted == [("card-debit", CardAction.FREEZE)]
