"""Finding 9 of issue #22: a foreign bank's odd answers get one true message each, never contradictory ones.

The gateway serves a bank that is not the sandbox (tests/integration/foreign_bank.py), reached over HTTP by the
real Open Banking connector. Each test makes the bank answer one way after the login and drives the web chat.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

import sarraf
from sarraf.banks.sandbox_login import complete_sandbox_login
from sarraf.config import load_settings
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread
from tests.integration.foreign_bank import ForeignBank
from tests.integration.helpers import ChatClient

AGREEMENT = Path(sarraf.__file__).parent / "policy" / "agreements" / "default.cedar"


@dataclass
class World:
    url: str
    bank: ForeignBank


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    bank = ForeignBank()
    with serve_in_thread(bank.app()) as bank_url:
        home = tmp_path_factory.mktemp("foreign-home")
        banks_file = home / "banks.yaml"
        banks_file.write_text(
            "banks:\n  - id: foreign\n    name: Foreign Bank\n"
            f"    base_url: {bank_url}\n    client_id: sarraf\n    client_secret: s3cret\n"
            f"    agreement: {AGREEMENT}\n    default_language: en\n", encoding="utf-8")
        port = free_port()
        env = {"SARRAF_HOME": str(home), "SARRAF_PORT": str(port), "SARRAF_PUBLIC_URL": f"http://127.0.0.1:{port}",
               "SARRAF_DATABASE_URL": f"sqlite+aiosqlite:///{home / 'sarraf.db'}",
               "SARRAF_BANKS_FILE": str(banks_file)}
        with pytest.MonkeyPatch.context() as patch:
            for key, value in env.items():
                patch.setenv(key, value)
            settings = load_settings()
        with serve_in_thread(create_app(settings), port=port) as url:
            yield World(url, bank)


@pytest.fixture
async def chat(world: World) -> AsyncIterator[ChatClient]:
    world.bank.quirks.reset()
    async with httpx.AsyncClient(timeout=30) as http:
        yield ChatClient(http, world.url)


async def _login(chat: ChatClient) -> tuple[httpx.Response, list[str]]:
    """Ask for the balance, log in at the foreign bank; the callback page and what the chat then said."""
    (invite,) = await chat.say("what's my balance?")
    redirect = await complete_sandbox_login(chat.http, invite["buttons"][0]["url"], username="anyone")
    page = await chat.http.get(redirect)
    return page, [r["text"] for r in await chat.updates()]


def _back_to_the_chat(page: httpx.Response) -> bool:
    """A web chat login that linked nothing returns the customer to the chat tab, where the reason is said."""
    return page.status_code == 303 and page.headers["location"].endswith("linked=0")


async def test_an_already_expired_consent_links_nothing_and_says_so(chat: ChatClient, world: World) -> None:
    world.bank.quirks.expires_in = -timedelta(hours=1)
    world.bank.quirks.permissions = ["ReadAccountsBasic"]
    page, said = await _login(chat)
    assert _back_to_the_chat(page)  # the web chat shows why: "already expired"
    assert not any("linked" in text.lower() and "not" not in text.lower() for text in said)
    assert any("already expired" in text for text in said)
    # What we hold agrees: no bank link, as the chat said.
    held = await chat.say("what data do you hold about me?")
    assert "no bank link" in held[0]["text"]
    assert (await chat.say("what's my balance?"))[0]["buttons"]  # asked to log in again, not refused


async def test_a_rejected_consent_links_nothing(chat: ChatClient, world: World) -> None:
    world.bank.quirks.status = "RJCT"
    page, said = await _login(chat)
    assert _back_to_the_chat(page)  # the web chat shows why: "did not authorise"
    assert any("did not authorise" in text for text in said)


async def test_account_names_only_is_explained_not_linked(chat: ChatClient, world: World) -> None:
    world.bank.quirks.permissions = ["ReadAccountsBasic"]
    page, said = await _login(chat)
    assert _back_to_the_chat(page)  # the web chat shows why: "account names only"
    assert any("account names only" in text for text in said)
    assert (await chat.say("what's my balance?"))[0]["buttons"]


async def test_balances_without_transactions_links_and_says_what_is_missing(chat: ChatClient, world: World) -> None:
    world.bank.quirks.permissions = ["ReadAccountsBasic", "ReadAccountsDetail", "ReadBalances"]
    page, said = await _login(chat)
    assert page.status_code == 303  # back to the web chat page
    assert any("granted only balances" in text and "transactions are not available" in text for text in said)
    assert said[0].startswith("Your accounts at Foreign Bank are now linked") and "321.09" in said[-1]
    # Transactions: the bank did not grant them, which is not the agreement forbidding them.
    refused = (await chat.say("show my recent transactions"))[0]["text"]
    assert "did not grant" in refused and "agreement" not in refused


async def test_a_next_link_to_another_host_is_not_called_unreachable(chat: ChatClient, world: World) -> None:
    page, _ = await _login(chat)
    assert page.status_code == 303
    world.bank.quirks.next_link = "https://elsewhere.example/open-banking/v4.0/aisp/accounts/FB-0001/transactions"
    refused = (await chat.say("show my recent transactions"))[0]["text"]
    assert "can't safely follow" in refused and "can't reach" not in refused
    world.bank.quirks.next_link = None
    world.bank.quirks.transactions_down = True
    down = (await chat.say("show my recent transactions"))[0]["text"]
    assert "can't reach" in down
