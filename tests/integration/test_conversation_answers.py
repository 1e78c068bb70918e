"""Issue 21's wrong answers, end to end over the web chat (HTTP on 127.0.0.1, SQLite and PostgreSQL):
spending at a merchant, follow-ups that move the period, typed yes / no to our own questions, greetings in
kind, and counted minutes in Arabic. Expected figures are read from the bank's own API, not from the gateway."""

from __future__ import annotations

import calendar
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select

from sarraf.banks.openbanking import OpenBankingConnector
from sarraf.banks.sandbox_login import complete_sandbox_login
from sarraf.channels import webchat
from sarraf.domain.banking import CreditDebit
from sarraf.domain.money import Money
from sarraf.domain.names import LocalizedName
from sarraf.i18n.replies import catalog, format_date, format_money
from sarraf.store.database import make_engine
from sarraf.store.tables.core import channel_identities, handoff_requests
from tests.integration.conftest import Gateway
from tests.integration.helpers import PERMISSIONS, ChatClient

# The sandbox bank as its banks file names it, in every language (the catalogue picks the reply's form).
BANK = LocalizedName("Sarraf Sandbox Bank", {"en": "Sarraf Sandbox Bank", "ar": "بنك صرّاف التجريبي"})


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


async def linked(http: httpx.AsyncClient, gateway: Gateway, customer: str, ask: str) -> ChatClient:
    chat = ChatClient(http, gateway.url)
    await chat.link(await chat.say(ask), customer)
    return chat


async def spent_at(http: httpx.AsyncClient, gateway: Gateway, customer: str, merchant: str,
                   start: date, end: date) -> tuple[Money, int]:
    """What the bank itself lists as paid to `merchant` in the period, read with a login of our own."""
    connector = OpenBankingConnector(http, base_url=f"{gateway.url}/bank", client_id="sarraf",
                                     client_secret="sandbox-secret", financial_id="0015800001041RHAAY",
                                     tenant="sandbox")
    redirect_uri = f"{gateway.url}/link/callback"
    started = await connector.start_linking(PERMISSIONS, redirect_uri)
    redirect = await complete_sandbox_login(http, started.url, username=customer)
    tokens = await connector.finish_linking(httpx.URL(redirect).params["code"], started.code_verifier, redirect_uri)
    since, until = datetime.combine(start, time.min, UTC), datetime.combine(end, time.max, UTC)
    paid = [t for a in await connector.accounts(tokens)
            for t in await connector.transactions(tokens, a.account_id, since, until)
            if t.merchant_name == merchant and t.credit_debit is CreditDebit.DEBIT]
    assert paid, f"the sandbox seeds payments to {merchant}"
    return Money(sum((t.amount.amount for t in paid), Decimal(0)), paid[0].amount.currency), len(paid)


@pytest.mark.parametrize(
    ("customer", "lang", "question", "merchant"),
    [
        ("sandbox-en-1", "en", "how much did I spend at Tesco this year?", "Tesco"),
        ("sandbox-pl-1", "pl", "ile wydałem w Biedronce w tym roku?", "Biedronka"),
        ("sandbox-ar-1", "ar", "كم صرفت في بنده هذه السنة؟", "Panda"),
    ],
)
async def test_spending_at_a_merchant_counts_only_that_merchant(
        gateway: Gateway, http: httpx.AsyncClient, customer: str, lang: str, question: str, merchant: str) -> None:
    chat = ChatClient(http, gateway.url)
    resumed = await chat.link(await chat.say(question), customer)  # linking, then the answer to the question
    today = datetime.now(UTC).date()
    amount, count = await spent_at(http, gateway, customer, merchant, date(today.year, 1, 1), today)
    expected = catalog().text(lang, "spending_merchant", amount=format_money(amount, lang), merchant=merchant,
                              count=count, start=format_date(date(today.year, 1, 1), lang),
                              end=format_date(today, lang))
    assert resumed[-1]["text"] == expected


async def test_a_merchant_nobody_was_paid_at_is_said_so(gateway: Gateway, http: httpx.AsyncClient) -> None:
    chat = await linked(http, gateway, "sandbox-en-2", "link my account")
    (reply,) = await chat.say("how much did I spend at Harrods this year?")
    assert reply["text"].startswith("I found no payments at Harrods between"), reply["text"]


def _month_before(day: date, months: int) -> tuple[date, date]:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, 1), date(year, month + 1, calendar.monthrange(year, month + 1)[1])


@pytest.mark.parametrize(
    ("customer", "lang", "link", "question", "follow_up"),
    [
        ("sandbox-en-1", "en", "link my account", "how much did I spend last month?", "the month before?"),
        ("sandbox-pl-1", "pl", "połącz moje konto", "ile wydałem w zeszłym miesiącu?", "a miesiąc wcześniej?"),
        ("sandbox-ar-1", "ar", "اربط حسابي", "كم صرفت الشهر الماضي؟", "والشهر الذي قبله؟"),
    ],
)
async def test_a_follow_up_moves_the_period_of_the_last_question(
        gateway: Gateway, http: httpx.AsyncClient, customer: str, lang: str, link: str, question: str,
        follow_up: str) -> None:
    chat = await linked(http, gateway, customer, link)
    today = datetime.now(UTC).date()
    (first,) = await chat.say(question)
    last = _month_before(today, 1)
    assert format_date(last[0], lang) in first["text"] and format_date(last[1], lang) in first["text"]

    (second,) = await chat.say(follow_up)
    before = _month_before(today, 2)
    assert format_date(before[0], lang) in second["text"], second["text"]
    assert format_date(before[1], lang) in second["text"], second["text"]
    (third,) = await chat.say(follow_up)  # and again: relative to the period last asked, not to today
    assert format_date(_month_before(today, 3)[0], lang) in third["text"], third["text"]


async def test_a_follow_up_keeps_the_merchant(gateway: Gateway, http: httpx.AsyncClient) -> None:
    chat = await linked(http, gateway, "sandbox-en-1", "link my account")
    today = datetime.now(UTC).date()
    await chat.say("how much did I spend at Tesco last month?")
    (reply,) = await chat.say("and the month before?")
    start, end = _month_before(today, 2)
    amount, count = await spent_at(http, gateway, "sandbox-en-1", "Tesco", start, end)
    assert reply["text"] == catalog().text("en", "spending_merchant", amount=format_money(amount, "en"),
                                           merchant="Tesco", count=count, start=format_date(start, "en"),
                                           end=format_date(end, "en"))


@pytest.mark.parametrize(
    ("customer", "link", "erase", "yes", "balance"),
    [
        ("sandbox-en-2", "link my account", "delete my data", "yes", "what's my balance?"),
        ("sandbox-pl-1", "połącz moje konto", "usuń moje dane", "tak", "ile mam na koncie?"),
        ("sandbox-ar-1", "اربط حسابي", "احذف بياناتي", "نعم", "كم رصيدي؟"),
    ],
)
async def test_a_typed_yes_answers_the_erasure_question(
        gateway: Gateway, http: httpx.AsyncClient, customer: str, link: str, erase: str, yes: str,
        balance: str) -> None:
    chat = await linked(http, gateway, customer, link)
    lang = (await chat.say(balance))[0]["lang"]
    (asked,) = await chat.say(erase)
    assert asked["text"] == catalog().text(lang, "erase_confirm", bank=BANK)

    (done,) = await chat.say(yes)

    assert done["text"] == catalog().text(lang, "erased", bank=BANK)
    (after,) = await chat.say(balance)  # nothing is linked any more: the bank's login is offered again
    assert after["text"] == catalog().text(lang, "link_needed", bank=BANK)
    (plain,) = await chat.say(yes)  # the question was asked once: now "yes" is just "yes"
    assert plain["text"] == catalog().text(lang, "affirm")


async def test_a_typed_no_keeps_everything(gateway: Gateway, http: httpx.AsyncClient) -> None:
    chat = await linked(http, gateway, "sandbox-en-1", "link my account")
    await chat.say("delete my data")
    (kept,) = await chat.say("no")
    assert kept["text"] == catalog().text("en", "deny")
    (balance,) = await chat.say("what's my balance?")
    assert balance["text"].startswith(f"Your balances at {BANK}")


async def test_yes_to_the_offer_of_a_person_hands_over(gateway: Gateway, http: httpx.AsyncClient) -> None:
    # A service answer, then two replies that answer neither "did that help?" nor anything else: the bot offers
    # a person (conversation/flows/service.py), and a typed "yes" takes the offer.
    chat = ChatClient(http, gateway.url)
    await chat.say("my card payment was declined")
    await chat.say("purple giraffes")
    (offer,) = await chat.say("purple giraffes")
    assert offer["text"] == catalog().text("en", "service_offer_handoff", bank=BANK)

    (handed,) = await chat.say("yes please")

    assert handed["text"] == catalog().text("en", "human_handoff", bank=BANK)
    engine = make_engine(gateway.settings.database_url)
    try:
        async with engine.connect() as conn:
            customer = (await conn.execute(select(channel_identities.c.customer_id).where(
                channel_identities.c.sender == webchat.address(chat.session)))).scalar_one()
            queued = (await conn.execute(select(handoff_requests.c.reason).where(
                handoff_requests.c.customer_id == customer))).scalars().all()
    finally:
        await engine.dispose()
    assert queued == ["asked"]


@pytest.mark.parametrize(
    ("said", "answer"),
    [("السلام عليكم", "وعليكم السلام"), ("good morning", "Good morning!"), ("dzień dobry", "Dzień dobry!"),
     ("hello", "Hello!"), ("صباح الخير", "صباح النور")],
)
async def test_greetings_are_answered_in_kind(gateway: Gateway, http: httpx.AsyncClient, said: str,
                                              answer: str) -> None:
    (reply,) = await ChatClient(http, gateway.url).say(said)
    assert reply["text"].startswith(answer), reply["text"]
    assert reply["quick_replies"]


async def test_arabic_minutes_are_counted_in_arabic(gateway: Gateway, http: httpx.AsyncClient) -> None:
    (reply,) = await ChatClient(http, gateway.url).say("ما هي البيانات التي تحتفظ بها عني؟")
    assert "10 دقائق" in reply["text"] and "10 دقيقة" not in reply["text"], reply["text"]
