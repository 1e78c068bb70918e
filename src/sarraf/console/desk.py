"""The agents' desk: the queue of people waiting, claiming a conversation, replying, handing it back.

While an agent owns a conversation the bot stays silent in it (the conversation engine asks `agent_owns` before
answering). What an agent sees of the customer's bank data is a disclosure to the recipient `agent_console`,
decided and audited by the policy point like any other."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sarraf.console.ports import Claim, Colleague, ConversationRef, DeskStore, Line, SatisfactionQuestions, Waiting
from sarraf.console.satisfaction import SATISFACTION_PREFIX, SCORES
from sarraf.domain.messages import Button, Outbound
from sarraf.i18n.replies import catalog
from sarraf.policy.point import AccountBalances, BankDataPoint, Disclosure, Subject

AGENT_CONSOLE = "agent_console"
# Who waits first: an unanswered fraud alert, then someone who asked for a person, then the rest.
PRIORITY = {"fraud_alert": 0, "fraud": 0, "asked": 1}
MAX_REPLY = 2000
# Replies an agent sends with one click, each in the customer's language (console.<lang>.yaml)
CANNED = ("canned_greeting", "canned_more_details", "canned_checking", "canned_anything_else", "canned_goodbye")
TAKES_CONVERSATIONS = ("agent", "supervisor")


class Refused(Exception):
    """The action is not this agent's to take; the message says why (shown as it is)."""

    def __init__(self, key: str, status: int = 409) -> None:
        super().__init__(key)
        self.key = key
        self.status = status


class Deliver(Protocol):
    """Tell the customer of `ref` something outside a turn (the gateway's one outbound path)."""

    def __call__(self, ref: ConversationRef, messages: list[Outbound]) -> Awaitable[None]: ...


@dataclass(frozen=True, slots=True)
class QueueItem:
    waiting: Waiting
    seconds: int
    priority: int


class AgentDesk:
    def __init__(self, store: DeskStore, deliver: Deliver, point: BankDataPoint, bank_names: Mapping[str, str],
                 lang_of: Callable[[str], Awaitable[str | None]], default_langs: Mapping[str, str],
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 satisfaction: SatisfactionQuestions | None = None, changed: Callable[[], None] = lambda: None
                 ) -> None:
        self.store = store
        self._satisfaction = satisfaction
        self._deliver = deliver
        self._point = point
        self._bank_names = bank_names
        self._lang_of = lang_of
        self._default_langs = default_langs
        self._clock = clock
        self.changed = changed  # wakes the live queue streams (console/changes.py)

    # -- the conversation engine's hooks -------------------------------------------------------------------
    async def agent_owns(self, tenant: str, customer_id: str, channel: str, sender: str, text: str) -> bool:
        """True when an agent owns this conversation: the message goes to the agent, the bot says nothing."""
        claim = await self.store.owner(tenant, channel, sender)
        if claim is None:
            return False
        if text:
            await self.store.write(claim.ref, "customer", [{"text": text}], self._clock())
            self.changed()
        return True

    async def after_turn(self, tenant: str, customer_id: str, channel: str, sender: str, text: str,
                         replies: list[Outbound]) -> None:
        """Keep the transcript of a conversation waiting for a person (what the agent will read on claiming)."""
        if not await self.store.is_open(tenant, channel, sender):
            return
        ref = ConversationRef(tenant, channel, sender, customer_id, 0)
        now = self._clock()
        if text:
            await self.store.write(ref, "customer", [{"text": text}], now)
        await self.store.write(ref, "bot", [{"text": r.text} for r in replies if r.text], now)
        self.changed()

    # -- the agent's actions -------------------------------------------------------------------------------
    async def queue(self, tenant: str) -> list[QueueItem]:
        now = self._clock()
        items = [QueueItem(w, max(0, int((now - w.since).total_seconds())),
                           min(PRIORITY.get(r, 2) for r in w.reasons)) for w in await self.store.waiting(tenant)]
        return sorted(items, key=lambda i: (i.priority, i.waiting.since))

    async def mine(self, tenant: str, staff_id: str) -> list[Claim]:
        return await self.store.claims_of(tenant, staff_id)

    async def find(self, tenant: str, handoff_id: int) -> ConversationRef:
        ref = await self.store.conversation(tenant, handoff_id)
        if ref is None:  # unknown, or another bank's: the same answer
            raise Refused("console_no_conversation", 404)
        return ref

    async def owner_of(self, ref: ConversationRef) -> str | None:
        claim = await self.store.owner(ref.tenant, ref.channel, ref.sender)
        return claim.staff_id if claim else None

    async def claim(self, tenant: str, staff_id: str, handoff_id: int) -> ConversationRef:
        ref = await self.find(tenant, handoff_id)
        owner = await self.store.claim(ref, staff_id, self._clock())
        if owner is not None and owner != staff_id:
            raise Refused("console_claimed_by_other")
        if owner is None:
            await self._say(ref, "console_agent_joined")
        self.changed()
        return ref

    async def reply(self, tenant: str, staff_id: str, handoff_id: int, text: str) -> ConversationRef:
        ref = await self.find(tenant, handoff_id)
        text = text.strip()
        if not text or len(text) > MAX_REPLY:
            raise Refused("console_reply_invalid", 422)
        if await self.owner_of(ref) != staff_id:
            raise Refused("console_not_yours", 403)
        lang = await self._lang(ref)
        await self._deliver(ref, [Outbound(text, lang)])
        await self.store.write(ref, "agent", [{"text": text}], self._clock())
        self.changed()
        return ref

    async def reply_canned(self, tenant: str, staff_id: str, handoff_id: int, key: str) -> ConversationRef:
        """One of the desk's ready replies, worded in the customer's language whatever the agent's."""
        if key not in CANNED:
            raise Refused("console_reply_invalid", 422)
        ref = await self.find(tenant, handoff_id)
        text = catalog().text(await self._lang(ref), key, bank=self._bank_names.get(tenant, tenant))
        return await self.reply(tenant, staff_id, handoff_id, text)

    async def transfer(self, tenant: str, staff_id: str, handoff_id: int, to: Colleague | None) -> ConversationRef:
        """Pass the conversation to a colleague at the same bank who takes conversations."""
        ref = await self.find(tenant, handoff_id)
        if to is None or to.role not in TAKES_CONVERSATIONS or to.id == staff_id:
            raise Refused("console_transfer_invalid", 422)
        if not await self.store.transfer(ref, staff_id, to.id):
            raise Refused("console_not_yours", 403)
        await self._say(ref, "console_agent_transferred")
        self.changed()
        return ref

    async def hand_back(self, tenant: str, staff_id: str, handoff_id: int) -> ConversationRef:
        ref = await self.find(tenant, handoff_id)
        if not await self.store.release(ref, staff_id):
            raise Refused("console_not_yours", 403)
        await self._say(ref, "console_back_to_bot")
        if self._satisfaction is not None:  # "how did we do?", answered with one tap (console/satisfaction.py)
            await self._satisfaction.ask(ref.tenant, ref.channel, ref.sender, staff_id, self._clock())
            await self._say(ref, "console_csat_question", buttons=tuple(
                (f"csat_{name}", SATISFACTION_PREFIX + name) for name in SCORES))
        self.changed()
        return ref

    async def transcript(self, ref: ConversationRef) -> list[Line]:
        return await self.store.transcript(ref)

    async def balances(self, ref: ConversationRef) -> Disclosure[list[AccountBalances]]:
        """The customer's balances as the agent may see them: decided, audited and minimised for `agent_console`."""
        return await self._point.balances(Subject(ref.tenant, ref.customer_id, recipient=AGENT_CONSOLE))

    async def _lang(self, ref: ConversationRef) -> str:
        return await self._lang_of(ref.customer_id) or self._default_langs.get(ref.tenant, "en")

    async def _say(self, ref: ConversationRef, key: str, buttons: tuple[tuple[str, str], ...] = ()) -> None:
        lang = await self._lang(ref)
        c = catalog()
        text = c.text(lang, key, bank=self._bank_names.get(ref.tenant, ref.tenant))
        replies = tuple(Button(c.text(lang, title), payload=payload) for title, payload in buttons)
        await self._deliver(ref, [Outbound(text, lang, quick_replies=replies)])
        await self.store.write(ref, "bot", [{"text": text}], self._clock())


def describe(line: Line) -> dict[str, Any]:
    return {"author": line.author, "text": str(line.message.get("text", "")), "at": line.at}
