"""The card flows through the engine with fakes: a usable link first, a freeze at once, a lost card only
blocked on the explicit button."""

from __future__ import annotations

from sarraf.conversation.flows.cards import BLOCK
from sarraf.domain.events import CardAction
from tests.conversation.unit.conftest import World, text, with_alerts


async def test_a_card_change_needs_a_usable_link_first(world: World) -> None:
    alerts = with_alerts(world)
    world.nlu.means("freeze my card", "freeze_card")
    (reply,) = await world.say("freeze my card")
    assert reply.text == text("link_needed_first") and reply.buttons[0].login
    assert alerts.desk.asked[CardAction.FREEZE] == 0


async def test_a_freeze_happens_at_once(world: World) -> None:
    alerts = with_alerts(world)
    world.link()
    world.nlu.means("freeze my card", "freeze_card")
    (reply,) = await world.say("freeze my card")
    assert reply.text == text("card_frozen", last4="1290") and alerts.desk.status("c1") == "frozen"


async def test_a_lost_card_is_blocked_only_on_the_block_button(world: World) -> None:
    alerts = with_alerts(world)
    world.link()
    world.nlu.means("I lost my card", "lost_or_stolen_card")
    (offer,) = await world.say("I lost my card")
    assert offer.text == text("card_lost_offer", last4="1290") and alerts.desk.status("c1") == "active"
    (done,) = await world.tap(BLOCK)
    assert done.text == text("card_blocked_lost", last4="1290") and alerts.desk.status("c1") == "blocked"


async def test_without_alerts_a_card_intent_is_not_in_chat_yet(world: World) -> None:
    world.link()
    world.nlu.means("freeze my card", "freeze_card")
    (reply,) = await world.say("freeze my card")
    assert reply.text == text("not_available") and reply.quick_replies[0].payload == "intent:human_agent"


async def test_block_it_after_losing_a_card_offers_the_lost_card_choice_in_every_language(world: World) -> None:
    """Understood as "freeze" ("block it"), the loss named in the same message decides: the customer gets
    the lost-card choice (freeze now, or block for good), and nothing is done to the card yet."""
    alerts = with_alerts(world)
    world.link()
    for said, key in (("I lost my card at a bar, please block it", "card_lost_offer"),
                      ("Zgubiłem kartę na wycieczce, proszę ją zablokować", "card_lost_offer"),
                      ("ضاعت بطاقتي في المول، وقفوها لو سمحتوا", "card_lost_offer"),
                      ("someone stole my wallet, freeze the card", "card_stolen_offer")):
        world.nlu.means(said, "freeze_card")
        (offer,) = await world.say(said)
        assert offer.text == text(key, last4="1290"), said
        assert alerts.desk.status("c1") == "active" and alerts.desk.asked[CardAction.FREEZE] == 0


async def test_a_plain_freeze_that_names_no_loss_still_freezes(world: World) -> None:
    alerts = with_alerts(world)
    world.link()
    world.nlu.means("please block my card for now, I will unblock it later", "freeze_card")
    (reply,) = await world.say("please block my card for now, I will unblock it later")
    assert reply.text == text("card_frozen", last4="1290") and alerts.desk.status("c1") == "frozen"
