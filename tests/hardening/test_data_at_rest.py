"""Finding 5 of #17: bank data in clear at rest. After a scripted web-chat session (link the account, balances,
transactions, spending, the data export, a secure page) every table of the gateway's database and every file of
its data folder (raw bytes, WAL included) is searched for the customer's balances, IBANs, name, the chat's session
id and the secure link's token. The data folder is 0700 and the database and key files 0600.

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

from sarraf.config import Settings
from sarraf.conversation.replies import format_money
from sarraf.domain.money import Money
from sarraf.sandbox_bank.profiles import PROFILES
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread
from tests.integration.helpers import ChatClient, bank_balances

BANKS = Path(__file__).resolve().parents[2] / "src/sarraf/banks.yaml"
CUSTOMER = "sandbox-pl-1"
BANK_OWN = ("sandbox-bank.db",)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    home = tmp_path_factory.mktemp("at-rest") / "sarraf-home"
    port = free_port()
    settings = Settings(data_dir=home, database_url=f"sqlite+aiosqlite:///{home / 'sarraf.db'}", banks_file=BANKS,
                        public_url=f"http://127.0.0.1:{port}", port=port)
    with serve_in_thread(create_app(settings), port=port) as url:
        secrets_seen = asyncio.run(_session(url))
        yield home, secrets_seen


async def _session(url: str) -> str:
    """The scripted session; returns what it saw that must not be stored (session id, secure-link tokens)."""
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
        return "\n".join(seen)


def _forbidden(secrets_seen: str) -> dict[str, str]:
    profile = next(p for p in PROFILES if p.customer_id == CUSTOMER)

    words = {f"name {profile.name}": profile.name, **{f"IBAN {a.identification}": a.identification
                                                      for a in profile.accounts}}
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
