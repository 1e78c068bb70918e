"""A lost or stolen card: a reversible freeze is offered first; the final block happens only on an explicit
yes (button, or "yes" / "tak" / "نعم" typed), once, and never after the offer expired or was declined."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.conversation.flows.cards import BLOCK, FREEZE, KEEP, OFFER_VALID, CardFlows
from sarraf.domain.events import CardAction, PaymentCard
from sarraf.i18n.replies import catalog
from sarraf.store.card_confirmations import SqlCardConfirmations
from sarraf.store.database import make_engine
from tests.alerts.pipeline import create_schema
from tests.conversation.cards_world import CardDesk

LANGS = ("en", "pl", "ar")
LOST = {"en": "I lost my card", "pl": "zgubiłem kartę", "ar": "فقدت بطاقتي"}
STOLEN = {"en": "my card was stolen", "pl": "ukradziono mi kartę", "ar": "سرقت بطاقتي"}


@dataclass(frozen=True)
class Asker:
    tenant: str = "bank"
    customer_id: str = "cust1"
    channel: str = "webchat"
    sender: str = "sender1"
    lang: str = "en"
    bank: str = "Test Bank"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'cards.db'}")
    await create_schema(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def desk() -> CardDesk:
    return CardDesk()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def flows(engine: AsyncEngine, desk: CardDesk, clock: Clock) -> CardFlows:
    return CardFlows(desk, SqlCardConfirmations(engine), clock)


def text(lang: str, key: str, **values: object) -> str:
    return catalog().text(lang, key, bank="Test Bank", **values)


@pytest.mark.parametrize("lang", LANGS)
async def test_lost_card_is_only_offered_a_freeze_or_a_block(flows: CardFlows, desk: CardDesk, lang: str) -> None:
    (offer,) = await flows.intent(Asker(lang=lang), "lost_or_stolen_card", LOST[lang])
    assert offer.text == text(lang, "card_lost_offer", last4="1290")
    assert [b.payload for b in offer.quick_replies] == [FREEZE, BLOCK, KEEP]
    assert sum(desk.asked.values()) == 0 and desk.status("c1") == "active"


@pytest.mark.parametrize("lang", LANGS)
async def test_a_typed_yes_blocks_the_offered_card_once(flows: CardFlows, desk: CardDesk, lang: str) -> None:
    who = Asker(lang=lang)
    await flows.intent(who, "lost_or_stolen_card", STOLEN[lang])
    (done,) = await flows.yes_or_no(who, True) or []
    assert done.text == text(lang, "card_blocked_stolen", last4="1290")
    assert desk.status("c1") == "blocked" and desk.asked == {CardAction.REPORT_STOLEN: 1}
    assert await flows.yes_or_no(who, True) is None  # the yes was used up: a second one blocks nothing


@pytest.mark.parametrize("lang", LANGS)
async def test_no_or_not_now_leaves_the_card_as_it_was(flows: CardFlows, desk: CardDesk, lang: str) -> None:
    who = Asker(lang=lang)
    await flows.intent(who, "lost_or_stolen_card", LOST[lang])
    (declined,) = await flows.yes_or_no(who, False) or []
    assert declined.text == text(lang, "card_block_cancelled", last4="1290")
    await flows.intent(who, "lost_or_stolen_card", LOST[lang])
    (kept,) = await flows.answer(who, KEEP)
    assert kept.text == declined.text
    assert (await flows.answer(who, BLOCK))[0].text == text(lang, "card_offer_gone")
    assert sum(desk.asked.values()) == 0 and desk.status("c1") == "active"


async def test_freeze_instead_is_reversible_and_a_later_report_offers_the_block_only(flows: CardFlows,
                                                                                   desk: CardDesk) -> None:
    who = Asker()
    await flows.intent(who, "lost_or_stolen_card", LOST["en"])
    (frozen,) = await flows.answer(who, FREEZE)
    assert frozen.text == text("en", "card_frozen", last4="1290") and desk.status("c1") == "frozen"
    desk.held["c2"] = PaymentCard("c2", "7702", "blocked")  # the other card is gone already
    (offer,) = await flows.intent(who, "lost_or_stolen_card", LOST["en"])
    assert offer.text == text("en", "card_lost_offer_frozen", last4="1290")
    assert [b.payload for b in offer.quick_replies] == [BLOCK, KEEP]
    (blocked,) = await flows.answer(who, BLOCK)
    assert blocked.text == text("en", "card_blocked_lost", last4="1290") and desk.status("c1") == "blocked"


async def test_an_expired_offer_blocks_nothing(flows: CardFlows, desk: CardDesk, clock: Clock) -> None:
    who = Asker()
    await flows.intent(who, "lost_or_stolen_card", LOST["en"])
    clock.now += OFFER_VALID + timedelta(seconds=1)
    assert await flows.yes_or_no(who, True) is None
    assert desk.status("c1") == "active" and sum(desk.asked.values()) == 0


async def test_an_offer_belongs_to_its_customer(flows: CardFlows, desk: CardDesk) -> None:
    await flows.intent(Asker(customer_id="cust1"), "lost_or_stolen_card", LOST["en"])
    assert await flows.yes_or_no(Asker(customer_id="cust2"), True) is None
    assert (await flows.answer(Asker(customer_id="cust2"), BLOCK))[0].text == text("en", "card_offer_gone")
    assert desk.status("c1") == "active"


async def test_freezing_needs_no_confirmation(flows: CardFlows, desk: CardDesk) -> None:
    (done,) = await flows.intent(Asker(lang="pl"), "freeze_card", "zablokuj kartę")
    assert done.text == text("pl", "card_frozen", last4="1290") and desk.asked == {CardAction.FREEZE: 1}
