"""The card-control extension API (the sandbox's, documented in sandbox_bank/README.md) and OB v4.0 event
polling: paths and response parsing. The HTTP calls themselves are OpenBankingConnector methods."""

from __future__ import annotations

from typing import Any

from sarraf.banks.ob_json import MalformedResponse
from sarraf.domain.events import CardAction, PaymentCard

EXTENSION_PATH = "/sarraf/v1"
EVENTS_PATH = "/open-banking/v4.0/events"
SUBSCRIPTIONS_PATH = "/open-banking/v4.0/event-subscriptions"
ACTION_PATHS = {CardAction.FREEZE: "freeze", CardAction.UNFREEZE: "unfreeze",
                CardAction.REPORT_LOST: "report-lost", CardAction.REPORT_STOLEN: "report-stolen"}


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
