"""SQL statements per chat turn, counted on a real gateway (SQLite, the sandbox bank mounted at /bank) served on
127.0.0.1 in a thread of this process: used by tests/integration/test_statements_per_turn.py and, as
`python -m tests.support.sql_count`, to list every statement of each kind of turn with where it comes from.

An ASGI wrapper gives each HTTP request a list of its own (a context variable, which SQLAlchemy's greenlets
and the tasks a request starts inherit); a `before_cursor_execute` listener appends every statement the
database is sent while that list is the current one. Statements of background loops (housekeeping, the alert
runtime) and of the bank's own requests are not counted: only the chat request's.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import greenlet
import httpx
from sqlalchemy import event
from sqlalchemy.engine import Engine

from sarraf.config import load_settings
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread
from tests.support import chat_load
from tests.support.environment import environment

SRC = str(Path(__file__).resolve().parents[2] / "src" / "sarraf")
# the chat turns themselves; not the bank's pages, not the login callback
COUNTED_PATHS = ("/webchat/api/messages", "/channels/messenger/webhook")


@dataclass
class Statement:
    sql: str
    origin: str  # the sarraf functions on the way to it, innermost first


@dataclass
class Recorded:
    statements: list[Statement] = field(default_factory=list)


_current: ContextVar[Recorded | None] = ContextVar("sarraf_sql_count", default=None)


def _sarraf_frames(frame: FrameType | None, limit: int = 3) -> list[str]:
    found: list[str] = []
    while frame is not None and len(found) < limit:
        name = frame.f_code.co_filename
        if name.startswith(SRC):
            found.append(f"{name[len(SRC) + 1:]}:{frame.f_code.co_qualname}")
        frame = frame.f_back
    return found


def _origin() -> str:
    """The async callers: SQLAlchemy runs the driver in a child greenlet; the coroutines that awaited the
    statement are suspended in its parent's frames."""
    here = greenlet.getcurrent()
    frames = _sarraf_frames(sys._getframe(2), 3)
    if here.parent is not None:
        frames += _sarraf_frames(here.parent.gr_frame, 4)
    return " ← ".join(frames) or "?"


def _before_execute(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
    recorded = _current.get()
    if recorded is not None:
        recorded.statements.append(Statement(" ".join(statement.split())[:110], _origin()))


class CountingApp:
    """Gives each counted request (COUNTED_PATHS) a fresh list; `last` is the most recent one's."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.last = Recorded()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] not in COUNTED_PATHS:
            await self.app(scope, receive, send)
            return
        recorded = Recorded()
        token = _current.set(recorded)
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)
            self.last = recorded


@dataclass(frozen=True)
class Counting:
    url: str  # the gateway
    platform_url: str  # the fake Messenger Send API (tests/support/chat_load.py), recording every call
    app: CountingApp


@contextmanager
def counting_gateway(home: Path) -> Iterator[Counting]:
    """A gateway on SQLite in `home` with Messenger and the web chat, every counted request's statements
    recorded."""
    with serve_in_thread(chat_load.platform_app()) as platform_url:
        port = free_port()
        env = {"SARRAF_HOME": str(home), "SARRAF_DATABASE_URL": f"sqlite+aiosqlite:///{home / 'sarraf.db'}",
               "SARRAF_PORT": str(port), "SARRAF_PUBLIC_URL": f"http://127.0.0.1:{port}",
               "SARRAF_MESSENGER_APP_SECRET": chat_load.SECRET, "SARRAF_MESSENGER_VERIFY_TOKEN": "verify",
               "SARRAF_MESSENGER_PAGE_TOKEN": "page-token", "SARRAF_MESSENGER_API_URL": platform_url}
        # the channels are built from the environment when the app starts: it stays set while the app runs
        with environment(env):
            app = CountingApp(create_app(load_settings()))
            event.listen(Engine, "before_cursor_execute", _before_execute)
            try:
                with serve_in_thread(app, port=port) as url:
                    yield Counting(url, platform_url, app)
            finally:
                event.remove(Engine, "before_cursor_execute", _before_execute)


TURNS = {  # the bench's kinds of turn (tests/support/chat_load.py), one question each
    "balance": "what's my balance?",
    "transactions": "show my recent transactions",
    "spending": "how much did I spend last month?",
    "small_talk": "thanks",
}
CHANNELS = ("messenger", "webchat")


async def count_turns(gateway: Counting) -> dict[tuple[str, str, int], list[Statement]]:
    """Link a customer on each channel as the bench does, then ask each kind of question twice in a row, each
    message with an id of its own (as both channels send). Keyed (channel, kind, 1): the first asking, after a
    question of another kind, so the conversation's memory changes and is written, as in the bench's mix;
    (channel, kind, 2): the same question again, memory unchanged."""
    found: dict[tuple[str, str, int], list[Statement]] = {}
    customers = [chat_load.Customer(0, "messenger", "7000000", "en", "sandbox-en-1"),
                 chat_load.Customer(1, "webchat", secrets.token_urlsafe(18), "en", "sandbox-en-1")]
    async with httpx.AsyncClient(timeout=30) as http:
        for who in customers:
            await chat_load.link_customer(gateway.url, gateway.platform_url, who)
            for kind, text in TURNS.items():
                for asking in (1, 2):
                    await _say(http, gateway, who, text)
                    found[(who.kind, kind, asking)] = gateway.app.last.statements
    return found


async def _say(http: httpx.AsyncClient, gateway: Counting, who: chat_load.Customer, text: str) -> None:
    key = f"m_{secrets.token_hex(6)}"
    if who.kind == "messenger":
        raw = chat_load.webhook_body(who.sender, text, key)
        sent = len(await chat_load.platform_calls(gateway.platform_url))
        answer = await http.post(f"{gateway.url}/channels/messenger/webhook", content=raw,
                                 headers=chat_load.signed(raw))
        assert answer.status_code == 200, answer.text
        assert len(await chat_load.platform_calls(gateway.platform_url)) > sent, f"{text!r}: not answered"
    else:
        answer = await http.post(f"{gateway.url}/webchat/api/messages",
                                 json={"session": who.sender, "text": text, "message_id": key})
        assert answer.status_code == 200 and answer.json()["replies"], answer.text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sarraf-sql-count-") as tmp, counting_gateway(Path(tmp)) as gateway:
        found = asyncio.run(count_turns(gateway))
    for (channel, kind, asking), statements in found.items():
        print(f"\n== {channel} {kind} ({'after another question' if asking == 1 else 'asked again'}): "
              f"{len(statements)} statements")
        for n, s in enumerate(statements, 1):
            print(f"{n:>3}. {s.sql}\n       {s.origin}")
    columns = [(channel, asking) for channel in CHANNELS for asking in (1, 2)]
    print(f"\n{'turn':<14}" + "".join(f"{channel + (' again' if asking == 2 else ''):>16}"
                                     for channel, asking in columns))
    for kind in TURNS:
        print(f"{kind:<14}" + "".join(f"{len(found[(channel, kind, asking)]):>16}" for channel, asking in columns))
    print("RESULT " + " ".join(f"{channel}_{kind}{'_again' if asking == 2 else ''}={len(s)}"
                               for (channel, kind, asking), s in found.items()))


if __name__ == "__main__":
    main()
