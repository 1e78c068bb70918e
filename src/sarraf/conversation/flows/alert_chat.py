"""The alert and card flows as the engine sees them, always present: `AlertsInChat` where a gateway runs alerts
(`bootstrap.build` passes it to the Conversation), `NoAlerts` where it does not. The engine asks either the
same questions and never checks which one it holds.

Without alerts nothing is intercepted: a preference change ("turn off shopping alerts") is not recognised
before the intent classifier, the card and alert intents are answered as "not in chat yet" with the offer of a
person (intents.NOT_IN_CHAT_YET), no fraud question is ever open, delivery receipts are ignored, and help
promises only the basic flows.
"""

from __future__ import annotations

from typing import Protocol

from sarraf.conversation.context import YES_NO_QUESTIONS
from sarraf.conversation.flows.alerts import INTENTS, AlertFlows, PreferenceChange, Who, preference_change
from sarraf.conversation.saying import say
from sarraf.conversation.turn import Turn
from sarraf.domain.messages import Outbound, Receipt

FLOW_POSTBACKS = ("alert:", "card:")  # answers to the alert and card flows' own buttons


class LinkCheck(Protocol):
    """What alert and card changes need of the customer's bank link (flows.linking.LinkingFlow)."""

    async def link_problem(self, turn: Turn) -> Outbound | None: ...

    async def account_currency(self, turn: Turn) -> str | None: ...


class AlertChat(Protocol):
    @property
    def help_key(self) -> str:
        """The help text: it promises the card and alert flows only where they run."""
        ...

    def owns_postback(self, payload: str) -> bool: ...

    async def postback(self, turn: Turn, payload: str) -> list[Outbound]: ...

    async def receipt(self, channel: str, sender: str, receipt: Receipt) -> None: ...

    def preference_change(self, text: str) -> PreferenceChange | None:
        """The change to alerts this message asks for, recognised before the intent classifier; None if none."""
        ...

    async def change_preferences(self, turn: Turn, change: PreferenceChange, link: LinkCheck) -> list[Outbound]: ...

    def answers(self, intent: str) -> bool: ...

    async def intent(self, turn: Turn, intent: str, link: LinkCheck) -> list[Outbound]: ...

    async def fraud_question_open(self, turn: Turn) -> bool: ...

    async def yes_or_no(self, turn: Turn, genuine: bool) -> list[Outbound] | None:
        """A typed yes / no for a fraud question or a card block waiting for it; None when neither waits."""
        ...

    async def beside_our_question(self, turn: Turn, genuine: bool) -> list[Outbound]:
        """A typed yes / no while a fraud question and a question of ours are both open."""
        ...


class NoAlerts:
    """A gateway without alerts: see the module's docstring for what each answer is."""

    help_key = "help_basic"

    def owns_postback(self, payload: str) -> bool:
        return False

    async def postback(self, turn: Turn, payload: str) -> list[Outbound]:
        return [say(turn, "rephrase", quick=True)]  # never reached: no payload is owned

    async def receipt(self, channel: str, sender: str, receipt: Receipt) -> None:
        return None  # no alert was sent, so there is nothing to note a receipt on

    def preference_change(self, text: str) -> PreferenceChange | None:
        return None

    async def change_preferences(self, turn: Turn, change: PreferenceChange, link: LinkCheck) -> list[Outbound]:
        return [say(turn, "not_available", human=True)]  # never reached: no change is recognised

    def answers(self, intent: str) -> bool:
        return False

    async def intent(self, turn: Turn, intent: str, link: LinkCheck) -> list[Outbound]:
        return [say(turn, "not_available", human=True)]  # never reached: no intent is answered

    async def fraud_question_open(self, turn: Turn) -> bool:
        return False

    async def yes_or_no(self, turn: Turn, genuine: bool) -> list[Outbound] | None:
        return None

    async def beside_our_question(self, turn: Turn, genuine: bool) -> list[Outbound]:
        return [say(turn, "which_question")]  # never reached: no fraud question is ever open


class AlertsInChat:
    """The alert and card flows (flows.alerts.AlertFlows) behind the engine's questions."""

    help_key = "help"

    def __init__(self, flows: AlertFlows) -> None:
        self.flows = flows

    def owns_postback(self, payload: str) -> bool:
        return payload.startswith(FLOW_POSTBACKS)

    async def postback(self, turn: Turn, payload: str) -> list[Outbound]:
        return await self.flows.postback(Who.of(turn), payload)

    async def receipt(self, channel: str, sender: str, receipt: Receipt) -> None:
        await self.flows.receipt(channel, sender, receipt)

    def preference_change(self, text: str) -> PreferenceChange | None:
        return preference_change(text)

    async def change_preferences(self, turn: Turn, change: PreferenceChange, link: LinkCheck) -> list[Outbound]:
        """Alerts are about the customer's bank accounts: switching them on needs a usable link (switching
        off never does). A named threshold is taken in the account's currency, read through the policy point."""
        if change.on and (problem := await link.link_problem(turn)) is not None:
            return [problem]
        currency = await link.account_currency(turn) if change.amount is not None and change.on else None
        return await self.flows.change_preferences(Who.of(turn), change, currency)

    def answers(self, intent: str) -> bool:
        return intent in INTENTS

    async def intent(self, turn: Turn, intent: str, link: LinkCheck) -> list[Outbound]:
        if intent == "manage_alerts":
            if (change := preference_change(turn.text)) is None:  # "alerts" said, but not what to do with them
                return [say(turn, "alerts_which_way")]
            return await self.change_preferences(turn, change, link)
        if (problem := await link.link_problem(turn)) is not None:
            return [problem]
        return await self.flows.intent(Who.of(turn), intent, turn.text)

    async def fraud_question_open(self, turn: Turn) -> bool:
        return await self.flows.fraud_question_open(Who.of(turn))

    async def yes_or_no(self, turn: Turn, genuine: bool) -> list[Outbound] | None:
        return await self.flows.yes_or_no(Who.of(turn), genuine=genuine)

    async def beside_our_question(self, turn: Turn, genuine: bool) -> list[Outbound]:
        """Next to a yes / no question of ours (erase, hand-over, a payment's "confirm?") it answers neither: a
        "yes" meant for one must never erase data, clear a fraudulent payment or send money. Next to a question
        a yes does not answer ("how much?") it is the fraud question's, answered by its owner; ours stays open."""
        turn.memory.pending = turn.asked
        if turn.asked in YES_NO_QUESTIONS:
            return [say(turn, "which_question")]
        return await self.flows.yes_or_no(Who.of(turn), genuine=genuine) or [say(turn, "which_question")]
