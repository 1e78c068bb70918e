"""Grounded service answers end to end over HTTP on the three channel kinds (issue #13): the web chat (full)
shows the customer's own facts in the chat, Telegram (masked) shows them as the masked level allows, and
Messenger (link-only) carries no figure at all — the secure page it links to shows them. The expected facts
are read from the sandbox bank's own service data, never from the bot's reply."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from babel.numbers import format_currency

from sarraf.config import DEFAULT_BANKS_FILE, load_banks
from sarraf.i18n.replies import catalog
from sarraf.kb import KnowledgeBase, load
from sarraf.sandbox_bank.seed import seed_bank
from sarraf.sandbox_bank.service import NEW_CARDS, activity_of
from tests.stories.channels import DRIVERS, KINDS, normalise
from tests.stories.runner import LINK_PHRASES, StoryWorld

CUSTOMER = "sandbox-en-1"
MONEY = ("£", "GBP")


def _kb() -> KnowledgeBase:
    service = load_banks(DEFAULT_BANKS_FILE)["sandbox"].service
    return load("sandbox", service.answers, service.overrides, service.values)


def _fee(topic: str) -> str:
    item = next(i for i in activity_of(seed_bank(datetime.now(UTC).date()), CUSTOMER)
                if i["Kind"] == "fee" and i["Topic"] == topic)
    return normalise(format_currency(Decimal(item["Amount"]["Amount"]), "GBP", locale="en_GB"))


@pytest.mark.parametrize("channel", list(KINDS))
async def test_grounded_answers_on_every_channel_kind(channel: str, story_world: StoryWorld,
                                                      http: httpx.AsyncClient) -> None:
    driver = DRIVERS[channel](story_world.world, http, channel)
    story_world.world.http = http
    sender = driver.new_sender()
    invite = await driver.say(sender, "en", LINK_PHRASES["en"])
    login = next(b.url for m in invite for b in m.buttons if b.url and "/link/start/" in b.url)
    await story_world.world.link(login, CUSTOMER)

    last4 = NEW_CARDS[CUSTOMER][0]
    card = await driver.say(sender, "en", "where is my new card? it still hasn't arrived")
    fees = await driver.say(sender, "en", "yes")  # closes "did that help?"
    fees = await driver.say(sender, "en", "why was I charged for taking money out of an atm")
    chat = "\n".join(m.text for m in card + fees)
    assert catalog().text("en", "service_did_it_help") in chat
    if KINDS[channel] == "link_only":
        # no figure, no card number, no amount in what the platform received (beyond the bank's published
        # figures in the general answers: fees, delivery times) ...
        private = re.sub(r"https?://\S+", "", chat)
        for intent in ("card_arrival", "cash_withdrawal_charge"):
            private = private.replace(normalise(_kb().answer(intent, "en") or ""), "")
        assert last4 not in private and not any(sign in private for sign in MONEY), private
        pages = [b.url for m in card + fees for b in m.buttons if b.url and "/secure/" in b.url]
        assert len(pages) == 2
        # ... the secure page shows them
        card_page, fee_page = [normalise((await http.get(url)).text) for url in pages]
        assert f"ending {last4} was posted on" in card_page
        assert _fee("atm_fee") in fee_page and "cash withdrawal fee" in fee_page
    elif KINDS[channel] == "masked":
        assert f"ending {last4} was posted on" in chat  # no amount in it: the card's state is shown as it is
        assert "cash withdrawal fee" in chat and _fee("atm_fee") not in chat  # £4.00 is rounded away
    else:
        assert f"ending {last4} was posted on" in chat
        assert f"cash withdrawal fee, {_fee('atm_fee')}" in chat
