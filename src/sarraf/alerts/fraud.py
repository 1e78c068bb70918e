"""The fraud loop: "Was this you?" answered yes or no — on any channel, late or on time — and escalation.

"No" freezes the card at the bank and opens a dispute case there, both through the card-action policy point
(purpose essential.fraud_detection). A bank that is down is told to the customer plainly — the card is NOT
frozen yet — and the freeze is retried in the background until it holds, then the customer is told again.
A bank that answers and declines is not "down": a card already blocked as lost or stolen cannot be used, so
the case is opened all the same and the customer hears that; any other refusal is final (no retry) and the
customer is told the card is NOT frozen and to call the bank.
No answer by the bank-set deadline sends a reminder; no answer to that puts the case in the human queue.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sarraf.alerts.ports import AlertOutbox, FraudCase, FraudCases, HumanQueue, Routed
from sarraf.alerts.render import render, to_json
from sarraf.domain.disclosure import Minimisation
from sarraf.domain.errors import BankRefused, BankUnavailable, ConsentUnusable, NotLinked
from sarraf.domain.events import AlertKind, BankEvent, CardAction
from sarraf.domain.messages import Outbound
from sarraf.i18n.replies import catalog
from sarraf.policy.actions import ActionOutcome
from sarraf.policy.point import Subject

log = logging.getLogger(__name__)
REASON = "fraud_not_recognised"
# How long a freeze attempt holds its case: longer than the bank's two calls can take (the connector's
# timeouts), so a lease only runs out when the process that held it died mid-attempt.
FREEZE_LEASE_S = 120


class CardActions(Protocol):
    async def act(self, subject: Subject, action: CardAction, card_id: str | None = None,
                  last4: str | None = None) -> ActionOutcome: ...

    async def open_case(self, subject: Subject, card_id: str, reason: str, reference: str,
                        last4: str | None = None) -> ActionOutcome: ...


@dataclass(frozen=True, slots=True)
class Answer:
    tenant: str
    customer_id: str
    channel: str
    sender: str
    lang: str
    event_id: str
    genuine: bool


class FraudDesk:
    def __init__(self, cases: FraudCases, actions: CardActions, outbox: AlertOutbox, humans: HumanQueue, *,
                 bank_names: Mapping[str, str], clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._cases = cases
        self._actions = actions
        self._outbox = outbox
        self._humans = humans
        self._bank_names = bank_names
        self._clock = clock
        self.on_ready: Callable[[], None] = lambda: None  # AlertRuntime: wake this process's delivery worker

    def _say(self, lang: str, tenant: str, key: str, **values: object) -> Outbound:
        return Outbound(catalog().text(lang, key, bank=self._bank_names.get(tenant, tenant), **values), lang)

    async def answer(self, a: Answer) -> list[Outbound]:
        case = await self._cases.get(a.tenant, a.event_id)
        if case is None or case.customer_id != a.customer_id:
            return [self._say(a.lang, a.tenant, "fraud_unknown")]
        if not await self._cases.answer(a.tenant, a.event_id, "genuine" if a.genuine else "fraud", self._clock()):
            return [self._say(a.lang, a.tenant, "fraud_already")]
        if a.genuine:
            return [self._say(a.lang, a.tenant, "fraud_genuine")]
        if not await self._cases.begin_freeze(a.tenant, a.event_id, self._clock(), FREEZE_LEASE_S):
            # Another process is freezing this card right now; it tells the customer once the freeze holds.
            return [self._say(a.lang, a.tenant, "fraud_freeze_failed", last4=str(case.data.get("card_last4", "")))]
        return [await self._freeze(case, a.channel, a.lang, first=True)]

    async def awaiting(self, tenant: str, customer_id: str) -> str | None:
        """Event id of the fraud question this customer has not answered yet, if any."""
        case = await self._cases.awaiting(tenant, customer_id)
        return case.event_id if case else None

    async def _freeze(self, case: FraudCase, channel: str, lang: str, *, first: bool) -> Outbound:
        subject = Subject(case.tenant, case.customer_id, recipient=channel, purpose="essential.fraud_detection")
        last4 = str(case.data.get("card_last4", ""))
        key = "fraud_frozen" if first else "fraud_frozen_later"
        try:
            try:
                # a derived alert knows the card by its last digits only: that card, never "the first one"
                await self._actions.act(subject, CardAction.FREEZE, case.card_id or None, last4=last4 or None)
            except BankRefused as refusal:
                if refusal.reason != BankRefused.CARD_BLOCKED:
                    raise
                key = "fraud_card_blocked"  # blocked as lost or stolen: nobody can use it, the case still opens
            opened = await self._actions.open_case(subject, case.card_id, REASON, case.event_id,
                                                   last4=last4 or None)
        except BankRefused as refusal:
            log.warning("the bank declined to freeze the card of fraud case %s: %s", case.event_id, refusal)
            await self._cases.set_freeze(case.tenant, case.event_id, "refused", None)  # final: not retried
            return self._say(lang, case.tenant, "fraud_freeze_refused", last4=last4)
        except (BankUnavailable, ConsentUnusable, NotLinked) as exc:
            log.warning("freezing card for fraud case %s failed: %s", case.event_id, exc)
            await self._cases.set_freeze(case.tenant, case.event_id, "pending", None)  # ends the lease: retry
            return self._say(lang, case.tenant, "fraud_freeze_failed", last4=last4)
        await self._cases.set_freeze(case.tenant, case.event_id, "done", opened.case_id)
        return self._say(lang, case.tenant, key, last4=last4, case=opened.case_id or "")

    async def retry_freezes(self) -> int:
        """Try again every freeze the bank could not do; tell the customer once it held."""
        done = 0
        now = self._clock()
        for case in await self._cases.pending_freezes(now, 100):
            # A freeze under way in any process (an answer's, another replica's retry) holds a lease on the
            # case: it is neither a failed freeze nor ours to repeat (a second freeze, a second message).
            if not await self._cases.begin_freeze(case.tenant, case.event_id, now, FREEZE_LEASE_S):
                continue
            message = await self._freeze(case, case.channel, case.lang, first=False)
            refreshed = await self._cases.get(case.tenant, case.event_id)
            if refreshed is not None and refreshed.freeze == "done":
                await self._notify(case, f"{case.event_id}#frozen", [message])
                done += 1
        return done

    async def escalate(self) -> int:
        """Reminder after the first deadline, the human queue after the second."""
        now = self._clock()
        handled = 0
        for case in await self._cases.overdue(now, 100):
            window = timedelta(seconds=int(case.data.get("answer_within_s", 600) or 600))
            if case.escalations == 0:
                if await self._cases.escalated(case.tenant, case.event_id, 1, "asked", now + window):
                    event = BankEvent(case.tenant, case.event_id, AlertKind.SUSPECTED_FRAUD, "", now, case.data)
                    level = Minimisation(case.data.get("decided_level", Minimisation.LINK_ONLY.value))
                    messages = render(event, AlertKind.SUSPECTED_FRAUD, level, case.lang,
                                      self._bank_names.get(case.tenant, case.tenant), reminder=True)
                    await self._notify(case, f"{case.event_id}#reminder", messages)
                    handled += 1
            elif await self._cases.escalated(case.tenant, case.event_id, case.escalations + 1, "human", now + window):
                await self._humans.request(case.tenant, case.customer_id, case.channel, case.sender,
                                           catalog().text("en", "fraud_handoff"))
                handled += 1
        return handled

    async def _notify(self, case: FraudCase, event_id: str, messages: list[Outbound]) -> None:
        routed = Routed(0, "ready", case.customer_id, case.channel, case.sender, to_json(messages), lane="urgent")
        if await self._outbox.enqueue(case.tenant, event_id, AlertKind.SUSPECTED_FRAUD.value, routed, {}):
            self.on_ready()

    async def run(self, stop: asyncio.Event, interval_s: float = 1.0) -> None:
        while not stop.is_set():
            try:
                await self.escalate()
                await self.retry_freezes()
            except Exception:
                log.exception("fraud escalation round failed")
            try:
                await asyncio.wait_for(stop.wait(), interval_s)
            except TimeoutError:
                continue
