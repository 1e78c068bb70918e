"""Parsing documented payloads, rendering to each platform's shapes, and sending under its limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.channels import messenger, telegram, whatsapp
from sarraf.channels.messenger import MessengerAccount, MessengerChannel
from sarraf.channels.platform_http import PlatformError, RetryPolicy
from sarraf.channels.ratelimit import LocalRateLimits, RateLimiter
from sarraf.channels.telegram import DeepLinks, TelegramAccount, TelegramChannel
from sarraf.channels.whatsapp import WhatsAppAccount, WhatsAppChannel
from sarraf.channels.window import ServiceWindows
from sarraf.domain.messages import Button, Card, CardLine, InboundKind, Outbound
from sarraf.store.channel_state import SqlDeepLinkStore, SqlWindowStore
from tests.channels.fake_platform import FakePlatform, fixture
from tests.support.clock import VirtualClock
from tests.support.sealing import identities_for_tests

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.3)
QUICK = tuple(Button(t, payload=f"intent:{i}") for t, i in
              [("My balance", "check_balance"), ("Transactions", "recent_transactions"),
               ("Spending", "spending_summary"), ("Talk to a person", "human_agent")])
INVITE = Outbound("Log in to link", "en", buttons=(Button("Log in at Sarraf Sandbox Bank", url="https://bank/login?s=1"),))


def test_messenger_batch_yields_every_event_of_every_entry() -> None:
    events = messenger.parse(fixture("messenger_batch.json")["payload"], "sandbox", "sandbox")
    kinds = [(e.kind, e.sender, e.payload) for e, _ in events]
    assert kinds == [
        (InboundKind.TEXT, "1254459154682919", None),
        (InboundKind.POSTBACK, "1254459154682919", "intent:help"),
        (InboundKind.POSTBACK, "2254459154682919", "intent:check_balance"),
        (InboundKind.RECEIPT, "2254459154682919", None),
        (InboundKind.POSTBACK, "3254459154682919", "intent:unlink_account"),  # unlinked on Messenger's side
    ]
    assert events[0][0].message_id.startswith("m_AG5Hz2")


def test_whatsapp_batch_reads_messages_replies_and_statuses_of_our_number_only() -> None:
    account = WhatsAppAccount("sandbox", "s", "v", "t", "106540352242922")
    found = whatsapp.parse(fixture("whatsapp_batch.json")["payload"], account, "sandbox")
    assert [(i.kind, i.text or i.payload) for i in found] == [
        (InboundKind.TEXT, "Does it come in another color?"),
        (InboundKind.POSTBACK, "Help"), (InboundKind.POSTBACK, "My balance"),
        (InboundKind.RECEIPT, "delivered"),
    ]
    assert found[2].payload == "intent:check_balance"


async def test_telegram_updates_and_one_time_deep_links(engine: AsyncEngine, http: httpx.AsyncClient) -> None:
    updates = fixture("telegram_updates.json")
    links = DeepLinks(SqlDeepLinkStore(engine), ttl=timedelta(minutes=1))
    bot = TelegramChannel({"sandbox": TelegramAccount("sandbox", "1:T", "s", bot_username="SarrafBot")}, "sandbox",
                          http, links=links)
    text = (await bot.parse("sandbox", updates["text"])).inbound
    assert text is not None and (text.sender, text.locale, text.message_id) == ("1111111", "pl", "sandbox:10000")
    query = await bot.parse("sandbox", updates["callback_query"])
    assert query.callback_query_id == "4382bfdwdsb323b2d9" and query.inbound.payload == "intent:check_balance"
    link = await bot.deep_link("sandbox")
    payload = link.removeprefix("https://t.me/SarrafBot?start=")
    assert len(payload) <= 64 and telegram.DEEP_LINK_PAYLOAD.match(payload)
    start = updates["start"]
    start["message"]["text"] = f"/start {payload}"
    assert (await bot.parse("other-bank", start)).inbound.payload == "intent:greeting"  # another bot's link
    assert (await bot.parse("sandbox", start)).inbound.payload == "intent:link_account"
    # Used once: the same link again only says hello.
    assert (await bot.parse("sandbox", start)).inbound.payload == "intent:greeting"
    expired = DeepLinks(SqlDeepLinkStore(engine), ttl=timedelta(seconds=-1))
    start["message"]["text"] = f"/start {await expired.issue('sandbox')}"
    assert (await bot.parse("sandbox", start)).inbound.payload == "intent:greeting"
    start["message"]["text"] = "/start not+a/valid*payload"
    assert (await bot.parse("sandbox", start)).inbound.payload == "intent:greeting"


def test_messenger_renders_quick_replies_button_templates_and_receipts() -> None:
    (quick,) = messenger.render(Outbound("Hello", "en", quick_replies=QUICK))
    assert quick == {"text": "Hello", "quick_replies": [
        {"content_type": "text", "title": b.title, "payload": b.payload} for b in QUICK]}
    (invite,) = messenger.render(INVITE)
    assert invite["attachment"]["payload"] == {"template_type": "button", "text": "Log in to link", "buttons": [
        {"type": "web_url", "url": "https://bank/login?s=1", "title": "Log in at Sarraf…"}]}
    receipt = Outbound("Paid", "en", cards=(Card("Ada", (CardLine("To", "Bob"),), "Card 1234"),),
                       extra={"receipt_number": "T-1", "currency": "GBP", "total": "12.50"})
    _, card = messenger.render(receipt)
    payload = card["attachment"]["payload"]
    assert payload["template_type"] == "receipt" and payload["summary"] == {"total_cost": 12.5}
    assert payload["order_number"] == "T-1" and payload["payment_method"] == "Card 1234"


def test_whatsapp_degrades_many_choices_to_a_list_and_links_to_a_call_to_action() -> None:
    (three,) = whatsapp.render(Outbound("Pick", "en", quick_replies=QUICK[:3]), "48500")
    assert three["interactive"]["type"] == "button"
    assert [b["reply"]["id"] for b in three["interactive"]["action"]["buttons"]] == [b.payload for b in QUICK[:3]]
    (four,) = whatsapp.render(Outbound("Pick", "en", quick_replies=QUICK), "48500")
    assert four["interactive"]["type"] == "list"
    assert len(four["interactive"]["action"]["sections"][0]["rows"]) == 4
    many = tuple(Button(f"Option {i}", payload=f"intent:x{i}") for i in range(14))
    (rows,) = whatsapp.render(Outbound("Pick", "en", quick_replies=many), "48500")
    assert len(rows["interactive"]["action"]["sections"][0]["rows"]) == 10
    (cta,) = whatsapp.render(INVITE, "48500")
    assert cta["interactive"] == {"type": "cta_url", "body": {"text": "Log in to link"}, "action": {
        "name": "cta_url", "parameters": {"display_text": "Log in at Sarraf…", "url": "https://bank/login?s=1"}}}


def test_telegram_renders_an_inline_keyboard_without_markup() -> None:
    (body,) = telegram.render(Outbound("Hi <b>", "en", buttons=INVITE.buttons, quick_replies=QUICK[:3]), "77")
    assert body == {"chat_id": "77", "text": "Hi <b>", "reply_markup": {"inline_keyboard": [
        [{"text": "Log in at Sarraf Sandbox Bank", "url": "https://bank/login?s=1"}],
        [{"text": "My balance", "callback_data": "intent:check_balance"},
         {"text": "Transactions", "callback_data": "intent:recent_transactions"}],
        [{"text": "Spending", "callback_data": "intent:spending_summary"}]]}}


async def test_messenger_uses_a_utility_template_outside_the_24_hour_window(
    platform: tuple[FakePlatform, str], http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    fake, url = platform
    now = [datetime(2026, 5, 1, tzinfo=UTC)]
    windows = ServiceWindows(SqlWindowStore(engine, identities_for_tests()), "messenger", clock=lambda: now[0])
    account = MessengerAccount("sandbox", "s", "v", "PAGE-TOKEN", api_url=url, page_id="PAGE")
    channel = MessengerChannel({"sandbox": account}, "sandbox", http, windows, FAST)
    await windows.customer_spoke("sandbox", "42")
    await channel.deliver("42", [Outbound("Your statement is ready", "ar")])
    now[0] += timedelta(hours=24, seconds=1)
    await channel.deliver("42", [Outbound("Your statement is ready", "ar")])
    inside, outside = fake.calls
    assert inside.path == "/PAGE/messages" and inside.headers["authorization"] == "Bearer PAGE-TOKEN"
    assert inside.body == {"recipient": {"id": "42"}, "messaging_type": "UPDATE",
                           "message": {"text": "Your statement is ready"}}
    assert outside.body["messaging_type"] == "UTILITY" and "tag" not in outside.body
    assert outside.body["message"]["template"]["name"] == "sarraf_account_update"
    assert outside.body["message"]["template"]["language"] == {"code": "ar"}


async def test_whatsapp_sends_a_template_when_the_window_is_closed(
    platform: tuple[FakePlatform, str], http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    fake, url = platform
    store = SqlWindowStore(engine, identities_for_tests())
    await ServiceWindows(store, "messenger").customer_spoke("sandbox", "48500")  # Messenger's window is not ours
    account = WhatsAppAccount("sandbox", "s", "v", "WA-TOKEN", "106540352242922", api_url=url)
    channel = WhatsAppChannel({"sandbox": account}, "sandbox", http, ServiceWindows(store, "whatsapp"), FAST)
    await channel.deliver("48500", [Outbound("Salary arrived", "pl")])
    (call,) = fake.calls
    assert call.path == "/106540352242922/messages"
    assert call.body["type"] == "template" and call.body["template"]["language"] == {"code": "pl"}


async def test_throttled_calls_are_retried_after_the_delay_the_platform_asks(
    platform: tuple[FakePlatform, str], http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    fake, url = platform
    fake.fail_next(429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 0.2",
                         "parameters": {"retry_after": 0.2}})
    fake.fail_next(400, {"error": {"message": "(#613) Calls to this api have exceeded the rate limit.",
                                   "type": "OAuthException", "code": 613}})
    channel = TelegramChannel({"sandbox": TelegramAccount("sandbox", "123:ABC", "s", api_url=url)}, "sandbox", http,
                              FAST, per_chat_per_second=1000, links=DeepLinks(SqlDeepLinkStore(engine)))
    await channel.deliver("9", [Outbound("hi", "en")])
    assert fake.paths() == ["/bot123:ABC/sendMessage"] * 3
    assert fake.calls[1].at - fake.calls[0].at >= 0.2


async def test_a_refusal_that_is_not_throttling_is_not_retried(
    platform: tuple[FakePlatform, str], http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    fake, url = platform
    fake.fail_next(400, {"error": {"message": "Invalid parameter", "type": "OAuthException", "code": 100}})
    windows = ServiceWindows(SqlWindowStore(engine, identities_for_tests()), "messenger")
    await windows.customer_spoke("sandbox", "42")
    channel = MessengerChannel({"sandbox": MessengerAccount("sandbox", "s", "v", "t", api_url=url)}, "sandbox",
                               http, windows, FAST)
    with pytest.raises(PlatformError) as refused:
        await channel.reply("42", [Outbound("hi", "en")])
    assert refused.value.code == 100 and len(fake.calls) == 1


async def test_telegram_paces_messages_to_one_chat(
    platform: tuple[FakePlatform, str], http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    fake, url = platform
    clock = VirtualClock()  # the channel waits in virtual time and the platform reads the same clock
    fake.clock = clock
    channel = TelegramChannel({"sandbox": TelegramAccount("sandbox", "1:T", "s", api_url=url)}, "sandbox", http,
                              FAST, per_chat_per_second=5, links=DeepLinks(SqlDeepLinkStore(engine)),
                              limits=LocalRateLimits(clock=clock, sleep=clock.sleep))
    await channel.deliver("9", [Outbound("one", "en"), Outbound("two", "en"), Outbound("three", "en")])
    await channel.deliver("10", [Outbound("other chat", "en")])
    start = fake.calls[0].at
    # 5 a second → 0.2 s apart; the other chat goes at once, not after another 0.2 s
    assert [call.at - start for call in fake.calls] == pytest.approx([0.0, 0.2, 0.4, 0.4])


async def test_rate_limiter_allows_a_burst_then_spaces_calls() -> None:
    clock = [0.0]
    limiter = RateLimiter(300, burst=300, clock=lambda: clock[0])
    waits = [await limiter.reserve("page") for _ in range(301)]
    assert max(waits[:300]) == 0 and waits[300] == pytest.approx(1 / 300)
