"""Privacy that can be proved: see, export and erase what we hold; nothing sensitive at rest or in logs."""

from __future__ import annotations

import logging
import logging.config
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sarraf.channels import webchat
from sarraf.cli.main import redacted_log_config
from sarraf.config import Settings
from sarraf.store.database import make_engine
from sarraf.store.key_store import open_envelope_cipher
from sarraf.store.links import SqlLinkRepository
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread
from tests.integration.helpers import PERMISSIONS, ChatClient

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def logged_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings, Path]]:
    """A gateway on SQLite whose logs go, at DEBUG and through the production filters, to a file."""
    home = tmp_path_factory.mktemp("privacy")
    log_file = home / "gateway.log"
    config = redacted_log_config()
    config["handlers"]["file"] = {
        "class": "logging.FileHandler",
        "filename": str(log_file),
        "filters": ["redact"],
        "formatter": "default",
    }
    config["root"] = {"handlers": ["file"], "level": "DEBUG"}
    for logger in config["loggers"].values():
        logger["handlers"] = ["file"]
        logger["level"] = "DEBUG"
    logging.config.dictConfig(config)
    port = free_port()
    settings = Settings(
        data_dir=home,
        database_url=f"sqlite+aiosqlite:///{home / 'sarraf.db'}",
        banks_file=ROOT / "src/sarraf/banks.yaml",
        public_url=f"http://127.0.0.1:{port}",
        port=port,
    )
    try:
        with serve_in_thread(create_app(settings), port=port) as url:
            yield url, settings, log_file
    finally:
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})


@pytest.fixture
async def http() -> httpx.AsyncClient:
    async with httpx.AsyncClient(timeout=20) as client:
        yield client


async def test_customer_sees_exports_and_erases_what_we_hold(
    logged_gateway: tuple[str, Settings, Path], http: httpx.AsyncClient
) -> None:
    url, _, _ = logged_gateway
    chat = ChatClient(http, url)
    await chat.link(await chat.say("link my account"), "sandbox-en-1")
    (summary,) = await chat.say("what data do you hold about me?")
    assert "1 chat channel" in summary["text"] and "consent valid until" in summary["text"]
    export_url = summary["buttons"][0]["url"]
    held = (await http.get(export_url)).json()
    assert held["bank_links"][0]["status"] == "AUTH"
    assert held["bank_links"][0]["tokens"].startswith("held, encrypted")
    assert held["channels"] == [{"channel": "webchat", "id": webchat.address(chat.session)}]  # never the session id

    (confirm,) = await chat.say("delete my data")
    assert [q["payload"] for q in confirm["quick_replies"]] == ["intent:confirm_erase", "intent:deny"]
    (erased,) = await chat.say(payload="intent:confirm_erase")
    assert "erased" in erased["text"]
    assert (await http.get(export_url)).json()["bank_links"] == []
    (again,) = await chat.say("what's my balance?")
    assert again["buttons"], "after erasure the customer starts afresh and must link again"


async def test_no_token_account_number_or_iban_at_rest_or_in_logs(
    logged_gateway: tuple[str, Settings, Path], http: httpx.AsyncClient
) -> None:
    url, settings, log_file = logged_gateway
    chat = ChatClient(http, url)
    await chat.link(await chat.say("what's my balance?"), "sandbox-pl-1")
    await chat.say("pokaż ostatnie transakcje")
    await chat.say("ile wydałem w zeszłym miesiącu?")
    await chat.updates()

    engine = make_engine(settings.database_url)
    try:
        repo = SqlLinkRepository(engine, open_envelope_cipher(settings, engine))
        links = await _all_links(engine, repo)
    finally:
        await engine.dispose()
    secrets = {t for link in links for t in (link.tokens.access_token, link.tokens.refresh_token) if t}
    assert secrets, "the scripted session must have produced bank tokens"
    identifiers = await _account_identifiers(http, url)
    assert identifiers
    raw = b"".join(p.read_bytes() for p in settings.data_dir.glob("sarraf.db*"))
    logs = log_file.read_bytes()
    assert logs, "the gateway wrote logs during the session"
    for needle in secrets | identifiers:
        assert needle.encode() not in raw, f"{needle[:6]}… found in the database file"
        assert needle.encode() not in logs, f"{needle[:6]}… found in the logs"


async def _all_links(engine, repo: SqlLinkRepository):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from sarraf.store.tables.core import bank_links

    async with engine.connect() as conn:
        keys = (await conn.execute(select(bank_links.c.tenant, bank_links.c.customer_id))).all()
    return [link for t, c in keys if (link := await repo.get(t, c)) is not None and link.tokens]


async def _account_identifiers(http: httpx.AsyncClient, url: str) -> set[str]:
    from sarraf.banks.openbanking import OpenBankingConnector
    from sarraf.banks.sandbox_login import complete_sandbox_login

    connector = OpenBankingConnector(
        http,
        base_url=f"{url}/bank",
        client_id="sarraf",
        client_secret="sandbox-secret",
        financial_id="0015800001041RHAAY",
        tenant="sandbox",
    )
    start = await connector.start_linking(PERMISSIONS, f"{url}/link/callback")
    redirect = await complete_sandbox_login(http, start.url, username="sandbox-pl-1")
    tokens = await connector.finish_linking(
        httpx.URL(redirect).params["code"], start.code_verifier, f"{url}/link/callback"
    )
    return {a.identification for a in await connector.accounts(tokens)}
