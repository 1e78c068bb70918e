"""The flow seam (conversation/flows/__init__.py): a registered flow answers its intents, its own buttons and the
answers to its own questions, through the engine as built for the terminal; two flows never share an intent
or a payload prefix; what a flow raises for the bank is worded by the engine like any bank read."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from sarraf.bootstrap import Container
from sarraf.channels import terminal
from sarraf.conversation.flows import FlowTable
from sarraf.conversation.nlu.types import Parse
from sarraf.conversation.turn import Turn
from sarraf.domain.errors import BankUnavailable
from sarraf.domain.messages import Inbound, InboundKind, Outbound
from sarraf.i18n.replies import catalog


@dataclass
class EchoFlow:
    """Answers transfer_money by asking "who to?", takes the next message as the payee, owns "echo:" buttons."""

    intents: frozenset[str] = frozenset({"transfer_money"})
    postback_prefixes: tuple[str, ...] = ("echo:",)
    asked: set[str] = field(default_factory=set)
    seen: list[tuple[str, str]] = field(default_factory=list)
    down: bool = False

    async def answer(self, turn: Turn, intent: str, parse: Parse | None) -> list[Outbound]:
        if self.down:
            raise BankUnavailable("sandbox")
        self.asked.add(turn.customer_id)
        self.seen.append((intent, turn.lang))
        return [Outbound("who to?", turn.lang)]

    async def postback(self, turn: Turn, payload: str) -> list[Outbound]:
        return [Outbound(f"tapped {payload}", turn.lang)]

    async def continues(self, turn: Turn, parse: Parse) -> list[Outbound] | None:
        if turn.customer_id not in self.asked:
            return None
        self.asked.discard(turn.customer_id)
        return [Outbound(f"paying {turn.text}", turn.lang)]


@pytest.fixture
async def container(container: Container) -> Container:
    """conftest.py's gateway with the seam alone: without the payments flow bootstrap registers."""
    container.conversation.flows = FlowTable()
    return container


async def test_a_registered_flow_answers_its_intent_its_question_and_its_buttons(container: Container) -> None:
    flow = EchoFlow()
    container.conversation.register_flow(flow)
    tenant = next(iter(container.banks))

    async def say(text: str) -> str:
        return (await container.conversation.handle(tenant, terminal.inbound("sandbox-en-1", text)))[0].text

    assert await say("send 20 pounds to my sister") == "who to?"
    assert flow.seen == [("transfer_money", "en")]
    assert await say("Alice Smith") == "paying Alice Smith"  # the flow's own question, answered
    assert await say("Alice Smith") != "paying Alice Smith"  # asked once: the next message goes the usual way
    tapped = await container.conversation.handle(
        tenant, Inbound("terminal", "sandbox-en-1", InboundKind.POSTBACK, payload="echo:yes"))
    assert [r.text for r in tapped] == ["tapped echo:yes"]


async def test_a_bank_outage_inside_a_flow_is_told_by_the_engine(container: Container) -> None:
    container.conversation.register_flow(EchoFlow(down=True))
    tenant = next(iter(container.banks))
    replies = await container.conversation.handle(tenant, terminal.inbound("sandbox-pl-1", "przelej 100 zł Kasi"))
    assert [r.text for r in replies] == [catalog().text("pl", "bank_down", bank=container.banks[tenant].name)]


def test_two_flows_may_not_share_an_intent_or_a_payload_prefix() -> None:
    table = FlowTable()
    table.register(EchoFlow())
    with pytest.raises(ValueError, match="transfer_money"):
        table.register(EchoFlow(postback_prefixes=("other:",)))
    with pytest.raises(ValueError, match="payloads"):
        table.register(EchoFlow(intents=frozenset({"card_arrival"}), postback_prefixes=("echo:x",)))
    table.register(EchoFlow(intents=frozenset({"card_arrival"}), postback_prefixes=("svc:",)))
    assert table.for_postback("svc:helped") is not None and table.for_postback("intent:x") is None
    assert table.for_intent("card_arrival") is not None and table.for_intent("check_balance") is None
