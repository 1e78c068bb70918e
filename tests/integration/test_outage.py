"""Database outage and full disk (issue #22, finding 6): liveness stays cheap and green, readiness says what is
down (503), the customer gets "we are having trouble, nothing was changed" in their language instead of a bare
500, a platform webhook gets a 503 so the platform delivers again, the logs hold one traceback per error with
the rest counted, and everything works again afterwards (integrity check and audit verify after a full disk).

The outage is real: a temporary PostgreSQL database refusing connections (ALLOW_CONNECTIONS false) with its
sessions killed by pg_terminate_backend. The full disk is SQLite's own: PRAGMA max_page_count at the current
size on every connection the gateway checks out, so any write that needs a new page fails with SQLITE_FULL.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from sarraf.config import load_settings
from sarraf.log_repeats import RepeatedErrors
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread
from tests.integration.helpers import ChatClient
from tests.support.postgres import temporary_database

PG_ADMIN = os.environ.get("SARRAF_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TELEGRAM_SECRET = "telegram-secret-token"
TROUBLE = {"en": "Nothing was changed", "pl": "Nic nie zostało zmienione", "ar": "لم يتغير شيء"}
SARRAF = str(Path(sys.executable).with_name("sarraf"))
SESSION = "outage-session-0123456789"


@dataclass
class Served:
    url: str
    app: FastAPI
    env: dict[str, str]


@contextmanager
def _gateway(home: Path, database_url: str) -> Iterator[Served]:
    port = free_port()
    env = {"SARRAF_HOME": str(home), "SARRAF_DATABASE_URL": database_url, "SARRAF_PORT": str(port),
           "SARRAF_PUBLIC_URL": f"http://127.0.0.1:{port}", "SARRAF_TELEGRAM_BOT_TOKEN": "123:abc",
           "SARRAF_TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET, "SARRAF_TELEGRAM_API_URL": "http://127.0.0.1:9"}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        app = create_app(load_settings())
        with serve_in_thread(app, port=port) as url:
            yield Served(url, app, env)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


class Recorded(logging.Handler):
    """What reached the logs: every record (raw), and the lines a handler with RepeatedErrors writes."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.raw: list[logging.LogRecord] = []
        self.lines: list[str] = []
        self._repeats = RepeatedErrors()
        self.setFormatter(logging.Formatter("%(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.raw.append(record)
        copy = logging.makeLogRecord(record.__dict__)
        if self._repeats.filter(copy):
            self.lines.append(self.format(copy))


async def _say(http: httpx.AsyncClient, url: str, text: str, lang: str, session: str = SESSION) -> httpx.Response:
    return await http.post(f"{url}/webchat/api/messages", json={"session": session, "text": text},
                           headers={"accept-language": f"{lang},en;q=0.5"})


def _telegram_update(update_id: int) -> dict[str, Any]:
    return {"update_id": update_id, "message": {"message_id": update_id, "date": 1_700_000_000, "text": "hi",
                                                 "from": {"id": 4242, "is_bot": False, "first_name": "A"},
                                                 "chat": {"id": 4242, "type": "private"}}}


async def _ready(http: httpx.AsyncClient, url: str) -> httpx.Response:
    """/readyz once the gateway's pool has replaced its dead connections (a few probes at most)."""
    for _ in range(50):
        response = await http.get(f"{url}/readyz")
        if response.status_code == 200:
            return response
        await asyncio.sleep(0.2)
    return response


@pytest.fixture
def pg_url() -> Iterator[str]:
    with temporary_database("sarraf_outage") as url:
        yield url


async def test_a_database_outage_is_visible_and_explained(tmp_path: Path, pg_url: str,
                                                          http: httpx.AsyncClient) -> None:
    database_url = pg_url
    with _gateway(tmp_path, database_url) as gw:
        name = database_url.rsplit("/", 1)[-1]
        assert (await _say(http, gw.url, "hello", "en")).status_code == 200
        ready = (await http.get(f"{gw.url}/readyz")).json()
        assert ready["status"] == "ready" and ready["database"] == "ok" and ready["banks"] == {"sandbox": "reachable"}
        assert ready["alerts"]["routing"] == ready["alerts"]["delivery"] == "running"
        recorded = Recorded()
        logging.getLogger("sarraf").addHandler(recorded)
        admin = await asyncpg.connect(PG_ADMIN)
        try:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = $1 AND pid <> pg_backend_pid()", name)

            assert (await http.get(f"{gw.url}/healthz")).status_code == 200  # liveness: the process answers
            down = await http.get(f"{gw.url}/readyz")
            assert down.status_code == 503 and down.json()["database"].startswith("down")
            for lang, words in TROUBLE.items():
                answer = await _say(http, gw.url, "what's my balance?", lang)
                assert answer.status_code == 503 and answer.headers["retry-after"]
                (reply,) = answer.json()["replies"]
                assert words in reply["text"] and reply["lang"] == lang
                assert reply["dir"] == ("rtl" if lang == "ar" else "ltr")
            webhook = await http.post(f"{gw.url}/channels/telegram/webhook", json=_telegram_update(7),
                                      headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})
            assert webhook.status_code == 503 and webhook.headers["retry-after"]  # Telegram sends it again
            for i in range(20):
                await _say(http, gw.url, f"hello {i}", "en")
        finally:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            await admin.close()
            logging.getLogger("sarraf").removeHandler(recorded)

        tracebacks = [line for line in recorded.lines if "Traceback" in line]
        kinds = {(r.name, str(r.msg), r.exc_info[0].__name__ if r.exc_info and r.exc_info[0] else "")
                 for r in recorded.raw}
        print(f"\noutage logs: {len(recorded.raw)} records, {len(recorded.lines)} lines written "
              f"({len(tracebacks)} tracebacks) for {len(kinds)} distinct errors")
        assert len(recorded.lines) == len(kinds)  # each distinct error once; the repeats only counted
        assert len(tracebacks) <= len(kinds)

        assert (await _ready(http, gw.url)).status_code == 200  # recovered
        assert (await _say(http, gw.url, "hello", "en")).status_code == 200
        retried = await http.post(f"{gw.url}/channels/telegram/webhook", json=_telegram_update(7),
                                  headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})
        assert retried.status_code == 200  # the platform's redelivery is taken once the store is back


def _full_disk(app: FastAPI, limit: list[int | None]) -> None:
    """Every connection the gateway checks out gets PRAGMA max_page_count = limit[0] (None: SQLite's maximum)."""
    engine = app.state.container.engine.sync_engine

    @event.listens_for(engine, "checkout")
    def _cap(dbapi_connection, *_: object) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        if limit[0] is None:
            cursor.execute("PRAGMA max_page_count = 4294967294")
        else:
            cursor.execute(f"PRAGMA max_page_count = {limit[0]}")
        cursor.close()


async def test_a_full_disk_is_explained_and_recovered(tmp_path: Path, http: httpx.AsyncClient) -> None:
    database = tmp_path / "sarraf.db"
    with _gateway(tmp_path, f"sqlite+aiosqlite:///{database}") as gw:
        chat = ChatClient(http, gw.url, SESSION)
        await chat.link(await chat.say("połącz konto"), "sandbox-pl-1")
        assert "zł" in (await _say(http, gw.url, "ile mam na koncie?", "pl")).json()["replies"][0]["text"]  # audited
        with sqlite3.connect(database) as probe:
            pages = probe.execute("PRAGMA page_count").fetchone()[0]
        limit: list[int | None] = [pages]
        _full_disk(gw.app, limit)
        refused = None
        for _ in range(500):  # every answer appends to the audit log; the first may fit in the last pages
            answer = await _say(http, gw.url, "ile mam na koncie?", "pl")
            if answer.status_code != 200:
                refused = answer
                break
        assert refused is not None and refused.status_code == 503, "the database never filled up"
        (reply,) = refused.json()["replies"]
        assert TROUBLE["pl"] in reply["text"]

        limit[0] = None  # space again
        again = await _say(http, gw.url, "ile mam na koncie?", "pl")
        assert again.status_code == 200 and "zł" in again.json()["replies"][0]["text"]
    with sqlite3.connect(database) as check:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert check.execute("SELECT count(*) FROM audit_leaves").fetchone()[0] > 0
    verified = subprocess.run([SARRAF, "audit", "verify"], env={**os.environ, **gw.env}, capture_output=True,
                              text=True, timeout=120)
    assert verified.returncode == 0 and "OK" in verified.stdout, verified.stdout + verified.stderr
    print(f"\nfull disk: refused with 503 at {pages} pages; after: {verified.stdout.strip().splitlines()[-1]}")
