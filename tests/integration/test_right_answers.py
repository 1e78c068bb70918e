"""Right answers on the web chat, over HTTP, in three languages (issue #20): a lost card is blocked only
after an explicit yes; spending is totalled for the category named (groceries are not shopping, not food,
not everything); alert thresholds are stored in the account's currency; never linked is not "expired"."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from sarraf.banks.openbanking import OpenBankingConnector
from sarraf.banks.sandbox_login import complete_sandbox_login
from sarraf.channels import webchat
from sarraf.domain.banking import CreditDebit, Transaction
from sarraf.domain.consent import ConsentStatus
from sarraf.domain.events import PaymentCard
from sarraf.domain.money import Money
from sarraf.i18n.replies import catalog, format_money
from sarraf.store.address_sealing import Addresses
from sarraf.store.alerts_prefs import SqlAlertPreferences
from sarraf.store.customers import SqlCustomers
from sarraf.store.database import make_engine
from sarraf.store.identity_sealing import IdentityCodec
from sarraf.store.key_store import key_provider
from sarraf.store.tables.core import bank_links
from tests.integration.conftest import Gateway
from tests.integration.helpers import PERMISSIONS, ChatClient

BANK = {"en": "Sarraf Sandbox Bank", "pl": "Sarraf Sandbox Bank", "ar": "بنك صرّاف التجريبي"}  # banks.yaml
CUSTOMER = {"en": "sandbox-en-2", "pl": "sandbox-pl-1", "ar": "sandbox-ar-1"}
CURRENCY = {"en": "GBP", "pl": "PLN", "ar": "SAR"}
LOST = {"en": "I lost my card", "pl": "zgubiłem kartę", "ar": "فقدت بطاقتي"}
YES = {"en": "yes", "pl": "tak", "ar": "نعم"}
GROCERIES = {"en": "how much did I spend on groceries last month?",
             "pl": "ile wydałem na zakupy spożywcze w zeszłym miesiącu?",
             "ar": "كم صرفت على البقالة الشهر الماضي؟"}
GARDENING = {"en": "how much did I spend on gardening last month?", "pl": "ile wydałem na ogród w zeszłym miesiącu?",
             "ar": "كم صرفت على الحديقة الشهر الماضي؟"}
OVER_100 = {"en": "turn on alerts for payments over 100", "pl": "włącz powiadomienia o płatnościach powyżej 100",
            "ar": "فعّل التنبيهات للمدفوعات فوق 100"}
LANGS = ("en", "pl", "ar")


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def text(lang: str, key: str, **values: object) -> str:
    return catalog().text(lang, key, bank=BANK[lang], **values)


async def linked_chat(gateway: Gateway, http: httpx.AsyncClient, customer: str) -> ChatClient:
    chat = ChatClient(http, gateway.url)
    await chat.link(await chat.say("link my account"), customer)
    return chat


class Bank:
    """The bank's own API, read independently of the gateway (its own consent, as another app would)."""

    def __init__(self, http: httpx.AsyncClient, gateway: Gateway) -> None:
        self.http = http
        self.url = f"{gateway.url}/bank"
        self.redirect = f"{gateway.url}/link/callback"

    async def _connected(self, customer: str) -> tuple[OpenBankingConnector, Any]:
        connector = OpenBankingConnector(self.http, base_url=self.url, client_id="sarraf",
                                         client_secret="sandbox-secret", financial_id="0015800001041RHAAY",
                                         tenant="sandbox")
        start = await connector.start_linking(PERMISSIONS, self.redirect)
        redirect = await complete_sandbox_login(self.http, start.url, username=customer)
        tokens = await connector.finish_linking(httpx.URL(redirect).params["code"], start.code_verifier,
                                                self.redirect)
        return connector, tokens

    async def cards(self, customer: str) -> list[PaymentCard]:
        connector, tokens = await self._connected(customer)
        return await connector.cards(tokens)

    async def transactions(self, customer: str, start: date, end: date) -> list[Transaction]:
        connector, tokens = await self._connected(customer)
        since, until = datetime.combine(start, time.min, UTC), datetime.combine(end, time.max, UTC)
        found: list[Transaction] = []
        for account in await connector.accounts(tokens):
            found += await connector.transactions(tokens, account.account_id, since, until)
        return found


def last_month() -> tuple[date, date]:
    first_of_this = date.today().replace(day=1)
    end = first_of_this - timedelta(days=1)
    return end.replace(day=1), end


@pytest.mark.parametrize("lang", LANGS)
async def test_a_lost_card_is_blocked_only_after_an_explicit_yes(gateway: Gateway, http: httpx.AsyncClient,
                                                                 lang: str) -> None:
    bank, customer = Bank(http, gateway), CUSTOMER[lang]
    chat = await linked_chat(gateway, http, customer)
    before = {c.card_id: c.status for c in await bank.cards(customer)}
    (offer,) = await chat.say(LOST[lang])
    card = next(c for c in await bank.cards(customer) if c.last4 in offer["text"])
    assert offer["text"] == text(lang, "card_lost_offer", last4=card.last4)
    assert [q["payload"] for q in offer["quick_replies"]] == ["card:freeze", "card:block", "card:keep"]
    assert {c.card_id: c.status for c in await bank.cards(customer)} == before  # nothing changed yet
    (done,) = await chat.say(YES[lang])
    assert done["text"] == text(lang, "card_blocked_lost", last4=card.last4)
    assert next(c for c in await bank.cards(customer) if c.card_id == card.card_id).status == "blocked"
    (again,) = await chat.say(payload="card:block")  # the yes was used up: a replayed button blocks nothing
    assert again["text"] == text(lang, "card_offer_gone")


@pytest.mark.parametrize("lang", LANGS)
async def test_spending_is_totalled_for_the_category_named(gateway: Gateway, http: httpx.AsyncClient,
                                                           lang: str) -> None:
    chat = await linked_chat(gateway, http, CUSTOMER[lang])
    start, end = last_month()
    groceries = [t for t in await Bank(http, gateway).transactions(CUSTOMER[lang], start, end)
                 if t.credit_debit is CreditDebit.DEBIT and t.merchant_category_code in ("5411", "5499")]
    assert groceries
    (answer,) = await chat.say(GROCERIES[lang])
    total = Money(sum((t.amount.amount for t in groceries), Decimal(0)), CURRENCY[lang])
    assert format_money(total, lang) in answer["text"]
    assert text(lang, "category_groceries") in answer["text"]
    (asked,) = await chat.say(GARDENING[lang])
    assert asked["text"].startswith(text(lang, "spending_which_category", name="§", categories="").split("§")[0])


@pytest.mark.parametrize("lang", LANGS)
async def test_an_alert_threshold_is_stored_in_the_accounts_currency(gateway: Gateway, http: httpx.AsyncClient,
                                                                     lang: str) -> None:
    chat = await linked_chat(gateway, http, CUSTOMER[lang])
    (answer,) = await chat.say(OVER_100[lang])
    amount = format_money(Money(Decimal(100), CURRENCY[lang]), lang)
    assert answer["text"] == text(lang, "alerts_large_from", amount=amount)
    engine = make_engine(gateway.settings.database_url)
    try:
        codec = IdentityCodec(key_provider(gateway.settings))
        customers = SqlCustomers(engine, codec)
        customer = await customers.identify("sandbox", "webchat", webchat.address(chat.session))
        prefs = await SqlAlertPreferences(engine, Addresses(codec)).get("sandbox", customer.id)
    finally:
        await engine.dispose()
    assert prefs.opted_in and prefs.large_from == Decimal(100)
    assert (prefs.channel, prefs.sender) == ("webchat", webchat.address(chat.session))


@pytest.mark.parametrize(("lang", "freeze", "alerts_on"), [
    ("en", "freeze my card", "turn on alerts"),
    ("pl", "zablokuj kartę", "włącz powiadomienia"),
    ("ar", "جمّد بطاقتي", "فعّل التنبيهات"),
])
async def test_never_linked_is_offered_the_login_and_withdrawn_is_offered_to_link_again(
        gateway: Gateway, http: httpx.AsyncClient, lang: str, freeze: str, alerts_on: str) -> None:
    chat = ChatClient(http, gateway.url)
    for message in (freeze, alerts_on):
        (invite,) = await chat.say(message)
        assert invite["text"] == text(lang, "link_needed_first")
        (button,) = invite["buttons"]
        assert button["url"].startswith(f"{gateway.url}/link/start/")
    await chat.link(await chat.say("link my account"), CUSTOMER[lang])
    # the bank refused the consent (expired there): what mark_unusable leaves behind
    engine = make_engine(gateway.settings.database_url)
    try:
        customers = SqlCustomers(engine, IdentityCodec(key_provider(gateway.settings)))
        customer = await customers.identify("sandbox", "webchat", webchat.address(chat.session))
        async with engine.begin() as conn:
            await conn.execute(update(bank_links).where(bank_links.c.customer_id == customer.id)
                               .values(status=ConsentStatus.EXPIRED.value, tokens_sealed=None))
    finally:
        await engine.dispose()
    for message in (freeze, alerts_on):
        (again,) = await chat.say(message)
        assert again["text"] == text(lang, "consent_unusable")
        assert [q["payload"] for q in again["quick_replies"]] == ["intent:link_account"]
