"""Linking in chat (flows/linking.py) through the engine with fakes: an invitation with the login button,
"already linked" once linked, unlinking once."""

from __future__ import annotations

from tests.conversation.unit.conftest import World, text


async def test_link_my_account_invites_with_the_login_button(world: World) -> None:
    world.nlu.means("link my account", "link_account")
    (reply,) = await world.say("link my account")
    assert reply.text == text("link_needed")
    assert reply.buttons[0].login and reply.buttons[0].url.endswith("state-1")
    assert reply.extra["link_state"] == "state-1" and world.consents.invited == [None]


async def test_a_linked_customer_is_told_so_and_can_unlink_once(world: World) -> None:
    world.link()
    world.nlu.means("link my account", "link_account")
    world.nlu.means("unlink", "unlink_account")
    assert [r.text for r in await world.say("link my account")] == [text("already_linked")]
    assert [r.text for r in await world.say("unlink")] == [text("unlinked")]
    assert [r.text for r in await world.say("unlink")] == [text("nothing_to_unlink")]
    assert world.consents.invited == []
