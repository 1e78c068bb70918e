"""The customer's data rights (flows/privacy.py) through the engine with fakes."""

from __future__ import annotations

from sarraf.conversation.saying import POSTBACK_PREFIX
from tests.conversation.unit.conftest import World, text


async def test_my_data_offers_the_download_behind_a_secure_link(world: World) -> None:
    world.nlu.means("what do you hold about me?", "my_data")
    (reply,) = await world.say("what do you hold about me?")
    assert world.links.issued == ["export"] and reply.buttons[0].url == "https://gw.example/secure/export/1"
    assert text("my_data_not_linked") in reply.text


async def test_erasing_asks_first_and_erases_on_the_confirmation(world: World) -> None:
    world.link()
    world.nlu.means("delete my data", "delete_my_data")
    (asked,) = await world.say("delete my data")
    assert asked.text == text("erase_confirm") and world.data_rights.erased == []
    assert [b.payload for b in asked.quick_replies] == [POSTBACK_PREFIX + "confirm_erase", POSTBACK_PREFIX + "deny"]
    (done,) = await world.tap(POSTBACK_PREFIX + "confirm_erase")
    assert done.text == text("erased") and world.data_rights.erased == ["cust-1"]
    assert await world.consents.link_of("sandbox", "cust-1") is None


async def test_who_saw_my_data_is_recognised_whatever_the_model_makes_of_it(world: World) -> None:
    (reply,) = await world.say("who has seen my data?")  # the fake NLU places nothing: out of scope
    assert world.links.issued == ["privacy"] and reply.buttons[0].url.startswith("https://gw.example/secure/privacy")
    assert reply.text == text("privacy_link", validity=text("minutes_count", count=15))
