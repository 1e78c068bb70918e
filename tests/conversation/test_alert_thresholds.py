"""Alert preferences changed by chatting keep what the customer said: the group, and a threshold stored in
the account's currency — or the reply says which part was not applied and why (never silently dropped)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.conversation.flows.alerts import AlertFlows, Who, preference_change
from sarraf.domain.events import AlertGroup
from sarraf.domain.money import Money
from sarraf.i18n.replies import catalog, format_money
from sarraf.store.alerts_prefs import SqlAlertPreferences
from sarraf.store.card_confirmations import SqlCardConfirmations
from sarraf.store.database import make_engine
from tests.alerts.pipeline import create_schema
from tests.conversation.cards_world import CardDesk
from tests.support.sealing import addresses_for_tests

OVER = {"en": "turn on alerts for payments over 100", "pl": "włącz powiadomienia o płatnościach powyżej 100",
        "ar": "فعّل التنبيهات للمدفوعات فوق 100"}
BELOW = {"en": "alert me when my balance is below 50", "pl": "włącz powiadomienia gdy saldo spadnie poniżej 50",
         "ar": "فعّل تنبيه الرصيد أقل من 50"}
CURRENCY = {"en": "GBP", "pl": "PLN", "ar": "SAR"}


class NoFraudCases:
    """No "Was this you?" is ever waiting here: these tests are about preferences."""

    async def answer(self, a: object) -> list[object]:
        return []

    async def awaiting(self, tenant: str, customer_id: str) -> str | None:
        return None


@dataclass(frozen=True)
class Stored:
    flows: AlertFlows
    prefs: SqlAlertPreferences


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'prefs.db'}")
    await create_schema(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def stored(engine: AsyncEngine) -> Stored:
    prefs = SqlAlertPreferences(engine, addresses_for_tests())
    flows = AlertFlows(prefs, NoFraudCases(), CardDesk(), object, {"bank": "Test Bank"},
                       confirmations=SqlCardConfirmations(engine))
    return Stored(flows, prefs)


def who(lang: str, customer: str = "cust1") -> Who:
    return Who("bank", customer, "webchat", "session-1", lang, "Test Bank")


@pytest.mark.parametrize("lang", ["en", "pl", "ar"])
def test_the_threshold_and_its_direction_are_read(lang: str) -> None:
    over, below = preference_change(OVER[lang]), preference_change(BELOW[lang])
    assert over is not None and below is not None
    assert (over.on, over.group, over.amount, over.over, over.currency) == (True, AlertGroup.SHOPPING,
                                                                            Decimal(100), True, None)
    assert (below.on, below.group, below.amount, below.over) == (True, AlertGroup.BALANCE, Decimal(50), False)
    assert over.lang == lang


@pytest.mark.parametrize(("text", "currency"), [("alert me about payments over £100", "GBP"),
                                                ("powiadamiaj o płatnościach powyżej 100 zł", "PLN"),
                                                ("نبهني بالمدفوعات فوق 100 ريال", "SAR")])
def test_a_named_currency_is_kept(text: str, currency: str) -> None:
    change = preference_change(text)
    assert change is not None and change.currency == currency and change.amount == Decimal(100)


@pytest.mark.parametrize("lang", ["en", "pl", "ar"])
async def test_a_payment_threshold_is_stored_in_the_accounts_currency(stored: Stored, lang: str) -> None:
    change = preference_change(OVER[lang])
    assert change is not None
    (reply,) = await stored.flows.change_preferences(who(lang), change, CURRENCY[lang])
    prefs = await stored.prefs.get("bank", "cust1")
    assert prefs.opted_in and prefs.large_from == Decimal(100) and AlertGroup.SHOPPING not in prefs.disabled
    assert prefs.low_balance_below is None and (prefs.channel, prefs.sender) == ("webchat", "session-1")
    amount = format_money(Money(Decimal(100), CURRENCY[lang]), lang)
    assert reply.text == catalog().text(lang, "alerts_large_from", amount=amount)


@pytest.mark.parametrize("lang", ["en", "pl", "ar"])
async def test_a_balance_threshold_is_stored(stored: Stored, lang: str) -> None:
    change = preference_change(BELOW[lang])
    assert change is not None
    (reply,) = await stored.flows.change_preferences(who(lang), change, CURRENCY[lang])
    prefs = await stored.prefs.get("bank", "cust1")
    assert prefs.opted_in and prefs.low_balance_below == Decimal(50) and prefs.large_from is None
    amount = format_money(Money(Decimal(50), CURRENCY[lang]), lang)
    assert reply.text == catalog().text(lang, "alerts_low_balance_below", amount=amount)


async def test_another_currency_is_not_applied_and_the_reply_says_so(stored: Stored) -> None:
    change = preference_change("turn on alerts for payments over 100 euros")
    assert change is not None
    on, problem = await stored.flows.change_preferences(who("en"), change, "GBP")
    prefs = await stored.prefs.get("bank", "cust1")
    assert prefs.large_from is None and prefs.opted_in
    assert on.text == catalog().text("en", "alerts_group_on", group=catalog().text("en", "alerts_group_shopping"))
    assert problem.text == catalog().text("en", "alerts_threshold_currency", currency="GBP", bank="Test Bank")


@pytest.mark.parametrize("lang", ["en", "pl", "ar"])
async def test_an_account_currency_this_chat_may_not_see_keeps_the_amount_and_says_so(stored: Stored,
                                                                                       lang: str) -> None:
    change = preference_change(OVER[lang])
    assert change is not None
    (reply,) = await stored.flows.change_preferences(who(lang), change, None)
    assert (await stored.prefs.get("bank", "cust1")).large_from == Decimal(100)
    assert reply.text == catalog().text(lang, "alerts_large_from_account_currency", amount="100")


async def test_an_amount_without_a_direction_is_not_guessed(stored: Stored) -> None:
    change = preference_change("turn on alerts 100")
    assert change is not None
    _, problem = await stored.flows.change_preferences(who("en"), change, "GBP")
    prefs = await stored.prefs.get("bank", "cust1")
    assert prefs.large_from is None and prefs.low_balance_below is None
    assert problem.text == catalog().text("en", "alerts_threshold_unclear", amount="100")
