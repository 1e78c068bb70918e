"""Payments abroad on the platforms, end to end over HTTP (issue #12). Telegram is masked: the bank's rate, what
the payee receives and the quote's expiry (in UTC) in the chat, the foreign IBAN masked. Messenger is link_only:
no figure enters the platform's chat; the secure page shows them with the expiry in UTC, and a quote that expired
before the customer confirmed is never used — the page shows a fresh one to confirm instead."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from sarraf.banks.sandbox_login import complete_sandbox_login, complete_sandbox_sca
from sarraf.config import Settings
from sarraf.domain.payments import PaymentState
from sarraf.store.address_sealing import Addresses
from sarraf.store.database import make_engine
from sarraf.store.identity_sealing import IdentityCodec
from sarraf.store.key_store import open_envelope_cipher
from sarraf.store.payments import SqlPayments
from sarraf.store.tables.payments import payments
from tests.channels.fake_platform import fixture
from tests.channels.test_gateway_channels import (
    TG_SECRET,
    World,
    _link,
    _messenger_text,
    _signed,
    _telegram_text,
    world,  # noqa: F401  (the module-scoped gateway with every platform)
)

SISTER_IBAN = "DE89370400440532013000"
ASK = "wyślij 300 zł siostrze w Niemczech"
UNTIL = re.compile(r"(\d\d:\d\d)\s*UTC")


def fresh(shown: str, at: datetime) -> bool:
    """An expiry shown as HH:mm UTC that is one of the bank's: some 10 minutes after `at`."""
    return shown in {(at + timedelta(minutes=m)).strftime("%H:%M") for m in range(9, 12)}


async def test_telegram_pays_abroad_masked_with_the_quote_in_utc(world: World, http: httpx.AsyncClient) -> None:  # noqa: F811
    world.fake.calls.clear()
    headers = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
    path = world.url + "/channels/telegram/webhook"
    assert (await http.post(path, json=_telegram_text(601, 8102, ASK, "pl"), headers=headers)).status_code == 200
    ((login,),) = world.fake.calls[-1].body["reply_markup"]["inline_keyboard"]
    asked_at = datetime.now(UTC)
    await _link(http, login["url"], "sandbox-pl-1")
    confirmation = world.fake.calls[-1].body
    text = confirmation["text"]
    assert "300,00" in text and "Magdalena Kowalska" in text and "€" in text and "3000" in text, text
    assert (until := UNTIL.search(text)) is not None and fresh(until.group(1), asked_at), text
    assert SISTER_IBAN not in json.dumps(confirmation)  # masked: the foreign account number never in full
    buttons = [b for row in confirmation["reply_markup"]["inline_keyboard"] for b in row]
    confirm = next(b["callback_data"] for b in buttons if b.get("callback_data", "").startswith("pay:confirm:"))
    query = fixture("telegram_updates.json")["callback_query"]
    query["update_id"] = 602
    query["callback_query"]["message"]["chat"]["id"] = 8102
    query["callback_query"]["data"] = confirm
    assert (await http.post(path, json=query, headers=headers)).status_code == 200
    authorise = world.fake.calls[-1].body
    start = next(b["url"] for row in authorise["reply_markup"]["inline_keyboard"] for b in row
                 if "/pay/start/" in b.get("url", ""))
    assert (await http.get(await complete_sandbox_sca(http, start, username="sandbox-pl-1"))).status_code == 200
    told = world.fake.calls[-1].body["text"]
    assert told.startswith("Wysłano: 300,00") and "Magdalena Kowalska" in told, told


# the amount as a figure of its own ("300,00"), never the digits inside a button's random token ("…a803005c…")
_AMOUNT = re.compile(r"(?<![0-9A-Za-z])300(?![0-9A-Za-z])")


async def _messenger_page(world: World, http: httpx.AsyncClient, psid: str, mid: str) -> str:  # noqa: F811
    """Ask on Messenger, log in at the bank; the secure page's URL (and nothing of the payment in the chat)."""
    raw, headers = _signed(_messenger_text(psid, mid, ASK))
    assert (await http.post(world.url + "/channels/messenger/webhook", content=raw, headers=headers)).status_code == 200
    (button,) = world.fake.calls[-1].body["message"]["attachment"]["payload"]["buttons"]
    messenger_return = "https://www.facebook.com/messenger_platform/account_linking/?account_linking_token=T0K"
    opened = httpx.URL(button["url"], params={"redirect_uri": messenger_return, "account_linking_token": "T0K"})
    assert (await http.get(await complete_sandbox_login(http, str(opened), username="sandbox-pl-1"))).status_code == 303
    in_chat = json.dumps([c.body for c in world.fake.calls], ensure_ascii=False)
    assert not _AMOUNT.search(in_chat) and "Magdalena" not in in_chat and "EUR" not in in_chat and "€" not in in_chat
    return str(next(b["url"] for b in world.fake.calls[-1].body["message"]["attachment"]["payload"]["buttons"]
                    if "/secure/" in b.get("url", "")))


async def test_messenger_shows_the_quote_only_on_the_secure_page(world: World, http: httpx.AsyncClient) -> None:  # noqa: F811
    world.fake.calls.clear()
    asked_at = datetime.now(UTC)
    page = await http.get(await _messenger_page(world, http, "7102", "m_abroad_1"), follow_redirects=True)
    assert page.status_code == 200 and "300,00" in page.text and "Magdalena Kowalska" in page.text, page.text
    assert "Kurs ważny do" in page.text and "Odbiorca otrzyma" in page.text
    assert (until := UNTIL.search(page.text)) is not None and fresh(until.group(1), asked_at), page.text
    form = re.search(r'action="(/pay/review/[^"]+)"', page.text)
    assert form is not None
    to_bank = await http.post(world.url + form.group(1), data={"decision": "confirm"}, follow_redirects=False)
    assert to_bank.status_code == 303, to_bank.text
    assert (await http.get(await complete_sandbox_sca(http, to_bank.headers["location"],
                                                      username="sandbox-pl-1"))).status_code == 200
    after = json.dumps([c.body for c in world.fake.calls], ensure_ascii=False)
    assert not _AMOUNT.search(after) and "Magdalena" not in after, after
    assert world.fake.calls[-1].body["message"]["text"].startswith("Przelew został wysłany.")


async def _expire_the_quote(tmp_path_factory: pytest.TempPathFactory, stale: datetime) -> None:
    """Move the quote kept with the payment awaiting its confirmation into the past, as time would."""
    numbered = [(int(m.group(1)), p) for p in tmp_path_factory.getbasetemp().iterdir()
                if (m := re.fullmatch(r"channels-home(\d+)", p.name))]
    home: Path = max(numbered)[1]  # this module's gateway: the newest
    engine = make_engine(f"sqlite+aiosqlite:///{home / 'sarraf.db'}")
    try:
        settings = Settings(data_dir=home, database_url="sqlite://", banks_file=home / "banks.yaml",
                            public_url="http://x")
        cipher = open_envelope_cipher(settings, engine)
        repo = SqlPayments(engine, cipher, Addresses(IdentityCodec(cipher.keys)))
        async with engine.connect() as conn:
            (payment_id,) = (await conn.execute(payments.select().with_only_columns(payments.c.payment_id).where(
                payments.c.state == PaymentState.AWAITING_CONFIRMATION.value))).one()
        p = await repo.get(payment_id)
        assert p is not None and p.extra.get("expires")
        assert await repo.update(p, p.with_(extra={**p.extra, "expires": stale.isoformat()}))
    finally:
        await engine.dispose()


async def test_an_expired_quote_is_replaced_on_the_secure_page(
        world: World, http: httpx.AsyncClient, tmp_path_factory: pytest.TempPathFactory) -> None:  # noqa: F811
    world.fake.calls.clear()
    page = await http.get(await _messenger_page(world, http, "7103", "m_abroad_2"), follow_redirects=True)
    assert page.status_code == 200, page.text
    stale = datetime.now(UTC) - timedelta(hours=2, minutes=7)
    await _expire_the_quote(tmp_path_factory, stale)
    form = re.search(r'action="(/pay/review/[^"]+)"', page.text)
    assert form is not None
    asked_at = datetime.now(UTC)
    again = await http.post(world.url + form.group(1), data={"decision": "confirm"}, follow_redirects=False)
    assert again.status_code == 200, again.text  # not on to the bank: a fresh quote to check first
    assert "Podany kurs wymiany już nie obowiązuje" in again.text, again.text
    assert (until := UNTIL.search(again.text)) is not None, again.text
    assert until.group(1) != stale.strftime("%H:%M") and fresh(until.group(1), asked_at), again.text
    to_bank = await http.post(world.url + form.group(1), data={"decision": "confirm"}, follow_redirects=False)
    assert to_bank.status_code == 303, to_bank.text  # the fresh quote is the one authorised
