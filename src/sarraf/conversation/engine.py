"""The channel-neutral conversation: one inbound message in, replies out.

Channels hand us an `Inbound`; we work out who the customer is, what they want and in which language,
ask the policy point for any bank data (never the bank itself), and return `Outbound` messages that the
channel renders. The engine keeps no state of its own beyond what the stores hold.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial

from sarraf.conversation import answers
from sarraf.conversation.context import (
    CONFIRM_ERASE,
    CONTEXT_TTL,
    OFFER_HANDOFF,
    Memory,
    Question,
    follow_up_shift,
    shifted,
)
from sarraf.conversation.flows import Flow, FlowTable
from sarraf.conversation.flows.alert_chat import AlertChat, NoAlerts
from sarraf.conversation.flows.linking import LinkingFlow
from sarraf.conversation.flows.privacy import AgentHooks, PrivacyFlow, asks_who_saw_my_data
from sarraf.conversation.greetings import greeting_in_kind
from sarraf.conversation.intents import BUTTON_INTENTS, DATA_INTENTS, NOT_IN_CHAT_YET, SMALL_TALK, Intent
from sarraf.conversation.nlu.types import Parse
from sarraf.conversation.ports import (
    BankData,
    Consents,
    ConversationContext,
    Customer,
    CustomerDirectory,
    DataRights,
    Handoffs,
    MessageLog,
    SecureLinks,
    Understanding,
)
from sarraf.conversation.reading import BankReading, entity_value
from sarraf.conversation.sanitize import MAX_MESSAGE_CHARS, clean
from sarraf.conversation.saying import POSTBACK_PREFIX, say
from sarraf.conversation.turn import Turn
from sarraf.domain.consent import LinkSession
from sarraf.domain.disclosure import Decision
from sarraf.domain.errors import BankAnswerRefused, BankRefused, BankUnavailable, ConsentUnusable, NotLinked
from sarraf.domain.messages import Inbound, InboundKind, Outbound
from sarraf.i18n.languages import spoken
from sarraf.i18n.replies import catalog
from sarraf.policy.consent_grant import CONSENT_POLICY_ID

# Two messages in a row we could not place: the second is met with the offer of a person, and the hand-off (if
# taken) is queued with the reason "misunderstood" so the console shows why the customer is waiting.
MISUNDERSTOOD = "misunderstood"  # memory.flows key: how many "say it another way" in a row
HANDOFF_REASON = "handoff_reason"  # memory.flows key: why the pending "shall I connect you?" was asked
MISUNDERSTANDINGS_BEFORE_OFFER = 2


class Conversation:
    def __init__(
        self,
        *,
        nlu: Understanding,
        customers: CustomerDirectory,
        messages: MessageLog,
        consents: Consents,
        point: BankData,
        secure_links: SecureLinks,
        handoffs: Handoffs,
        data_rights: DataRights,
        context: ConversationContext,
        bank_names: Mapping[str, str],
        default_langs: Mapping[str, str],
        alerts: AlertChat | None = None,
        console: AgentHooks | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._nlu = nlu
        self._customers = customers
        self._messages = messages
        self._handoffs = handoffs
        self._context = context
        self._bank_names = bank_names
        self._default_langs = default_langs
        self._clock = clock
        self._reading = BankReading(point, secure_links, clock, self._refused)
        self._linking = LinkingFlow(consents, point, clock)
        self._privacy = PrivacyFlow(data_rights, consents, secure_links)
        # The card and alert flows; a gateway without alerts gets the null object (flows/alert_chat.py).
        self.alerts: AlertChat = alerts or NoAlerts()
        self.console = console  # the agents' desk (console/desk.py), where the gateway runs one
        self.flows = FlowTable()  # payments, service answers…: see flows/__init__.py
        self._answers = self._core_answers()

    def register_flow(self, flow: Flow) -> None:
        self.flows.register(flow)

    async def handle(self, tenant: str, inbound: Inbound) -> list[Outbound]:
        if inbound.message_id and not await self._messages.first_time(inbound.channel, inbound.message_id):
            return []  # a platform retry or replay: already answered
        if inbound.kind is InboundKind.RECEIPT:
            if inbound.receipt is not None:
                await self.alerts.receipt(inbound.channel, inbound.sender, inbound.receipt)
            return []  # receipts are noted on the alerts they cover, never answered
        if inbound.kind is InboundKind.LINKED:
            return []  # platform bookkeeping: linking finishes at our own callback
        customer = await self._customers.identify(tenant, inbound.channel, inbound.sender)
        text = clean(inbound.text)
        if self.console is not None and await self.console.agent_owns(tenant, customer.id, inbound.channel,
                                                                      inbound.sender, text):
            return []  # a person owns this conversation: the bot stays silent until it is handed back
        known_lang = customer.lang or _lang_of_locale(inbound.locale) or self._default_langs.get(tenant, "en")
        remembered = await self._context.recall(tenant, customer.id, inbound.channel, self._clock())
        memory = Memory.from_json(remembered)
        # Whatever this message is, our last question is now answered or passed over: it is asked once.
        asked, memory.pending = memory.pending, None
        if asked != OFFER_HANDOFF:
            memory.flows.pop(HANDOFF_REASON, None)  # the reason belongs to the offer just made, never a later one
        turn = Turn(tenant, customer.id, inbound.channel, inbound.sender, known_lang, self._bank_names[tenant], text,
                    memory, asked)
        replies = await self._respond(turn, inbound, customer)
        if self.console is not None:  # a conversation waiting for a person keeps its transcript
            await self.console.after_turn(tenant, customer.id, inbound.channel, inbound.sender, text, replies)
        if memory.to_json() != remembered:
            await self._remember(turn)
        return replies

    async def _remember(self, turn: Turn) -> None:
        await self._context.remember(turn.tenant, turn.customer_id, turn.channel, turn.memory.to_json(),
                                     self._clock() + CONTEXT_TTL)

    async def _respond(self, turn: Turn, inbound: Inbound, customer: Customer) -> list[Outbound]:
        text, known_lang = turn.text, turn.lang

        if inbound.kind is InboundKind.POSTBACK and (inbound.payload or "").startswith(POSTBACK_PREFIX):
            intent = (inbound.payload or "")[len(POSTBACK_PREFIX) :]
            # Payloads come back from the client: only the buttons we ever send are honoured.
            if intent not in BUTTON_INTENTS:
                return [say(turn, "rephrase", quick=True)]
            return await self._act(turn, intent, None)
        if inbound.kind is InboundKind.POSTBACK and self.alerts.owns_postback(inbound.payload or ""):
            return await self._act_on(turn, self.alerts.postback(turn, inbound.payload or ""))
        if inbound.kind is InboundKind.POSTBACK and (flow := self.flows.for_postback(inbound.payload or "")):
            return await self._act_on(turn, flow.postback(turn, inbound.payload or ""))
        if len(text) > MAX_MESSAGE_CHARS:
            return [say(turn, "too_long", count=MAX_MESSAGE_CHARS)]
        if not text:
            return [say(turn, "empty", quick=True)]
        if (change := self.alerts.preference_change(text)) is not None:
            if change.lang and change.lang != customer.lang:
                await self._customers.set_lang(customer.id, change.lang)
            turn = replace(turn, lang=change.lang or turn.lang)
            return await self._act_on(turn, self.alerts.change_preferences(turn, change, self._linking))

        parse = self._nlu.parse(text, now=self._clock(), known_lang=known_lang)
        lang = parse.lang if _trust_language(parse) else known_lang
        if lang != customer.lang:
            await self._customers.set_lang(customer.id, lang)
        turn = replace(turn, lang=lang)
        if (turn.asked is not None and parse.in_scope and parse.intent in ("affirm", "deny")
                and await self.alerts.fraud_question_open(turn)):
            return await self._act_on(turn, self.alerts.beside_our_question(turn, parse.intent == "affirm"))
        if continued := await self._act_on(turn, self.flows.continuation(turn, parse)):
            return continued  # the answer to a flow's own question ("who to?" → "Alice")
        if asks_who_saw_my_data(text):  # "who has seen my data?": their own decisions page (flows/privacy.py)
            return self._privacy.who_saw(turn)
        last = turn.memory.question
        shift = follow_up_shift(text) if last is not None else None
        if last is not None and shift is not None and (not parse.in_scope or parse.intent in (*DATA_INTENTS,
                                                                                               "out_of_scope")):
            # "the month before?": the last data question again, for the period next to the one last asked
            start, end = shifted(last.start, last.end, *shift)
            return await self._act(turn, last.intent, None, replace(last, start=start, end=end))
        if not parse.in_scope:
            return self._rephrase(turn)
        if parse.intent != "out_of_scope":
            turn.memory.flows.pop(MISUNDERSTOOD, None)  # understood: the count of misses starts again
        return await self._act(turn, parse.intent, parse)

    def _rephrase(self, turn: Turn) -> list[Outbound]:
        """"Say it another way" — or, the second time in a row, the offer of a person from the bank."""
        # Counted per sender: a customer's context is kept per channel, but a new web chat session (or another
        # device) is a new conversation and starts with a clean slate.
        last: object = turn.memory.flows.get(MISUNDERSTOOD)
        misses = 1
        if isinstance(last, dict) and last.get("sender") == turn.sender:
            misses += int(last.get("misses", 0))
        if misses < MISUNDERSTANDINGS_BEFORE_OFFER:
            turn.memory.flows[MISUNDERSTOOD] = {"sender": turn.sender, "misses": misses}
            return [say(turn, "rephrase", quick=True)]
        turn.memory.flows.pop(MISUNDERSTOOD, None)
        turn.memory.flows[HANDOFF_REASON] = "misunderstood"
        turn.memory.pending = OFFER_HANDOFF  # a typed "yes" (or the button) connects
        return [say(turn, "service_offer_handoff", human=True)]

    async def resume_after_link(self, session: LinkSession, lang: str | None) -> list[Outbound]:
        """The customer came back from the bank's login: confirm, then answer what they had asked."""
        turn = await self._turn_for(session, lang)
        replies = [say(turn, "linked")]
        if session.resume_text:
            parse = self._nlu.parse(session.resume_text, now=self._clock(), known_lang=turn.lang)
            if parse.in_scope and (parse.intent in DATA_INTENTS or self.flows.for_intent(parse.intent)):
                replies += await self._act(turn, parse.intent, parse)
                await self._remember(turn)  # so "the month before?" (or a flow's own question) follows it
        return replies

    async def link_failed(self, session: LinkSession, lang: str | None) -> list[Outbound]:
        turn = await self._turn_for(session, lang)
        return [say(turn, "link_failed", quick=True)]

    async def _turn_for(self, session: LinkSession, lang: str | None) -> Turn:
        customer = await self._customers.identify(session.tenant, session.channel, session.sender)
        lang = lang or customer.lang or self._default_langs.get(session.tenant, "en")
        return Turn(
            session.tenant,
            session.customer_id,
            session.channel,
            session.sender,
            lang,
            self._bank_names[session.tenant],
            session.resume_text or "",
        )

    async def _act(
        self, turn: Turn, intent: str, parse: Parse | None, question: Question | None = None
    ) -> list[Outbound]:
        return await self._act_on(turn, self._dispatch(turn, intent, parse, question))

    async def _act_on(self, turn: Turn, answer: Awaitable[list[Outbound]]) -> list[Outbound]:
        try:
            return await answer
        except BankAnswerRefused:
            # The bank answered, but with something we will not follow: not "can't reach", which misleads.
            return [say(turn, "bank_answer_refused")]
        except BankUnavailable:
            # Nothing was changed and nothing half-done is kept; the customer hears it plainly.
            return [say(turn, "bank_down")]
        except BankRefused:
            return [say(turn, "bank_refused", human=True)]
        except NotLinked:  # never linked (or unlinked): the same invitation, Log in button and all
            # Inviting asks the bank for a consent, so a bank that is down is told as plainly here too.
            return await self._act_on(turn, self._linking.invitation(turn))
        except ConsentUnusable:  # linked once, but the permission expired or was withdrawn: link again
            return [say(turn, "consent_unusable", link=True)]

    async def _dispatch(
        self, turn: Turn, intent: str, parse: Parse | None, question: Question | None = None
    ) -> list[Outbound]:
        if turn.asked is not None and intent in ("affirm", "deny"):
            # A typed or spoken yes / no answers our question exactly as its button would — unless a fraud
            # alert's "Was this you?" is open too: a "yes" meant for one must never erase data or clear a payment.
            if await self.alerts.fraud_question_open(turn):
                return [say(turn, "which_question")]
            if intent == "deny":
                return [say(turn, "deny")]
            intent = "confirm_erase" if turn.asked == CONFIRM_ERASE else "human_agent"
        if intent in ("affirm", "deny"):
            answered = await self.alerts.yes_or_no(turn, genuine=intent == "affirm")
            if answered is not None:
                return answered
        if self.alerts.answers(intent):  # card intents and "alerts" (flows/alert_chat.py): a usable link first
            return await self.alerts.intent(turn, intent, self._linking)
        if (flow := self.flows.for_intent(intent)) is not None:
            return await flow.answer(turn, intent, parse)
        if intent in DATA_INTENTS:
            return await self._with_bank_data(turn, intent, parse, question)
        if (answer := self._answers.get(intent)) is not None:
            return await answer(turn)
        # Any other intent is one of the 77 BANKING77 service questions: a colleague answers it.
        await self._handoffs.request(turn.tenant, turn.customer_id, turn.channel, turn.sender, intent)
        return [say(turn, "service_question")]

    # -- the conversation's own intents (no flow, no bank data), one handler each ---------------------------
    def _core_answers(self) -> dict[str, Callable[[Turn], Awaitable[list[Outbound]]]]:
        answers: dict[str, Callable[[Turn], Awaitable[list[Outbound]]]] = {
            Intent.LINK_ACCOUNT: self._linking.link_account,
            Intent.UNLINK_ACCOUNT: self._linking.unlink,
            Intent.REVOKE_CONSENT: self._linking.unlink,
            Intent.GREETING: self._greet,
            Intent.HELP: self._help,
            Intent.HUMAN_AGENT: self._connect_person,
            Intent.MY_DATA: self._privacy.show_my_data,
            Intent.DELETE_MY_DATA: self._privacy.ask_before_erasing,
            Intent.CONFIRM_ERASE: self._privacy.erase,
            Intent.OUT_OF_SCOPE: self._misunderstood,
        }
        answers.update({intent: partial(self._just_say, key) for intent, key in SMALL_TALK.items()})
        answers.update({intent: self._not_in_chat_yet for intent in NOT_IN_CHAT_YET})
        return answers

    async def _greet(self, turn: Turn) -> list[Outbound]:
        hello = greeting_in_kind(turn.text)
        if hello is None:
            return [say(turn, "greeting", quick=True)]
        intro = say(turn, "greeting_intro", quick=True)  # «السلام عليكم» → «وعليكم السلام! …»
        return [replace(intro, text=f"{catalog().text(turn.lang, hello)} {intro.text}")]

    async def _help(self, turn: Turn) -> list[Outbound]:  # promise the card and alert flows only where they run
        return [say(turn, self.alerts.help_key, quick=True)]

    @staticmethod
    async def _just_say(key: str, turn: Turn) -> list[Outbound]:  # "thanks" → "You're welcome!"
        return [say(turn, key)]

    async def _connect_person(self, turn: Turn) -> list[Outbound]:
        reason = str(turn.memory.flows.pop(HANDOFF_REASON, "asked"))
        await self._handoffs.request(turn.tenant, turn.customer_id, turn.channel, turn.sender, reason)
        return [say(turn, "human_handoff")]

    async def _not_in_chat_yet(self, turn: Turn) -> list[Outbound]:
        turn.memory.pending = OFFER_HANDOFF  # "… shall I connect you?"
        return [say(turn, "not_available", human=True)]

    async def _misunderstood(self, turn: Turn) -> list[Outbound]:
        return self._rephrase(turn)

    async def _with_bank_data(
        self, turn: Turn, intent: str, parse: Parse | None, question: Question | None
    ) -> list[Outbound]:
        if intent == "check_balance":
            return await self._reading.balance(turn)
        q = question or self._reading.question(intent, parse)
        unplaced = entity_value(parse, "unplaced") if question is None else None
        if q.intent == "spending_summary" and q.category is None and q.merchant is None and unplaced:
            # a category we cannot place is asked about, never widened to the total of everything
            return [answers.which_category(turn.lang, str(unplaced))]
        return await self._reading.transactions(turn, q)

    def _refused(self, turn: Turn, decision: Decision) -> Outbound:
        # The customer's consent (what the bank granted) and the bank's agreement are different reasons.
        return say(turn, "not_granted" if decision.policy_id == CONSENT_POLICY_ID else "denied")


def _trust_language(parse: Parse) -> bool:
    # "ok", "1", emoji: too little text to switch a customer's language on.
    return sum(ch.isalpha() for ch in parse.text) >= 3


def _lang_of_locale(locale: str | None) -> str | None:
    return spoken(locale)
