"""The bank's console over real HTTP on 127.0.0.1: staff logins (password + TOTP, replay, lockout, CSRF, expiry),
an agent taking a web chat conversation (the bot silent meanwhile), replying and handing back, banks kept apart,
compliance reading and verifying the audit log, and the customer's "who has seen my data?" page.

Time on the console is a settable clock (the app's console services), so TOTP steps, lockouts and session expiry
never depend on how fast the machine is."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest

from sarraf.config import Settings
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread
from tests.integration.helpers import ChatClient

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Console:
    url: str
    app: Any
    clock: Clock
    secrets: dict[str, str]


def _add_staff(home: Path, db: str, banks: Path, bank: str, role: str, email: str) -> str:
    env = {"SARRAF_HOME": str(home), "SARRAF_DATABASE_URL": db, "SARRAF_BANKS_FILE": str(banks),
           "PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "sarraf", "staff", "add", "--bank", bank, "--role", role, email],
                          input=PASSWORD + "\n", capture_output=True, text=True, env=env, check=True)
    found = re.search(r"TOTP secret \(shown once\): ([A-Z2-7]+)", done.stdout)
    assert found is not None and "otpauth://totp/" in done.stdout
    return found.group(1)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    home = tmp_path_factory.mktemp("console")
    db = f"sqlite+aiosqlite:///{home / 'db.sqlite'}"
    banks = home / "banks.yaml"
    original = (ROOT / "src/sarraf/banks.yaml").read_text()
    agreement = str(ROOT / "src/sarraf/policy/agreements/default.cedar")
    answers = str(ROOT / "src/sarraf/kb/sandbox")  # the copy lives elsewhere: its relative folders would not
    banks.write_text(original.replace("policy/agreements/default.cedar", agreement)
                     .replace("answers: kb/sandbox", f"answers: {answers}") + (
        "  - id: otherbank\n    name: Other Bank\n    base_url: embedded\n    client_id: sarraf\n"
        f"    client_secret: sandbox-secret\n    agreement: {agreement}\n    default_language: pl\n"))
    port = free_port()
    settings = Settings(data_dir=home, database_url=db, banks_file=banks, public_url=f"http://127.0.0.1:{port}",
                        port=port)
    app = create_app(settings)
    with serve_in_thread(app, port=port) as url:
        staff = {"agent": ("sandbox", "agent"), "agent2": ("sandbox", "agent"), "comp": ("sandbox", "compliance"),
                 "other": ("otherbank", "agent"), "locky": ("sandbox", "agent"), "boss": ("sandbox", "supervisor"),
                 "desk1": ("sandbox", "agent"), "desk2": ("sandbox", "agent")}
        secrets = {name: _add_staff(home, db, banks, bank, role, f"{name}@bank.test")
                   for name, (bank, role) in staff.items()}
        clock = Clock()
        app.state.console.clock = clock
        yield Console(url, app, clock, secrets)


@pytest.fixture(scope="module")
def linked_chat(console: Console) -> str:
    """A web chat linked to sandbox-en-1 that asked its balance: decisions in the audit log about it."""

    async def link() -> str:
        async with httpx.AsyncClient(timeout=30) as http:
            chat = ChatClient(http, console.url)
            await chat.link(await chat.say("what's my balance?"), "sandbox-en-1")
            await chat.say("what's my balance?")
            return chat.session

    return asyncio.run(link())


def _form_token(client: httpx.Client) -> str:
    page = client.get("/console/login")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def _code(console: Console, name: str, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(console.secrets[name]).at(console.clock.now + timedelta(seconds=30 * steps_ahead))


def _login(console: Console, name: str, bank: str = "sandbox", *, password: str = PASSWORD,
           code: str | None = None) -> tuple[httpx.Client, httpx.Response]:
    client = httpx.Client(base_url=console.url, follow_redirects=False, timeout=20)
    token = _form_token(client)
    sent = client.post("/console/login", data={"bank": bank, "email": f"{name}@bank.test", "password": password,
                                               "code": code or _code(console, name), "csrf": token})
    return client, sent


def _csrf(client: httpx.Client, path: str = "/console") -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def _chat(console: Console, session: str, text: str, bank: str = "sandbox") -> list[dict[str, Any]]:
    sent = httpx.post(f"{console.url}/webchat/api/messages", json={"session": session, "text": text, "bank": bank},
                      timeout=30)
    assert sent.status_code == 200, sent.text
    return list(sent.json()["replies"])


def _pushed(console: Console, session: str) -> list[str]:
    got = httpx.get(f"{console.url}/webchat/api/updates", params={"session": session}, timeout=20)
    return [r.get("text", "") for r in got.json()["replies"]]


def _handoff_id(client: httpx.Client) -> int:
    found = re.findall(r'data-handoff="(\d+)"', client.get("/console").text)
    assert found
    return int(found[-1])


def test_wrong_password_wrong_code_and_missing_csrf_are_refused(console: Console) -> None:
    client, wrong = _login(console, "agent", password="not the password")
    assert wrong.status_code == 401 and "Wrong e-mail, password or code" in wrong.text
    assert "sarraf_console" not in client.cookies
    client, bad_code = _login(console, "agent", code="000000" if _code(console, "agent") != "000000" else "111111")
    assert bad_code.status_code == 401
    bare = httpx.post(f"{console.url}/console/login", data={"bank": "sandbox", "email": "agent@bank.test",
                                                            "password": PASSWORD, "code": _code(console, "agent")})
    assert bare.status_code == 403 and "did not come from the console" in bare.text


def test_a_code_is_good_once_and_logout_ends_the_session(console: Console) -> None:
    console.clock.advance(minutes=5)
    client, ok = _login(console, "agent2")
    assert ok.status_code == 303 and ok.headers["location"] == "/console"
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    csrf = _csrf(client)
    assert client.post("/console/logout", data={"csrf": csrf}).status_code == 303
    assert client.get("/console").status_code == 303  # the session is gone on the server
    _, replayed = _login(console, "agent2")  # the very same code again
    assert replayed.status_code == 401 and "already used" in replayed.text


def test_failed_logins_lock_the_account_with_back_off(console: Console) -> None:
    for _ in range(5):
        _, failed = _login(console, "locky", password="guess guess guess")
        assert failed.status_code == 401
    _, locked = _login(console, "locky")  # right password and code: still locked
    assert locked.status_code == 429 and "locked until" in locked.text and int(locked.headers["retry-after"]) > 0
    console.clock.advance(seconds=31)
    _, after = _login(console, "locky", code=_code(console, "locky"))
    assert after.status_code == 303


def test_agent_takes_a_web_chat_replies_and_hands_back(console: Console) -> None:
    console.clock.advance(minutes=2)
    chat = "console-flow-session-0001"
    asked = _chat(console, chat, "I want to talk to a person")
    assert asked and "join" in asked[0]["text"]
    client, ok = _login(console, "agent")
    assert ok.status_code == 303
    queue = client.get("/console")
    assert queue.status_code == 200 and "webchat" in queue.text
    handoff = _handoff_id(client)
    csrf = _csrf(client)
    # another agent cannot reply to a conversation they do not own; nothing reaches the customer
    other, _ = _login(console, "agent2", code=_code(console, "agent2", 1))
    refused = other.post(f"/console/c/{handoff}/reply", data={"csrf": _csrf(other), "text": "hi from nobody"})
    assert refused.status_code == 403 and "not yours" in refused.text
    forged = client.post(f"/console/c/{handoff}/claim", data={"csrf": "forged"})
    assert forged.status_code == 403
    assert client.post(f"/console/c/{handoff}/claim", data={"csrf": csrf}).status_code == 303
    assert any("joined" in t for t in _pushed(console, chat))
    assert not any("hi from nobody" in t for t in _pushed(console, chat))
    # while the agent owns it, the bot says nothing; the agent reads the message in the transcript
    assert _chat(console, chat, "my card was charged twice") == []
    page = client.get(f"/console/c/{handoff}")
    assert "my card was charged twice" in page.text and "I want to talk to a person" in page.text
    assert client.post(f"/console/c/{handoff}/reply", data={"csrf": csrf, "text": "I'll refund it now."}
                       ).status_code == 303
    assert "I'll refund it now." in " ".join(_pushed(console, chat))
    again = other.post(f"/console/c/{handoff}/claim", data={"csrf": _csrf(other)})
    assert again.status_code == 409 and "Another agent" in again.text
    balances = client.post(f"/console/c/{handoff}/balances", data={"csrf": csrf})
    assert balances.status_code == 200 and 'id="balances-result"' in balances.text
    assert client.post(f"/console/c/{handoff}/hand-back", data={"csrf": csrf}).status_code == 303
    assert any("back with" in t for t in _pushed(console, chat))
    assert _chat(console, chat, "hello") != []  # the bot answers again


def test_another_banks_staff_see_nothing(console: Console) -> None:
    chat = "console-bank-session-0002"
    _chat(console, chat, "can I speak to a human")
    agent, _ = _login(console, "agent", code=_code(console, "agent", 1))
    handoff = _handoff_id(agent)
    other, ok = _login(console, "other", "otherbank")
    assert ok.status_code == 303
    assert f'data-handoff="{handoff}"' not in other.get("/console").text
    assert other.get(f"/console/c/{handoff}").status_code == 404
    claim = other.post(f"/console/c/{handoff}/claim", data={"csrf": _csrf(other)})
    assert claim.status_code == 404 and "no such conversation at your bank" in claim.text
    assert f'data-handoff="{handoff}"' in agent.get("/console").text  # still waiting, untouched
    # the wrong bank on the login form finds no account
    _, wrong_bank = _login(console, "agent", "otherbank", code=_code(console, "agent", 1))
    assert wrong_bank.status_code == 401


def test_expired_session_is_refused(console: Console) -> None:
    console.clock.advance(minutes=3)
    client, _ = _login(console, "agent")
    csrf = _csrf(client)
    console.clock.advance(hours=9)
    page = client.get("/console")
    assert page.status_code == 303 and "why=expired" in page.headers["location"]
    refused = client.post("/console/c/1/claim", data={"csrf": csrf})
    assert refused.status_code == 401 and "session has ended" in refused.text


def test_compliance_filters_verifies_and_proves(console: Console, linked_chat: str) -> None:
    console.clock.advance(minutes=1)
    agent, _ = _login(console, "agent", code=_code(console, "agent"))
    assert agent.get("/console/audit").status_code == 403
    client, ok = _login(console, "comp")
    assert ok.headers["location"] == "/console/audit"
    listed = client.get("/console/audit", params={"recipient": "webchat"})
    assert listed.status_code == 200 and "webchat" in listed.text
    assert client.get("/console/audit", params={"since": "yesterday"}).status_code == 422
    verified = client.post("/console/audit/verify", data={"csrf": _csrf(client, "/console/audit")})
    assert verified.status_code == 200 and "The log is intact" in verified.text
    index = int(re.findall(r'href="/console/audit/(\d+)/proof"', listed.text)[0])
    proof = client.get(f"/console/audit/{index}/proof")
    assert proof.status_code == 200 and "the proof checks against the signed root" in proof.text
    other, _ = _login(console, "other", "otherbank", code=_code(console, "other", 1))
    assert other.get("/console/audit").status_code == 403  # an agent; and compliance of otherbank would see none


def test_customer_sees_who_has_seen_their_data(console: Console, linked_chat: str) -> None:
    chat = linked_chat
    for question in ("who has seen my data?", "kto widział moje dane?", "من اطلع على بياناتي؟"):
        replies = _chat(console, chat, question)
        urls = [b["url"] for r in replies for b in r.get("buttons", []) if b.get("url")]
        assert urls and "/secure/" in urls[0], replies
    browser = httpx.Client(timeout=20)  # a secure link works in the one browser that opened it (#17 finding 10)
    page = browser.get(urls[0])
    assert page.status_code == 200 and 'dir="rtl"' in page.text and "webchat" in page.text
    token = urls[0].rsplit("/", 1)[1]
    assert httpx.post(f"{console.url}/privacy/revoke", data={"token": token}, timeout=20).status_code == 403
    revoked = browser.post(f"{console.url}/privacy/revoke", data={"token": token})
    assert revoked.status_code == 200 and 'id="revoked"' in revoked.text and 'id="revoke"' not in revoked.text
    assert httpx.post(f"{console.url}/privacy/revoke", data={"token": "forged"}, timeout=20).status_code == 410
