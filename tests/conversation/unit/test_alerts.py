"""The alert flows through the engine with fakes: with `NoAlerts` (the constructor's default) nothing about
alerts is intercepted and help promises only the basic flows; with `AlertsInChat` a typed preference change
is applied before the model is asked, switching on needs a link, a typed yes answers an open fraud question,
and delivery receipts are noted."""

from __future__ import annotations

from datetime import UTC, datetime

from sarraf.conversation.context import CONFIRM_ERASE
from sarraf.conversation.flows.alert_chat import NoAlerts
from sarraf.domain.events import AlertGroup
from sarraf.domain.messages import Inbound, InboundKind, Receipt
from tests.conversation.unit.conftest import SENDER, TENANT, World, text, with_alerts

RECEIPT = Inbound(
    "webchat", SENDER, InboundKind.RECEIPT, receipt=Receipt("read", watermark=datetime(2026, 12, 5, tzinfo=UTC))
)


async def test_without_alerts_nothing_about_alerts_is_intercepted(world: World) -> None:
    assert isinstance(world.conversation.alerts, NoAlerts)
    world.nlu.means("help", "help")
    world.nlu.means("turn off shopping alerts", "manage_alerts")
    assert [r.text for r in await world.say("help")] == [text("help_basic")]
    (reply,) = await world.say("turn off shopping alerts")
    assert reply.text == text("not_available") and world.nlu.asked[-1] == "turn off shopping alerts"
    assert await world.conversation.handle(TENANT, RECEIPT) == []


async def test_without_alerts_a_yes_answers_our_own_question(world: World) -> None:
    world.nlu.means("delete my data", "delete_my_data")
    world.nlu.means("yes", "affirm")
    await world.say("delete my data")
    assert world.context.kept[(TENANT, "cust-1", "webchat")]["pending"] == CONFIRM_ERASE
    (reply,) = await world.say("yes")  # no fraud question is ever open: the yes is ours, and erases
    assert reply.text == text("erased") and world.data_rights.erased == ["cust-1"]


async def test_a_typed_preference_change_is_applied_before_the_model(world: World) -> None:
    alerts = with_alerts(world)
    world.nlu.means("help", "help")
    assert [r.text for r in await world.say("help")] == [text("help")]
    (reply,) = await world.say("turn off shopping alerts")
    name = text("alerts_group_shopping")
    assert reply.text == text("alerts_group_off", group=name) and world.nlu.asked == ["help"]
    assert alerts.preferences.kept[(TENANT, "cust-1")].disabled == frozenset({AlertGroup.SHOPPING})


async def test_switching_alerts_on_needs_a_link_first(world: World) -> None:
    alerts = with_alerts(world)
    (reply,) = await world.say("turn on alerts")
    assert reply.text == text("link_needed_first") and reply.buttons[0].login
    assert alerts.preferences.kept == {}
    world.link()
    (reply,) = await world.say("turn on alerts")
    assert reply.text == text("alerts_on")
    assert alerts.preferences.kept[(TENANT, "cust-1")].opted_in


async def test_a_typed_yes_answers_the_open_fraud_question(world: World) -> None:
    alerts = with_alerts(world)
    alerts.fraud.open[(TENANT, "cust-1")] = "evt-1"
    world.nlu.means("yes", "affirm")
    (reply,) = await world.say("yes")
    assert reply.text == "thanks, noted"
    assert [(a.event_id, a.genuine) for a in alerts.fraud.answers] == [("evt-1", True)]


async def test_receipts_are_noted_never_answered(world: World) -> None:
    alerts = with_alerts(world)
    assert await world.conversation.handle(TENANT, RECEIPT) == []
    assert alerts.receipts.noted == [("webchat", SENDER)]
