"""The real connector (banks/openbanking.py) against a bank that answers like real banks do
(tests/support/quirky_bank.py, real HTTP on 127.0.0.1), and chat turns against it (#17, connector checks):
what can be read is read (absent optional fields, unknown enums, extra fields, odd amounts, currencies and
dates, pages that repeat entries and a `Next` link loop); a bank that is slow (10 s, bounded by the bank's
`timeout_seconds`), cuts its answer or resets the connection is BankUnavailable; nothing else escapes, and
the customer is told plainly, in their language, within a bounded time."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from sarraf.banks.openbanking import OpenBankingConnector
from sarraf.config import Settings
from sarraf.domain.consent import Tokens
from sarraf.domain.errors import BankUnavailable
from sarraf.i18n.replies.catalog import catalog
from sarraf.i18n.replies.formatting import strip_bidi_marks
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread
from tests.integration.helpers import ChatClient
from tests.support.live_server import serve
from tests.support.quirky_bank import ACCOUNT, SLOW_S, Grants, quirky_bank, resetting_server

TOKENS = Tokens("access", "refresh", datetime.now(UTC) + timedelta(minutes=5))
BOUND_S = 0.5  # the test banks' timeout_seconds: the slow bank answers only after SLOW_S
AGREEMENT = Path(__file__).resolve().parents[2] / "src/sarraf/policy/agreements/default.cedar"
GRANTS = Grants()  # the bank's linking state: codes, tokens issued, bearers seen


@pytest.fixture(scope="module")
def bank() -> Iterator[str]:
    with serve(quirky_bank(GRANTS)) as url:
        yield url


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def _connector(http: httpx.AsyncClient, url: str) -> OpenBankingConnector:
    return OpenBankingConnector(http, base_url=url, client_id="sarraf", client_secret="s", financial_id="f",
                                tenant="quirky", timeout_s=BOUND_S)


async def test_accounts_with_absent_optional_fields_and_unknown_codes(bank: str, http: httpx.AsyncClient) -> None:
    first, bare = await _connector(http, bank + "/ok").accounts(TOKENS)
    assert (first.account_id, first.currency, first.account_type) == (ACCOUNT, "gbp", "Weird/XXXX")
    assert first.identification == "80200110203345"
    assert (bare.account_id, bare.nickname, bare.currency, bare.identification) == ("acc-2", "acc-2", "", "")


async def test_balances_with_numbers_iso_codes_and_odd_dates(bank: str, http: httpx.AsyncClient) -> None:
    held, owed = await _connector(http, bank + "/ok").balances(TOKENS, ACCOUNT)
    assert (held.amount.amount, held.amount.currency, held.balance_type) == (Decimal("1234.5"), "GBP", "ZZZZ")
    assert held.as_of == datetime(2026, 12, 1, 10, 0, 0, 123456, tzinfo=UTC)  # nanoseconds cut to micro
    assert owed.amount.amount == Decimal("-20.00") and owed.as_of == datetime(2026, 12, 1, tzinfo=UTC)


async def test_paging_repeats_and_a_next_loop_end_with_each_transaction_once(bank: str,
                                                                            http: httpx.AsyncClient) -> None:
    found = await _connector(http, bank + "/ok").transactions(TOKENS, ACCOUNT, None, None)
    assert [t.transaction_id for t in found] == ["t1", "t2", "t3", ""]  # t2 came twice, page 1 twice
    assert [t.amount.amount for t in found] == [Decimal("1.50"), Decimal("2"), Decimal("3.25"), Decimal("4")]
    assert {t.amount.currency for t in found} == {"GBP"} and {t.extra["status"] for t in found} == {"Mystery"}


@pytest.mark.parametrize("call", ["accounts", "balances", "transactions", "start_linking"])
@pytest.mark.parametrize("where", ["/slow", "/cut", "reset"])
async def test_slow_cut_and_reset_answers_are_bank_unavailable_in_bounded_time(
        bank: str, http: httpx.AsyncClient, where: str, call: str) -> None:
    with resetting_server() as reset_url:
        connector = _connector(http, reset_url if where == "reset" else bank + where)
        started = time.monotonic()
        with pytest.raises(BankUnavailable):
            if call == "accounts":
                await connector.accounts(TOKENS)
            elif call == "balances":
                await connector.balances(TOKENS, ACCOUNT)
            elif call == "transactions":
                await connector.transactions(TOKENS, ACCOUNT, None, None)
            else:
                await connector.start_linking(["ReadBalances"], "http://127.0.0.1/cb")
        assert time.monotonic() - started < SLOW_S / 2  # the bank's own bound, not its 10 s


@contextmanager
def _gateway(home: Path, bank_id: str, name: str, base_url: str) -> Iterator[str]:
    """A gateway with one bank, with `timeout_seconds` set for it in the banks file."""
    (home / "banks.yaml").write_text(
        f"banks:\n  - id: {bank_id}\n    name: {name}\n    base_url: {base_url}\n    client_id: sarraf\n"
        f"    client_secret: s\n    agreement: {AGREEMENT}\n    timeout_seconds: {BOUND_S}\n", encoding="utf-8")
    port = free_port()
    settings = Settings(data_dir=home, database_url=f"sqlite+aiosqlite:///{home / 'db.sqlite'}",
                        banks_file=home / "banks.yaml", public_url=f"http://127.0.0.1:{port}", port=port)
    with serve_in_thread(create_app(settings), port=port) as url:
        yield url


@pytest.fixture(scope="module")
def gateway(bank: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A gateway whose bank answers after 10 s."""
    with _gateway(tmp_path_factory.mktemp("quirky"), "slowbank", "Slow Bank", f"{bank}/slow") as url:
        yield url


@pytest.fixture(scope="module")
def quirky_gateway(bank: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A gateway whose bank answers at once, the way real banks do."""
    with _gateway(tmp_path_factory.mktemp("quirky-ok"), "quirkybank", "Quirky Bank", f"{bank}/ok") as url:
        yield url


async def test_linked_by_the_full_oauth_flow_the_quirky_bank_is_read(quirky_gateway: str,
                                                                      http: httpx.AsyncClient) -> None:
    """Not a token made up for the test: the customer links through /authorize and /token (PKCE checked by
    the bank), and the balance asked for afterwards is read from the quirky answers with that token."""
    chat = ChatClient(http, quirky_gateway)
    seen, issued = len(GRANTS.bearers), len(GRANTS.issued)  # the module's other tests use the bank too
    invite = await chat.say("link my account")
    url = next(b["url"] for r in invite for b in r["buttons"] if b["url"])
    for _ in range(5):  # our start page, the bank's /authorize, back to our callback
        answer = await http.get(url, follow_redirects=False)
        if answer.status_code not in (302, 303, 307) or "/link/callback" in url:
            break
        url = str(answer.next_request.url) if answer.next_request else answer.headers["location"]
    assert "/link/callback" in url and answer.status_code == 303, (url, answer.status_code, answer.text)
    assert len(GRANTS.issued) == issued + 1 and not GRANTS.codes  # one code, exchanged once
    await chat.updates()
    (balance,) = await chat.say("what's my balance?")
    # the interim available balance ("20.00", "Debit") beside an unknown type sent as a JSON number
    assert "acc-1 (••3345): -£20.00" in balance["text"], balance
    # the bank answers acc-1's balances for acc-2's path too: they are not shown under acc-2's name
    assert "acc-2" not in balance["text"], balance
    assert GRANTS.bearers[seen:] and set(GRANTS.bearers[seen:]) == {GRANTS.issued[-1]}  # the linked token


@pytest.mark.parametrize(("lang", "words"), [("en", "what's my balance?"), ("pl", "jakie mam saldo?"),
                                              ("ar", "كم رصيدي؟")])
async def test_a_chat_turn_against_a_slow_bank_is_told_plainly_in_time(gateway: str, http: httpx.AsyncClient,
                                                                       lang: str, words: str) -> None:
    started = time.monotonic()
    replies = await ChatClient(http, gateway).say(words)  # not linked: inviting asks the bank for a consent
    took = time.monotonic() - started
    expected = strip_bidi_marks(catalog().text(lang, "bank_down", bank="Slow Bank"))
    assert [strip_bidi_marks(reply["text"]) for reply in replies] == [expected], replies
    assert took < SLOW_S / 2, took
