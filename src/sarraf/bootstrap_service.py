"""Wiring of customer service (issue #13): each bank's knowledge base, loaded and checked at start-up, and the
service flow registered with the conversation (conversation/flows/service.py).

A bank with a `service:` block in banks.yaml has opted in: a knowledge base that does not load (a missing
answer, an undefined figure) stops start-up with every problem listed. A bank without one is answered from the
sandbox's answer set when that set's figures are complete without any values of its own; otherwise its service
questions go to a colleague, as they did before knowledge bases existed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sarraf.config import BankConfig
from sarraf.conversation.engine import Conversation
from sarraf.conversation.flows.service import Invitations, Outcomes, ServiceFlow
from sarraf.conversation.ports import Handoffs, SecureLinks
from sarraf.conversation.service_grounding import ServiceGrounding
from sarraf.domain.ports import BankConnector, LinkRepository
from sarraf.kb import KnowledgeBase, check, load
from sarraf.policy.actions import CardActionPoint
from sarraf.policy.gate import AuditTrail, Decider
from sarraf.policy.point import BankDataPoint

log = logging.getLogger(__name__)


def knowledge_bases(banks: Mapping[str, BankConfig]) -> dict[str, KnowledgeBase]:
    """Every bank's knowledge base; KnowledgeBaseError when a bank that opted in has a broken one."""
    found: dict[str, KnowledgeBase] = {}
    for bank in banks.values():
        service = bank.service
        if service.configured:
            found[bank.id] = load(bank.id, service.answers, service.overrides, service.values)
            continue
        kb, problems = check(bank.id, service.answers, service.overrides, service.values)
        if problems:
            log.warning("bank %s has no service: block and the default answers need values it lacks "
                        "(%d problems): its service questions go to a colleague", bank.id, len(problems))
            continue
        found[bank.id] = kb
    return found


def wire_service(conversation: Conversation, banks: Mapping[str, BankConfig], point: BankDataPoint,
                 decider: Decider, audit: AuditTrail, links: LinkRepository,
                 connectors: Mapping[str, BankConnector], secure_links: SecureLinks,
                 handoffs: Handoffs, invitations: Invitations, outcomes: Outcomes) -> ServiceGrounding:
    cards = CardActionPoint(decider, audit, links, connectors)
    grounding = ServiceGrounding(point, cards, secure_links)
    conversation.register_flow(ServiceFlow(knowledge_bases(banks), handoffs, grounding, invitations,
                                           outcomes))
    return grounding
