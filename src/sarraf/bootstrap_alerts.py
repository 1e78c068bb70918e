"""The alert stores and services one gateway has, and the conversation's card and alert flows built on them:
part of the composition root, called by bootstrap.build before the conversation exists, so the conversation is
constructed with its alert flows (AlertsInChat) instead of having them swapped in afterwards.

Starting the loops that route and deliver (intake, router, delivery worker, pollers) is alert_loops.py's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.alerts.fraud import Answer, FraudDesk
from sarraf.alerts.outbound import Bell
from sarraf.config import BankConfig
from sarraf.conversation.flows.alert_chat import AlertsInChat
from sarraf.conversation.flows.alerts import AlertFlows
from sarraf.conversation.flows.offers import OfferFlows
from sarraf.conversation.step_up import StepUpGate, device_confirmed
from sarraf.domain.offers import OfferRules
from sarraf.domain.ports import BankConnector, LinkRepository
from sarraf.policy.actions import CardActionPoint
from sarraf.policy.audit.log import AuditLog
from sarraf.policy.consents import ConsentService
from sarraf.policy.gate import Decider
from sarraf.policy.step_up import Sensitive, StepUpPolicy
from sarraf.store.address_sealing import Addresses
from sarraf.store.alert_receipts import SqlAlertReceipts
from sarraf.store.alerts_outbox import SqlAlertOutbox
from sarraf.store.alerts_prefs import SqlAlertPreferences, SqlFraudCases
from sarraf.store.card_confirmations import SqlCardConfirmations
from sarraf.store.held_actions import SqlHeldActions
from sarraf.store.messages import SqlHandoffs
from sarraf.store.offers import SqlOffers
from sarraf.store.sealing import JsonSealer


@dataclass(frozen=True)
class AlertParts:
    """What the alert flows, the outbound path (alerts/outbound.py) and the alert loops (alert_loops.py) share."""

    outbox: SqlAlertOutbox
    preferences: SqlAlertPreferences
    cases: SqlFraudCases
    actions: CardActionPoint
    fraud: FraudDesk
    # Between the outbound path and this process's delivery worker, if it runs one (alerts/outbound.py): a
    # message outside a turn is sent now rather than at the worker's next poll.
    bell: Bell


@dataclass(frozen=True)
class ChatAlerts:
    """The conversation's side: the alert and card flows, the offers' buttons, the step-up gate."""

    flows: AlertsInChat
    offers: OfferFlows
    step_up: StepUpGate


def offer_rules(banks: Mapping[str, BankConfig]) -> dict[str, OfferRules]:
    return {b.id: OfferRules(b.offers_per_customer_per_week, b.offers_per_bank_per_day, b.offers_marketing_templates)
            for b in banks.values()}


def alert_parts(*, engine: AsyncEngine, sealer: JsonSealer, addresses: Addresses, decider: Decider,
                audit: AuditLog, links: LinkRepository, connectors: Mapping[str, BankConnector],
                bank_names: Mapping[str, str]) -> AlertParts:
    outbox = SqlAlertOutbox(engine, sealer, addresses)
    cases = SqlFraudCases(engine, sealer, addresses)
    # The same links and agreements the conversation uses: one reload (housekeeping) updates both.
    actions = CardActionPoint(decider, audit, links, connectors)
    fraud = FraudDesk(cases, actions, outbox, SqlHandoffs(engine, addresses), bank_names=bank_names)
    return AlertParts(outbox, SqlAlertPreferences(engine, addresses), cases, actions, fraud, Bell())


def chat_alerts(parts: AlertParts, *, engine: AsyncEngine, sealer: JsonSealer, addresses: Addresses,
                consents: ConsentService, audit: AuditLog, banks: Mapping[str, BankConfig],
                bank_names: Mapping[str, str]) -> ChatAlerts:
    """Card actions, alert preferences and fraud answers in the chat, for every channel's conversation (the web
    app's and the terminal's alike)."""
    # Step-up before sensitive actions, per bank (policy/step_up.py): the same bank login linking uses.
    step_up = StepUpGate({b.id: StepUpPolicy.from_config(b.step_up) for b in banks.values()},
                         SqlHeldActions(engine, addresses), consents, audit, bank_names)
    step_up.runs(Sensitive.SECURE_PAGE_NEW_DEVICE, device_confirmed)
    flows = AlertsInChat(AlertFlows(
        parts.preferences, parts.fraud, parts.actions, Answer, bank_names,
        receipts=SqlAlertReceipts(engine, addresses), zones={b.id: b.time_zones for b in banks.values()},
        confirmations=SqlCardConfirmations(engine), step_up=step_up))
    return ChatAlerts(flows, OfferFlows(SqlOffers(engine, sealer), offer_rules(banks)), step_up)
