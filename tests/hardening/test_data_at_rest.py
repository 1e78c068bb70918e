"""Finding 5 of #17: bank data in clear at rest. After a scripted web-chat session (link the account, balances,
transactions, spending, the data export, a secure page) and a Messenger customer's (link, alerts on, a card
payment and a suspected fraud alerted to them, a payment asked for, a person asked for), every table of the
gateway's database and every file of its data folder (raw bytes, WAL included) is searched for both customers'
balances, IBANs and names, the chat's session id, the Messenger PSID and the secure links' tokens. The data folder
is 0700 and the database and key files 0600.

The sandbox bank's own state (sandbox-bank.db) is the bank's, not the gateway's, and is left out."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import stat
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from sarraf.domain.money import Money
from sarraf.i18n.replies import format_money
from sarraf.sandbox_bank.profiles import PROFILES
from tests.alerts.channel_world import ChannelWorld, channel_gateway, login_url
from tests.alerts.helpers import simulate
from tests.integration.helpers import ChatClient, bank_balances

CUSTOMER = "sandbox-pl-1"  # in the web chat
ON_MESSENGER, PSID = "sandbox-en-1", "7723019485561"  # a Messenger customer, known by their PSID
FRAUD = {"merchant": "ELECTRO SAO PAULO", "amount": "749.99"}
BANK_OWN = ("sandbox-bank",)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    home = tmp_path_factory.mktemp("at-rest") / "sarraf-home"
    with channel_gateway(home) as world:
        secrets_seen = asyncio.run(_session(world))
        yield home, secrets_seen


async def _on_messenger(world: ChannelWorld, http: httpx.AsyncClient) -> list[str]:
    """The Messenger customer links, turns alerts on, is alerted (a card payment, a suspected fraud: a case
    waiting for their answer), asks to pay someone and asks for a person; what must not be stored."""
    world.http = http
    await world.messenger(PSID, "link my account")
    (invite,) = await world.wait_for(PSID, 0, 1)
    await world.link(login_url(invite), ON_MESSENGER)
    await world.messenger(PSID, "turn on alerts")
    await world.wait_for(PSID, 0, 3)
    for event, options in (("card-payment", {"merchant": "Kiosk", "amount": "312.40"}), ("suspected-fraud", FRAUD)):
        start = len(world.sent_to(PSID))
        await simulate(http, world.gateway(), event, ON_MESSENGER, **options)
        await world.wait_for(PSID, start, 1)  # delivered: the outbox opened the address it keeps hashed
    for said in ("send £6.42 to Alice Smith for dinner", "I want to talk to a person"):
        start = len(world.sent_to(PSID))
        await world.messenger(PSID, said)
        await world.wait_for(PSID, start, 1)
    async with world.app.state.container.engine.connect() as conn:  # every table the session should reach
        reached = {table: (await conn.exec_driver_sql(f'SELECT count(*) FROM "{table}"')).scalar()
                   for table in ("alert_outbox", "alert_preferences", "alert_fraud_cases", "handoff_requests",
                                 "payments")}
    assert all(reached.values()), reached
    return [PSID, "amount:312.40", f"amount:{FRAUD['amount']}"]


async def _session(world: ChannelWorld) -> str:
    """The scripted session; returns what it saw that must not be stored (session id, secure-link tokens)."""
    url = world.url
    async with httpx.AsyncClient(timeout=60) as http:
        chat = ChatClient(http, url)
        await chat.link(await chat.say("połącz moje konto"), CUSTOMER)
        found = await bank_balances(http, f"{url}/bank", CUSTOMER, f"{url}/link/callback")  # the bank's own API
        seen = [f"amount:{b.amount.amount}" for listed in found.values() for b in listed] + [chat.session]
        shown = " ".join(r["text"] for r in await chat.say("jakie mam saldo?"))
        assert format_money(Money(found["Konto osobiste"][0].amount.amount, "PLN"), "pl") in shown  # it flowed
        for question in ( "pokaż moje ostatnie transakcje", "ile wydałem w tym miesiącu?",
                         "jakie dane o mnie przechowujecie?"):
            for reply in await chat.say(question):
                for button in reply.get("buttons", []):
                    if button.get("url") and "/secure/" in button["url"]:
                        assert (await http.get(button["url"])).status_code == 200
                        seen.append(button["url"].rsplit("/", 1)[1])
        await chat.updates()
        await chat.updates()  # acknowledges what the page received
        tokens = [s for s in seen if not s.startswith("amount:")]
        assert len(tokens) >= 2 and len(seen) - len(tokens) >= 2, seen  # the export page opened, balances known
        seen += await _on_messenger(world, http)
        return "\n".join(seen)


def _forbidden(secrets_seen: str) -> dict[str, str]:
    words: dict[str, str] = {}
    for profile in (p for p in PROFILES if p.customer_id in (CUSTOMER, ON_MESSENGER)):
        words |= {f"name {profile.name}": profile.name, **{f"IBAN {a.identification}": a.identification
                                                           for a in profile.accounts}}
    profile = next(p for p in PROFILES if p.customer_id == CUSTOMER)
    for amount in (Decimal(s.removeprefix("amount:")) for s in secrets_seen.splitlines() if s.startswith("amount:")):
        if abs(amount) >= 100:
            words[f"balance {amount}"] = f"{amount:.2f}"
            words[f"balance {amount} with comma"] = f"{amount:.2f}".replace(".", ",")
            words[f"balance {amount} as shown"] = format_money(Money(amount, profile.currency), "pl")
    for token in (s for s in secrets_seen.splitlines() if not s.startswith("amount:")):
        words[f"token {token[:8]}…"] = token
    return words


def _rows(database: Path) -> Iterator[tuple[str, str]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                yield table, " | ".join(str(v) for v in row)


def test_no_bank_data_names_or_tokens_in_any_table(home: tuple[Path, str]) -> None:
    folder, seen = home
    words = _forbidden(seen)
    found = [(what, table) for table, row in _rows(folder / "sarraf.db") for what, word in words.items()
             if word in row]
    assert found == [], sorted(set(found))


def test_no_bank_data_names_or_tokens_in_any_file(home: tuple[Path, str]) -> None:
    folder, seen = home
    words = _forbidden(seen)
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and not path.name.startswith(BANK_OWN):
            raw = path.read_bytes()
            found += [(what, path.name) for what, word in words.items() if word.encode() in raw]
    assert found == [], sorted(set(found))


def test_data_folder_0700_and_files_0600(home: tuple[Path, str]) -> None:
    folder, _ = home
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    for path in folder.rglob("*"):
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if path.is_dir():
            assert mode & 0o077 == 0, (path, oct(mode))
        else:
            assert mode & 0o077 == 0, (path, oct(mode))
    for name in ("sarraf.db", "sarraf.db-wal"):
        assert stat.S_IMODE(os.stat(folder / name).st_mode) == 0o600, name
    assert any(re.match(r"master-v\d+\.key", p.name) for p in (folder / "keys").iterdir())
