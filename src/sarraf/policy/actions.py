"""The one door for bank ACTIONS on a customer's cards: freeze, unfreeze, report lost or stolen, open a case.

Like the data door (point.py), every action is first a decision — purpose essential.fraud_detection when a
fraud alert triggered it, essential.service.operations.support when the customer asked, category
user.financial.credit_card.controls, recipient the channel that will hear the outcome — checked against the
bank's agreement and the customer's consent (a usable bank link carries the card-controls scope), recorded in
the audit log allow and deny alike, and only then executed through the bank connector.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sarraf.domain.consent import Tokens
from sarraf.domain.disclosure import Decision, DisclosureRequest, Minimisation
from sarraf.domain.events import CardAction, PaymentCard
from sarraf.domain.ports import BankConnector, LinkRepository
from sarraf.domain.service_items import CardDelivery
from sarraf.policy.bank_tokens import fresh_tokens, linked
from sarraf.policy.gate import AuditTrail, Decider, PolicyGate
from sarraf.policy.grants import action_grant
from sarraf.policy.point import Subject

CARD_CONTROLS = "user.financial.credit_card.controls"
FRAUD = "essential.fraud_detection"
SUPPORT = "essential.service.operations.support"


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    decision: Decision
    card: PaymentCard | None = None
    case_id: str | None = None

    @property
    def allowed(self) -> bool:
        return self.decision.allowed


class CardActionPoint:
    def __init__(self, decider: Decider, audit: AuditTrail, links: LinkRepository,
                 connectors: Mapping[str, BankConnector]) -> None:
        self._gate = PolicyGate(decider, audit, links)
        self._links = links
        self._connectors = connectors

    async def _decide(self, subject: Subject) -> Decision:
        # tokens stay sealed until the decision allows acting (a denied action never decrypts them)
        request = DisclosureRequest(subject.tenant, subject.customer_id, subject.purpose, (CARD_CONTROLS,),
                                    subject.recipient)
        return await self._gate.decide_for_link(request, action_grant)

    async def cards(self, subject: Subject) -> tuple[Decision, list[PaymentCard]]:
        decision = await self._decide(subject)
        if not decision.allowed:
            return decision, []
        connector = self._connectors[subject.tenant]
        return decision, await connector.cards(await self._tokens(subject))

    async def deliveries(self, subject: Subject) -> tuple[Decision, list[CardDelivery] | None]:
        """New cards on their way and their dates (the state of the customer's cards): None when denied or
        when the recipient may only receive a link, and then the bank is not even asked."""
        decision = await self._decide(subject)
        if not decision.allowed or decision.minimisation is Minimisation.LINK_ONLY:
            return decision, None
        connector = self._connectors[subject.tenant]
        return decision, await connector.card_deliveries(await self._tokens(subject))

    async def act(self, subject: Subject, action: CardAction, card_id: str | None = None,
                  last4: str | None = None) -> ActionOutcome:
        """Act on `card_id`; else on the card ending `last4` (an alert derived from the account's transactions
        knows only the digits), and only on it; else on the customer's first card that the action can change."""
        decision = await self._decide(subject)
        if not decision.allowed:
            return ActionOutcome(decision)
        connector = self._connectors[subject.tenant]
        tokens = await self._tokens(subject)
        if card_id is None:
            cards = [c for c in await connector.cards(tokens) if c.status != "blocked"]
            if last4:
                chosen = next((c for c in cards if c.last4 == last4), None)  # never another card than the one used
            else:
                wanted = "frozen" if action is CardAction.UNFREEZE else "active"
                chosen = next((c for c in cards if c.status == wanted), None) or next(iter(cards), None)
            if chosen is None:
                return ActionOutcome(decision)
            card_id = chosen.card_id
        return ActionOutcome(decision, await connector.card_action(tokens, card_id, action))

    async def _tokens(self, subject: Subject) -> Tokens:
        # read again, unsealed: raises NotLinked if the customer unlinked since the decision
        link = await linked(self._links, subject.tenant, subject.customer_id)
        return await fresh_tokens(self._connectors[subject.tenant], self._links, link)

    async def open_case(self, subject: Subject, card_id: str, reason: str, reference: str,
                        last4: str | None = None) -> ActionOutcome:
        decision = await self._decide(subject)
        if not decision.allowed:
            return ActionOutcome(decision)
        connector = self._connectors[subject.tenant]
        tokens = await self._tokens(subject)
        if not card_id and last4:  # the card the derived alert names by its digits
            card_id = next((c.card_id for c in await connector.cards(tokens) if c.last4 == last4), "")
        case_id = await connector.open_case(tokens, card_id, reason, reference)
        return ActionOutcome(decision, case_id=case_id)



def subject_for(tenant: str, customer_id: str, channel: str, *, fraud: bool) -> Subject:
    return Subject(tenant, customer_id, recipient=channel, purpose=FRAUD if fraud else SUPPORT)
