"""Two messages in a row we could not place: the second is met with the offer of a person, and a "yes" queues
the conversation with the reason "misunderstood" (the console shows why the customer waits). A message we did
understand in between starts the count again; a refused offer queues nothing."""

from __future__ import annotations

from sqlalchemy import select

from sarraf.bootstrap import Container
from sarraf.channels import terminal
from sarraf.i18n.replies import catalog
from sarraf.store.tables.core import handoff_requests


async def _reasons(container: Container) -> list[str]:
    async with container.engine.connect() as conn:
        return list((await conn.execute(select(handoff_requests.c.reason))).scalars())


def _bank_text(key: str, lang: str = "en") -> str:
    return catalog().text(lang, key, bank="Sarraf Sandbox Bank")


async def test_the_second_miss_in_a_row_offers_a_person_and_yes_queues_it_as_misunderstood(
        container: Container) -> None:
    tenant = next(iter(container.banks))

    async def say(sender: str, text: str) -> list[str]:
        return [r.text for r in await container.conversation.handle(tenant, terminal.inbound(sender, text))]

    assert await say("stranger-1", "what's the weather tomorrow") == [_bank_text("rephrase")]
    offer = await say("stranger-1", "tell me a joke")
    assert offer == [_bank_text("service_offer_handoff")]
    assert await say("stranger-1", "yes") == [_bank_text("human_handoff")]
    assert await _reasons(container) == ["misunderstood"]


async def test_an_understood_message_between_two_misses_starts_the_count_again(container: Container) -> None:
    tenant = next(iter(container.banks))

    async def say(text: str) -> list[str]:
        return [r.text for r in await container.conversation.handle(tenant, terminal.inbound("stranger-2", text))]

    assert await say("what's the weather tomorrow") == [_bank_text("rephrase")]
    assert await say("thanks") != [_bank_text("rephrase")]
    assert await say("tell me a joke") == [_bank_text("rephrase")]  # one miss since the last understood message
    assert await _reasons(container) == []


async def test_a_refused_offer_queues_nothing_and_a_later_request_is_asked(container: Container) -> None:
    tenant = next(iter(container.banks))

    async def say(text: str) -> list[str]:
        return [r.text for r in await container.conversation.handle(tenant, terminal.inbound("stranger-3", text))]

    await say("what's the weather tomorrow")
    assert await say("tell me a joke") == [_bank_text("service_offer_handoff")]
    assert await say("no") == [_bank_text("deny")]
    assert await _reasons(container) == []
    await say("I want to talk to a person")
    assert await _reasons(container) == ["asked"]  # the earlier offer's reason does not stick to a new request
