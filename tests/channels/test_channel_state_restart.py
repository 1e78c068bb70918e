"""Channel state outlives the process: a second gateway container built on the same database (SQLite and
PostgreSQL, schema from the Alembic migrations as at every start) still knows the 24-hour windows, redeems
a Telegram deep link issued before the restart exactly once, and speaks the Alexa messages that waited."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sarraf.bootstrap import Gateway, build
from sarraf.channels.alexa import AlexaChannel
from sarraf.channels.messenger import MessengerChannel
from sarraf.channels.telegram import TelegramChannel
from sarraf.channels.whatsapp import WhatsAppChannel
from sarraf.config import Settings, load_settings
from sarraf.domain.messages import Button, Card, CardLine, Outbound
from sarraf.store.channel_state import SqlAlexaPending
from tests.channels.fake_platform import fixture
from tests.support.postgres import empty_database

CHANNEL_ENV = {
    "SARRAF_MESSENGER_APP_SECRET": "s", "SARRAF_MESSENGER_VERIFY_TOKEN": "v", "SARRAF_MESSENGER_PAGE_TOKEN": "p",
    "SARRAF_WHATSAPP_APP_SECRET": "s", "SARRAF_WHATSAPP_VERIFY_TOKEN": "v", "SARRAF_WHATSAPP_ACCESS_TOKEN": "a",
    "SARRAF_WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
    "SARRAF_TELEGRAM_BOT_TOKEN": "1:T", "SARRAF_TELEGRAM_SECRET_TOKEN": "secret",
    "SARRAF_TELEGRAM_BOT_USERNAME": "SarrafBot",
    "SARRAF_ALEXA_SKILL_ID": "amzn1.ask.skill.restart",
}
UNREACHABLE_BANK = {"sandbox": "http://127.0.0.1:9/bank"}  # nothing here talks to the bank


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with empty_database(request.param, tmp_path / "sarraf.db", "sarraf_restart") as url:
        yield url


@pytest.fixture
def settings(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key, value in {**CHANNEL_ENV, "SARRAF_HOME": str(tmp_path / "home"),
                       "SARRAF_DATABASE_URL": database_url}.items():
        monkeypatch.setenv(key, value)
    return load_settings()


@pytest.fixture
async def started(settings: Settings) -> AsyncIterator[list[Gateway]]:
    """Gateways built by the test, closed at its end whatever happens."""
    built: list[Gateway] = []
    yield built
    for container in built:
        await container.aclose()


async def _start(settings: Settings, built: list[Gateway]) -> Gateway:
    container = await build(settings, bank_urls=UNREACHABLE_BANK)
    built.append(container)
    return container


def _start_update(update_id: int, payload: str) -> dict[str, object]:
    update = fixture("telegram_updates.json")["start"]
    update["update_id"] = update_id
    update["message"]["text"] = f"/start {payload}"
    return update


async def test_windows_deep_links_and_waiting_alexa_messages_survive_a_restart(
    settings: Settings, started: list[Gateway]
) -> None:
    waiting = Outbound("تم ربط حسابك.", "ar", buttons=(Button("افتح", url="https://gateway.example/secure/x"),),
                       cards=(Card("رصيد", (CardLine("الحساب", "•••• 1234"),)),), extra={"link_state": "s"})
    first = await _start(settings, started)
    messenger = first.channels.channels["messenger"]
    telegram = first.channels.channels["telegram"]
    alexa = first.channels.channels["alexa"]
    assert isinstance(messenger, MessengerChannel) and isinstance(telegram, TelegramChannel)
    assert isinstance(alexa, AlexaChannel)
    await messenger.windows.customer_spoke("sandbox", "psid-open")
    await messenger.windows.customer_spoke("sandbox", "psid-old", at=datetime.now(UTC) - timedelta(hours=25))
    link = await telegram.deep_link("sandbox")
    payload = link.removeprefix("https://t.me/SarrafBot?start=")
    await alexa.deliver("amzn1.ask.account.WAITING", [waiting])
    await first.aclose()
    started.remove(first)

    second = await _start(settings, started)
    messenger = second.channels.channels["messenger"]
    whatsapp = second.channels.channels["whatsapp"]
    telegram = second.channels.channels["telegram"]
    alexa = second.channels.channels["alexa"]
    assert isinstance(messenger, MessengerChannel) and isinstance(whatsapp, WhatsAppChannel)
    assert isinstance(telegram, TelegramChannel) and isinstance(alexa, AlexaChannel)
    assert await messenger.windows.is_open("sandbox", "psid-open")
    assert not await messenger.windows.is_open("sandbox", "psid-old")  # closed before the restart, still closed
    assert not await whatsapp.windows.is_open("sandbox", "psid-open")  # windows are per platform
    assert (await telegram.parse("sandbox", _start_update(1, payload))).inbound.payload == "intent:link_account"
    assert (await telegram.parse("sandbox", _start_update(2, payload))).inbound.payload == "intent:greeting"
    assert await alexa.take_pending("amzn1.ask.account.WAITING") == [waiting]
    assert await alexa.take_pending("amzn1.ask.account.WAITING") == []


async def test_a_deep_link_redeemed_by_concurrent_updates_is_consumed_once(
    settings: Settings, started: list[Gateway]
) -> None:
    container = await _start(settings, started)
    telegram = container.channels.channels["telegram"]
    assert isinstance(telegram, TelegramChannel)
    payload = (await telegram.deep_link("sandbox")).rsplit("=", 1)[-1]
    updates = await asyncio.gather(*(telegram.parse("sandbox", _start_update(i, payload)) for i in range(8)))
    assert sorted(u.inbound.payload for u in updates if u.inbound) == ["intent:greeting"] * 7 + ["intent:link_account"]


async def test_alexa_keeps_only_the_latest_waiting_messages_and_drops_stale_ones(
    settings: Settings, started: list[Gateway]
) -> None:
    container = await _start(settings, started)
    alexa = container.channels.channels["alexa"]
    assert isinstance(alexa, AlexaChannel)
    await alexa.deliver("amzn1.ask.account.MANY", [Outbound(f"message {i}", "en") for i in range(12)])
    kept = await alexa.take_pending("amzn1.ask.account.MANY")
    assert [m.text for m in kept] == [f"message {i}" for i in range(2, 12)]
    yesterday = AlexaChannel(alexa.accounts, "sandbox", alexa.verifier,
                          pending=SqlAlexaPending(container.web.engine, container.web.addresses),
                             identities=container.web.customers, clock=lambda: datetime.now(UTC) - timedelta(hours=25))
    await yesterday.deliver("amzn1.ask.account.STALE", [Outbound("old news", "pl")])
    assert await alexa.take_pending("amzn1.ask.account.STALE") == []
