"""The card-control extension API (the sandbox's, documented in sandbox_bank/README.md) and OB v4.0 event
polling: paths and response parsing. The HTTP calls themselves are OpenBankingConnector methods."""

from __future__ import annotations

from typing import Any

from sarraf.banks.ob_json import MalformedResponse
from sarraf.domain.errors import BankRefused
from sarraf.domain.events import CardAction, PaymentCard

EXTENSION_PATH = "/sarraf/v1"
EVENTS_PATH = "/open-banking/v4.0/events"
SUBSCRIPTIONS_PATH = "/open-banking/v4.0/event-subscriptions"
ACTION_PATHS = {CardAction.FREEZE: "freeze", CardAction.UNFREEZE: "unfreeze",
                CardAction.REPORT_LOST: "report-lost", CardAction.REPORT_STOLEN: "report-stolen"}


# A card-control call the bank answers 400/409/422 was understood and declined (the card cannot change so),
# which is not the bank being unavailable: 401/403/404 are our consent's problem, 5xx the bank's.
DECLINED = frozenset({400, 409, 422})


def refusal_reason(card_id: str, cards_now: list[PaymentCard] | None) -> str:
    """Why the bank declined an action on `card_id`, from the customer's cards as the bank lists them after
    the refusal (None when they could not be read): the extension API names no reasons of its own."""
    if cards_now is not None and any(c.card_id == card_id and c.status == "blocked" for c in cards_now):
        return BankRefused.CARD_BLOCKED
    return BankRefused.REFUSED


def _card(raw: Any) -> PaymentCard:
    if not isinstance(raw, dict) or not isinstance(raw.get("CardId"), str):
        raise MalformedResponse("a card without CardId")
    return PaymentCard(card_id=raw["CardId"], last4=str(raw.get("Last4", ""))[-4:], status=str(raw.get("Status", "")),
                       account_id=str(raw.get("AccountId", "")))


def cards(body: Any) -> list[PaymentCard]:
    return [_card(c) for c in body["Data"]["Card"]]


def card(body: Any) -> PaymentCard:
    return _card(body["Data"])


def case_id(body: Any) -> str:
    found = body["Data"]["CaseId"]
    if not isinstance(found, str):
        raise MalformedResponse("CaseId is not a string")
    return found


def polled(body: Any) -> tuple[dict[str, str], bool]:
    sets = body["sets"]
    if not isinstance(sets, dict) or not all(isinstance(v, str) for v in sets.values()):
        raise MalformedResponse("sets must map jti to a SET string")
    return dict(sets), bool(body.get("moreAvailable"))
