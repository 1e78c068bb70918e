"""Every bot intent has its answer: pressed as a button (the same way a typed request is dispatched), none of
them falls through to the service questions' "a colleague will reply", and an intent no button of ours carries
is refused rather than dispatched."""

from __future__ import annotations

from sqlalchemy import select

from sarraf.bootstrap import Container
from sarraf.channels import terminal
from sarraf.conversation.intents import Intent
from sarraf.conversation.nlu.taxonomy import BOT_INTENTS
from sarraf.conversation.saying import POSTBACK_PREFIX
from sarraf.domain.messages import Inbound, InboundKind
from sarraf.i18n.replies import catalog
from sarraf.store.tables.core import handoff_requests


def _press(sender: str, intent: str) -> Inbound:
    return Inbound(terminal.NAME, sender, InboundKind.POSTBACK, "", POSTBACK_PREFIX + intent)


def test_the_intent_names_are_the_nlu_taxonomy() -> None:
    assert {i.value for i in Intent} == set(BOT_INTENTS) | {"confirm_erase"}


async def test_no_bot_intent_falls_through_to_a_colleague(container: Container) -> None:
    tenant = next(iter(container.banks))
    colleague = catalog().text("en", "service_question", bank="Sarraf Sandbox Bank")
    for n, intent in enumerate(Intent):
        replies = await container.conversation.handle(tenant, _press(f"pressing-{n}", intent))
        assert replies, intent
        assert all(r.text != colleague for r in replies), intent
    async with container.engine.connect() as conn:
        reasons = set((await conn.execute(select(handoff_requests.c.reason))).scalars())
    assert reasons <= {"asked"}  # only "a person, please" queued anyone


async def test_a_button_we_never_send_is_refused(container: Container) -> None:
    tenant = next(iter(container.banks))
    replies = await container.conversation.handle(tenant, _press("forger", "card_arrival"))
    assert [r.text for r in replies] == [catalog().text("en", "rephrase", bank="Sarraf Sandbox Bank")]
