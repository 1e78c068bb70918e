"""A `Conversation` built from the fakes in fakes.py: one per test, with no alerts unless a test wires them."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from sarraf.conversation.engine import Conversation
from sarraf.conversation.flows.alert_chat import AlertChat, AlertsInChat
from sarraf.conversation.flows.alerts import AlertFlows
from sarraf.conversation.step_up import StepUpGate
from sarraf.domain.messages import Inbound, InboundKind, Outbound
from sarraf.i18n.replies import catalog
from tests.conversation.cards_world import CardDesk
from tests.conversation.unit import fakes

TENANT = "sandbox"
BANK = "Test Bank"
SENDER = "s-1"


@dataclass
class World:
    nlu: fakes.Understanding = field(default_factory=fakes.Understanding)
    customers: fakes.Customers = field(default_factory=fakes.Customers)
    messages: fakes.Messages = field(default_factory=fakes.Messages)
    handoffs: fakes.Handoffs = field(default_factory=fakes.Handoffs)
    links: fakes.SecureLinks = field(default_factory=fakes.SecureLinks)
    data_rights: fakes.DataRights = field(default_factory=fakes.DataRights)
    context: fakes.Context = field(default_factory=fakes.Context)
    consents: fakes.Consents = field(default_factory=fakes.Consents)
    bank: fakes.BankData = field(default_factory=fakes.BankData)
    clock: fakes.Clock = field(default_factory=fakes.Clock)
    conversation: Conversation = field(init=False)

    def __post_init__(self) -> None:
        self.build(None)

    def build(self, alerts: AlertChat | None) -> None:
        """The conversation, with these alert flows given to its constructor (None: the null object)."""
        self.conversation = Conversation(
            nlu=self.nlu,
            customers=self.customers,
            messages=self.messages,
            consents=self.consents,
            point=self.bank,
            secure_links=self.links,
            handoffs=self.handoffs,
            data_rights=self.data_rights,
            context=self.context,
            bank_names={TENANT: BANK},
            default_langs={TENANT: "en"},
            alerts=alerts,
            clock=self.clock,
        )

    @property
    def customer_id(self) -> str:
        return "cust-1"  # the first (and only) customer the fake directory meets

    def link(self) -> None:
        self.consents.link(TENANT, self.customer_id)

    async def say(self, text: str) -> list[Outbound]:
        return await self.conversation.handle(TENANT, Inbound("webchat", SENDER, text=text))

    async def tap(self, payload: str) -> list[Outbound]:
        return await self.conversation.handle(TENANT, Inbound("webchat", SENDER, InboundKind.POSTBACK, payload=payload))


class Alerts:
    """The real alert and card flows over fake stores, a fake fraud desk and an in-memory card desk."""

    def __init__(self, step_up: StepUpGate | None = None) -> None:
        self.preferences, self.fraud, self.receipts = fakes.Preferences(), fakes.FraudDesk(), fakes.Receipts()
        self.desk = CardDesk()
        self.flows = AlertFlows(
            self.preferences,
            self.fraud,
            self.desk,
            fakes.FraudAnswer,
            {TENANT: BANK},
            receipts=self.receipts,
            confirmations=fakes.CardConfirmations(),
            step_up=step_up,
        )


def with_alerts(world: World, step_up: StepUpGate | None = None) -> Alerts:
    """A conversation built with the alert flows (call before registering other flows on it)."""
    alerts = Alerts(step_up)
    world.build(AlertsInChat(alerts.flows))
    return alerts


def text(key: str, lang: str = "en", **values: object) -> str:
    return catalog().text(lang, key, bank=BANK, **values)


@pytest.fixture
def world() -> World:
    return World()
