"""Customer service in chat: the 77 BANKING77 questions answered from the bank's knowledge base (sarraf.kb),
in the customer's language with the bank's figures filled in, the customer's own data first where it answers
the question (service_grounding.py), then "Did that help?".

"Yes" closes the question. "No" — the button, a typed no, "that didn't help", „nie pomogło”, «لم يساعد» —
queues the conversation for a person (reason `not_helped:<intent>`), so it lands in the console's queue with
the transcript from there on. A reply we cannot place is asked about once more; the second in a row offers a
person. A customer who has not linked an account gets the general answer and an offer to link where their own
data would answer it. A bank without a knowledge base keeps the hand-off to a colleague.

When the NLU is unsure which question it was (its calibrated confidence under ASK_BELOW) and a second service
question is close, the customer is asked "which of these do you mean?" with a button per question (the bank's
titles) and "something else": a tap costs less than a wrong answer, its "no" and the question asked again.

The flow keeps its open question in the conversation's short memory (context.Memory.flows["service"]), so the
answer may reach any replica, and it expires with the rest of the context.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any, Protocol

from sarraf.conversation.context import OFFER_HANDOFF
from sarraf.conversation.nlu.entities.fold import fold
from sarraf.conversation.nlu.keywords import alternatives
from sarraf.conversation.nlu.types import Parse
from sarraf.conversation.ports import Handoffs
from sarraf.conversation.service_grounding import CARD_PREFIX, DISPUTE_PREFIX
from sarraf.conversation.turn import Turn
from sarraf.domain.errors import BankUnavailable, ConsentUnusable, NotLinked
from sarraf.domain.messages import Button, Outbound
from sarraf.i18n.replies import catalog
from sarraf.kb import SERVICE_INTENTS, KnowledgeBase
from sarraf.policy.point import Subject

PREFIX = "service:"
YES, NO = "service:yes:", "service:no:"
PICK = "service:pick:"  # + the intent chosen from "which of these do you mean?"; nothing after it: something else
KEY = "service"  # this flow's place in Memory.flows
MISSES_BEFORE_OFFER = 2
# Answered by the card flows (block or freeze a lost card), not by an article.
NOT_HERE = frozenset({"lost_or_stolen_card"})
# The answers to "did that help?": keyword tables (nlu/data/keywords/<lang>.yml, `service:`), matched on
# fold()ed text (lower case, Polish diacritics dropped, Arabic letters unified).


@cache
def _not_helped() -> re.Pattern[str]:
    return re.compile(alternatives("service.not_helped"))


@cache
def _helped() -> re.Pattern[str]:
    return re.compile(alternatives("service.helped"))


_LAST4 = re.compile(r"[0-9]{4}")
# "and in euros?" after a rate: the currency named (matched on fold()ed text). Its ISO code and symbol are
# the same in every language; its words are keyword tables (nlu/data/keywords/<lang>.yml, `service:`).
_CURRENCIES = {
    "EUR": ("€", "service.euro"),
    "USD": (r"\$", "service.dollar"),
    "GBP": ("£", "service.pound"),
    "PLN": ("", "service.zloty"),
    "SAR": ("", "service.riyal"),
}


@cache
def _currencies() -> dict[str, re.Pattern[str]]:
    return {
        code: re.compile("|".join(filter(None, (rf"\b{code.lower()}\b", symbol, alternatives(table)))))
        for code, (symbol, table) in _CURRENCIES.items()
    }


# "Which of these do you mean?" when the best guess is below ASK_BELOW (the NLU's confidence is calibrated on
# out-of-fold data, so 0.6 means right about 6 times in 10): with a wrong answer costing about 2.5 taps (read it,
# say it did not help, ask again), asking is cheaper below 1 - 1/2.5. On the public test sets (BANKING77, the
# ArBanking77 MSA and PAL tests), with the shipped model, this asks 7-11 % of questions and wrong answers fall by
# about half (8.1 -> 4.6 %, 9.8 -> 5.1 %, 12.5 -> 6.4 %); the rest of those asked go to "something else".
ASK_BELOW = 0.6
MIN_CHOICE = 0.05  # a candidate below this is noise, not a question the customer may have meant
MAX_CHOICES = 3  # WhatsApp shows at most three reply buttons (the fourth, "something else", makes it a list)
FOLLOWED = frozenset({"exchange_rate"})  # answers a follow-up narrows
MAX_REPLY_WORDS = 6  # a longer message says something of its own


class Invitations(Protocol):
    """Starting a bank login whose return answers the question again (policy.consents.ConsentService)."""

    async def invite(self, tenant: str, customer_id: str, channel: str, sender: str,
                     resume_text: str | None) -> Any: ...


class Outcomes(Protocol):
    """Where "did that help?" answers are noted: the supervisors' resolved-by-bot figure (store/console_figures)."""

    async def record(self, tenant: str, intent: str, helped: bool, at: datetime) -> None: ...


class Grounding(Protocol):
    """The customer's own data behind an answer (service_grounding.ServiceGrounding)."""

    @property
    def intents(self) -> frozenset[str]: ...

    async def ground(self, subject: Subject, intent: str, lang: str, bank: str, detail: str | None = None
                     ) -> list[Outbound]: ...


def currency_named(text: str, max_words: int | None = MAX_REPLY_WORDS) -> str | None:
    """The one currency a short follow-up names ("and in euros?", „a w dolarach?”, «وباليورو؟») — or, with
    max_words None, a question of any length ("what's your euro rate today?") — else None."""
    folded = fold(text).strip()
    if max_words is not None and len(folded.split()) > max_words:
        return None
    named = [code for code, pattern in _currencies().items() if pattern.search(folded)]
    return named[0] if len(named) == 1 else None


def helped(text: str) -> bool | None:
    """True for "yes / thanks / that helped", False for "no / that didn't help", None when neither."""
    folded = fold(text).strip()
    if not folded or len(folded.split()) > MAX_REPLY_WORDS:
        return None
    if _not_helped().search(folded):
        return False
    if _helped().search(folded):
        return True
    return None


class ServiceFlow:
    """A Flow (flows/__init__.py) for the service intents; `kbs` holds the knowledge base of each bank that has one."""

    postback_prefixes = (PREFIX,)

    def __init__(self, kbs: Mapping[str, KnowledgeBase], handoffs: Handoffs,
                 grounding: Grounding | None = None, invitations: Invitations | None = None,
                 outcomes: Outcomes | None = None, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._kbs = kbs
        self._outcomes = outcomes
        self._clock = clock
        self._handoffs = handoffs
        self._grounding = grounding
        self._invitations = invitations

    @property
    def intents(self) -> frozenset[str]:
        return frozenset(SERVICE_INTENTS) - NOT_HERE

    # -- a service question --------------------------------------------------------------------------------
    async def answer(self, turn: Turn, intent: str, parse: Parse | None) -> list[Outbound]:
        if parse is not None and len(choices := self._choices(turn, intent, parse)) > 1:
            return self._which_question(turn, choices)
        # "what's your euro rate?": the one currency named narrows the answer from the start
        detail = currency_named(turn.text, max_words=None) if intent in FOLLOWED else None
        return await self._answer(turn, intent, detail)

    async def _answer(self, turn: Turn, intent: str, card: str | None) -> list[Outbound]:
        c = catalog()
        kb = self._kbs.get(turn.tenant)
        general = kb.answer(intent, turn.lang) if kb is not None else None
        if general is None:  # this bank has no knowledge base: a colleague answers, as before
            await self._handoffs.request(turn.tenant, turn.customer_id, turn.channel, turn.sender, intent)
            return [Outbound(c.text(turn.lang, "service_question", bank=turn.bank), turn.lang)]
        found: list[Outbound] = []
        note: str | None = None
        link = False
        if self._grounding is not None and intent in self._grounding.intents:
            try:
                found = await self._grounding.ground(turn.subject, intent, turn.lang, turn.bank, card)
            except NotLinked:
                note, link = "service_link_offer", True
            except ConsentUnusable:
                note, link = "service_link_again", True
            except BankUnavailable:
                note = "service_bank_down"
        if found and (cards := found[-1].extra.get("which_card")):  # "which card?" first; the answer follows
            turn.memory.flows[KEY] = {"intent": intent, "misses": 0, "cards": cards.split(",")}
            return found
        turn.memory.flows[KEY] = {"intent": intent, "misses": 0}
        quick = [*self._yes_no(turn, intent)]
        if link and self._invitations is not None and note == "service_link_offer":
            # the offer to link is a login whose return answers this question with the customer's own data
            invitation = await self._invitations.invite(turn.tenant, turn.customer_id, turn.channel, turn.sender,
                                                        turn.text or None)
            login = Button(c.text(turn.lang, "link_button", bank=turn.bank), url=invitation.url, login=True)
            found = [Outbound(c.text(turn.lang, note, bank=turn.bank), turn.lang, buttons=(login,),
                              extra={"link_state": invitation.state})]
            note = None
        elif link:
            quick.append(Button(c.text(turn.lang, "qr_link"), payload="intent:link_account"))
        text = general if note is None else f"{c.text(turn.lang, note, bank=turn.bank)}\n\n{general}"
        answer = Outbound(f"{text}\n\n{c.text(turn.lang, 'service_did_it_help')}", turn.lang,
                          quick_replies=tuple(quick))
        return [*found, answer]

    # -- "which of these do you mean?" ----------------------------------------------------------------------
    def _choices(self, turn: Turn, intent: str, parse: Parse) -> list[str]:
        """The questions to offer when unsure: the best guess first, then the close ones this bank has titles for."""
        kb = self._kbs.get(turn.tenant)
        if kb is None or parse.confidence >= ASK_BELOW or not kb.title(intent, turn.lang):
            return []
        close = [name for name, p in parse.ranking
                 if name != intent and name in self.intents and p >= MIN_CHOICE and kb.title(name, turn.lang)]
        return [intent, *close][:MAX_CHOICES]

    def _which_question(self, turn: Turn, choices: list[str]) -> list[Outbound]:
        c, kb = catalog(), self._kbs[turn.tenant]
        turn.memory.flows[KEY] = {"choices": choices}
        buttons = [Button(kb.title(name, turn.lang) or name, payload=PICK + name) for name in choices]
        buttons.append(Button(c.text(turn.lang, "qr_service_something_else"), payload=PICK))
        return [Outbound(c.text(turn.lang, "service_which_question"), turn.lang, quick_replies=tuple(buttons))]

    def _something_else(self, turn: Turn) -> list[Outbound]:
        c = catalog()
        human = Button(c.text(turn.lang, "qr_human"), payload="intent:human_agent")
        return [Outbound(c.text(turn.lang, "service_something_else", bank=turn.bank), turn.lang,
                         quick_replies=(human,))]

    def _picked(self, turn: Turn, choices: list[str], parse: Parse) -> str | None:
        """The question a typed answer to "which of these?" names: its number, its title, or the question itself."""
        kb = self._kbs.get(turn.tenant)
        typed = fold(turn.text).strip().rstrip("?.!؟ ")
        if typed.isdigit() and 1 <= int(typed) <= len(choices):
            return choices[int(typed) - 1]
        for name in choices:
            title = kb.title(name, turn.lang) if kb is not None else None
            if title and fold(title).strip().rstrip("?.!؟ ") == typed:
                return name
        return parse.intent if parse.in_scope and parse.intent in choices else None

    # -- its buttons ---------------------------------------------------------------------------------------
    async def postback(self, turn: Turn, payload: str) -> list[Outbound]:
        turn.memory.flows.pop(KEY, None)
        if payload.startswith(PICK):  # the answer to "which of these do you mean?"
            intent = payload[len(PICK):]
            if not intent:
                return self._something_else(turn)
            return await self._answer(turn, intent, None) if intent in self.intents else [self._say(turn, "rephrase")]
        for prefix, verdict in ((YES, True), (NO, False)):
            if payload.startswith(prefix):
                intent = payload[len(prefix):]
                return await self._verdict(turn, verdict, intent if intent in SERVICE_INTENTS else "unknown")
        if payload.startswith(CARD_PREFIX):  # the answer to "which card?"
            intent, _, last4 = payload[len(CARD_PREFIX):].partition(":")
            if intent in self.intents and _LAST4.fullmatch(last4):
                return await self._answer(turn, intent, last4)
            return [self._say(turn, "rephrase")]
        if payload.startswith(DISPUTE_PREFIX):  # "Dispute it" under an item the customer does not recognise
            topic = payload[len(DISPUTE_PREFIX):]
            reason = f"dispute:{topic}" if topic in ("card_payment", "direct_debit") else "dispute"
            await self._handoffs.request(turn.tenant, turn.customer_id, turn.channel, turn.sender, reason)
            return [self._say(turn, "human_handoff")]
        return [self._say(turn, "rephrase")]

    # -- the answer to "Did that help?" --------------------------------------------------------------------
    async def continues(self, turn: Turn, parse: Parse) -> list[Outbound] | None:
        state: Any = turn.memory.flows.get(KEY)
        if not isinstance(state, dict):
            return None
        turn.memory.flows.pop(KEY, None)  # asked once: whatever comes now answers it or moves on
        if choices := [str(c) for c in state.get("choices") or []]:  # we asked "which of these do you mean?"
            picked = self._picked(turn, choices, parse)
            return None if picked is None else await self._answer(turn, picked, None)  # else: a new question
        intent = str(state.get("intent", "unknown"))
        cards = [str(c) for c in state.get("cards") or []]
        if cards:  # we asked "which card?": the digits typed (or the only card named) answer it
            named = [c for c in cards if c in turn.text]
            if len(named) == 1 and intent in self.intents:
                return await self._answer(turn, intent, named[0])
            if parse.in_scope and parse.intent not in ("out_of_scope", "affirm", "deny"):
                return None  # a new question instead
        if intent in FOLLOWED and (currency := currency_named(turn.text)) is not None:
            return await self._follow_up(turn, intent, currency)
        if not cards:
            verdict = helped(turn.text)
            if verdict is None and parse.in_scope and parse.intent in ("affirm", "thanks"):
                verdict = True
            elif verdict is None and parse.in_scope and parse.intent == "deny":
                verdict = False
            if verdict is not None:
                return await self._verdict(turn, verdict, intent)
            if parse.in_scope and parse.intent != "out_of_scope":
                return None  # a new question: it goes the usual way
        misses = int(state.get("misses", 0)) + 1
        if misses >= MISSES_BEFORE_OFFER:  # two in a row: offer a person ("yes" then connects, engine-side)
            turn.memory.pending = OFFER_HANDOFF
            c = catalog()
            human = Button(c.text(turn.lang, "qr_human"), payload="intent:human_agent")
            return [Outbound(c.text(turn.lang, "service_offer_handoff", bank=turn.bank), turn.lang,
                             quick_replies=(human,))]
        turn.memory.flows[KEY] = {"intent": intent, "misses": misses, **({"cards": cards} if cards else {})}
        if cards:  # the same question again, with the same buttons
            shown = ", ".join(f"•• {last4}" for last4 in cards)
            buttons = tuple(Button(f"•• {last4}", payload=f"{CARD_PREFIX}{intent}:{last4}") for last4 in cards)
            return [Outbound(catalog().text(turn.lang, "service_which_card", cards=shown), turn.lang,
                             quick_replies=buttons)]
        return [Outbound(catalog().text(turn.lang, "service_unclear"), turn.lang,
                         quick_replies=self._yes_no(turn, intent))]

    async def _follow_up(self, turn: Turn, intent: str, detail: str) -> list[Outbound]:
        """The last answer narrowed ("and in euros?"): the customer's facts alone, then "did that help?" again."""
        if self._grounding is None:
            return []
        found = await self._grounding.ground(turn.subject, intent, turn.lang, turn.bank, detail)
        turn.memory.flows[KEY] = {"intent": intent, "misses": 0}
        question = Outbound(catalog().text(turn.lang, "service_did_it_help"), turn.lang,
                            quick_replies=self._yes_no(turn, intent))
        return [*found, question]

    async def _verdict(self, turn: Turn, verdict: bool, intent: str) -> list[Outbound]:
        if self._outcomes is not None:
            await self._outcomes.record(turn.tenant, intent, verdict, self._clock())
        if verdict:
            return [self._say(turn, "service_glad")]
        await self._handoffs.request(turn.tenant, turn.customer_id, turn.channel, turn.sender,
                                     f"not_helped:{intent}")
        return [self._say(turn, "service_not_helped")]

    @staticmethod
    def _yes_no(turn: Turn, intent: str) -> tuple[Button, ...]:
        c = catalog()
        return (Button(c.text(turn.lang, "qr_service_yes"), payload=YES + intent),
                Button(c.text(turn.lang, "qr_service_no"), payload=NO + intent))

    @staticmethod
    def _say(turn: Turn, key: str) -> Outbound:
        return Outbound(catalog().text(turn.lang, key, bank=turn.bank), turn.lang)
