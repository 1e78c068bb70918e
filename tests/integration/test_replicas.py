"""Two gateway processes on one PostgreSQL database behave as one gateway ("stateless replicas").

Real processes (`python -m sarraf serve`), never threads of one process, so nothing can be shared in memory
by accident; one standalone sandbox bank that both reach over HTTP. Besides the database, the replicas share
the banks file, the state folder SARRAF_HOME (keys/: master key and secrets; the audit-checkpoint mirror) and
the public URL: the address of the load balancer in front of them. There is no balancer here: the test plays
it, sending each request to the replica it names, so a turn that works proves that replica needed nothing but
what the other left in the database and the shared state folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

import sarraf
from sarraf.banks.sandbox_login import complete_sandbox_login
from sarraf.config import load_settings
from sarraf.i18n.replies import format_date
from sarraf.store.audit_store import open_audit_log
from sarraf.store.database import make_engine
from sarraf.web.threaded_server import free_port
from tests.support.postgres import temporary_database

pytestmark = [pytest.mark.postgres, pytest.mark.slow]  # real gateway processes on one PostgreSQL

AGREEMENT = Path(sarraf.__file__).parent / "policy" / "agreements" / "default.cedar"
STARTUP_SECONDS = 30.0


@dataclass
class Process:
    name: str
    url: str
    popen: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@dataclass(frozen=True)
class Deployment:
    front_door: str  # the public URL both replicas announce (a load balancer's, in production)
    a: Process
    b: Process
    bank_url: str
    env: dict[str, str]  # what both replicas share: database, banks file, state folder, public URL

    def via(self, replica: Process, url: str) -> str:
        """Route a public URL to one replica, as the load balancer would have."""
        assert url.startswith(self.front_door), url
        return replica.url + url[len(self.front_door):]


def _spawn(name: str, args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, *args], env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )


def _wait_ready(process: Process, path: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise RuntimeError(f"{process.name} exited with {process.popen.returncode}:\n{process.output()}")
        try:
            if httpx.get(process.url + path, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{process.name} did not start within {STARTUP_SECONDS}s:\n{process.output()}")


def stop(process: Process) -> None:
    if process.popen.poll() is None:
        process.popen.terminate()
        try:
            process.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.popen.kill()
            process.popen.wait(timeout=5)


def _gateway_env(shared: dict[str, str], port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SARRAF_")}
    return {**env, **shared, "SARRAF_HOST": "127.0.0.1", "SARRAF_PORT": str(port)}


def start_gateway(name: str, shared: dict[str, str], logs: Path) -> Process:
    port = free_port()
    log = logs / f"{name.replace(' ', '-')}.log"
    popen = _spawn(name, ["-m", "sarraf", "serve"], _gateway_env(shared, port), log)
    return Process(name, f"http://127.0.0.1:{port}", popen, log)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("replicas")
    started: list[Process] = []
    with temporary_database("sarraf_replicas") as database_url:
        try:
            bank_port = free_port()
            bank = Process(
                "sandbox bank",
                f"http://127.0.0.1:{bank_port}",
                _spawn("bank", ["-m", "sarraf.sandbox_bank", "--port", str(bank_port), "--state",
                                str(root / "bank.db")], dict(os.environ), root / "bank.log"),
                root / "bank.log",
            )
            started.append(bank)
            banks_file = root / "banks.yaml"
            banks_file.write_text(
                "banks:\n"
                "  - id: sandbox\n"
                "    name: Sarraf Sandbox Bank\n"
                f"    base_url: {bank.url}\n"
                "    client_id: sarraf\n"
                "    client_secret: sandbox-secret\n"
                f"    agreement: {AGREEMENT}\n",
                encoding="utf-8",
            )
            front_door = f"http://127.0.0.1:{free_port()}"
            shared = {
                "SARRAF_DATABASE_URL": database_url,
                "SARRAF_BANKS_FILE": str(banks_file),
                "SARRAF_HOME": str(root / "shared-state"),  # keys/ and the audit-checkpoint mirror
                "SARRAF_PUBLIC_URL": front_door,
                # platform send quotas shared over JetStream KV (connects at start, closes at shutdown)
                "SARRAF_NATS_URL": "nats://127.0.0.1:4222",
            }
            _wait_ready(bank, "/sarraf/v1/jwks.json")
            # One after the other: the first creates the schema and the keys, the second joins them.
            a = start_gateway("replica A", shared, root)
            started.append(a)
            _wait_ready(a, "/healthz")
            b = start_gateway("replica B", shared, root)
            started.append(b)
            _wait_ready(b, "/healthz")
            yield Deployment(front_door, a, b, bank.url, shared)
        finally:
            for process in reversed(started):
                stop(process)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=20) as client:
        yield client


async def say(http: httpx.AsyncClient, replica: Process, session: str, text: str) -> list[dict[str, object]]:
    response = await http.post(f"{replica.url}/webchat/api/messages", json={"session": session, "text": text})
    assert response.status_code == 200, f"{replica.name}: {response.text}\n{replica.output()[-3000:]}"
    return list(response.json()["replies"])


async def pushed(http: httpx.AsyncClient, replica: Process, session: str) -> list[dict[str, object]]:
    response = await http.get(f"{replica.url}/webchat/api/updates", params={"session": session, "after": 0})
    assert response.status_code == 200, response.text
    return list(response.json()["replies"])


def button_url(replies: list[dict[str, object]]) -> str:
    return next(str(b["url"]) for r in replies for b in r["buttons"] if b["url"])  # type: ignore[attr-defined]


def audit_cli(deployment: Deployment) -> subprocess.CompletedProcess[str]:
    """`sarraf audit verify` as an operator runs it against the shared state folder."""
    env = _gateway_env(deployment.env, 0)
    return subprocess.run(
        [sys.executable, "-m", "sarraf", "audit", "verify"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )


async def audit_view(deployment: Deployment) -> tuple[int, int, list[str]]:
    """(entries, checkpoints, pseudonyms) of the shared log, after verifying it with the shared keys."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in deployment.env.items():
            patch.setenv(key, value)
        settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        log = await open_audit_log(settings, engine)
        report = await log.verify()
        assert report.ok, report.lines()
        recent = await log.recent(1000)
        return report.size, report.checkpoints, [str(leaf["customer"]) for _, leaf in recent]
    finally:
        await engine.dispose()


async def test_one_conversation_alternating_between_two_replicas(
    deployment: Deployment, http: httpx.AsyncClient
) -> None:
    a, b, via = deployment.a, deployment.b, deployment.via
    session = "replica-chat-0123456789"

    # Ask on A: not linked yet, so a login button on the public URL.
    invite = await say(http, a, session, "what's my balance?")
    login = button_url(invite)
    assert login.startswith(f"{deployment.front_door}/link/start/")

    # Start the bank login on A, come back from the bank to B.
    redirect = await complete_sandbox_login(http, via(a, login), username="sandbox-en-1")
    assert redirect.startswith(f"{deployment.front_door}/link/callback?")
    callback = await http.get(via(b, redirect), follow_redirects=False)
    assert callback.status_code == 303, f"{callback.text}\n{b.output()[-3000:]}"
    # B answered the question A was asked; the answer waits in the chat for whichever replica the browser polls.
    resumed = await pushed(http, a, session)
    assert [r["lang"] for r in resumed] == ["en", "en"]
    balance_text = str(resumed[1]["text"])
    assert "£" in balance_text
    entries, _, _ = await audit_view(deployment)

    # Balance on A, transactions on B: each reads the bank with the tokens the other stored (encrypted).
    balance = await say(http, a, session, "what's my balance?")
    assert balance[0]["text"] == balance_text
    after_a, _, _ = await audit_view(deployment)
    listing = await say(http, b, session, "show my recent transactions")
    assert str(listing[0]["text"]).startswith(("Your last", "Your recent")), listing
    after_b, _, pseudonyms = await audit_view(deployment)
    assert entries < after_a < after_b  # both replicas wrote into the one log...
    assert len(set(pseudonyms)) == 1  # ...and name the customer alike (one pseudonymisation secret)

    # The conversation's context is in the database too: a follow-up asked on B continues A's question, and a
    # typed answer on A answers the question B asked.
    await say(http, a, session, "how much did I spend last month?")
    (earlier,) = await say(http, b, session, "the month before?")
    first = datetime.now(UTC).date().replace(day=1)
    month_before = (first - timedelta(days=1)).replace(day=1) - timedelta(days=1)
    assert format_date(month_before.replace(day=1), "en") in str(earlier["text"]), earlier
    await say(http, b, session, "delete my data")
    (kept,) = await say(http, a, session, "no")
    assert kept["text"] == "All right, I won't do anything."

    # A secure link issued by A opens on B.
    (summary,) = await say(http, a, session, "show me my data")
    secure = button_url([summary])
    assert secure.startswith(f"{deployment.front_door}/secure/")
    page = await http.get(via(b, secure))
    assert page.status_code == 200, page.text
    assert page.json()["customer"]["id"]

    # An operator signs a checkpoint (`sarraf audit verify` from a third process on the shared state)...
    first = audit_cli(deployment)
    assert first.returncode == 0, first.stdout + first.stderr
    await say(http, b, session, "what's my balance?")

    # Withdraw consent on A: B refuses to read the bank from the very next turn.
    revoked = await say(http, a, session, "stop sharing my data with this chat")
    assert "stopped" in str(revoked[0]["text"])
    before, _, _ = await audit_view(deployment)
    refused = await say(http, b, session, "what's my balance?")
    assert refused[0]["buttons"] and "Log in" in str(refused[0]["buttons"][0]["title"])  # type: ignore[index]
    after, _, _ = await audit_view(deployment)
    assert after == before  # nothing was decided about, let alone read

    # ...A signs the next one as it shuts down, and the chain of both still verifies with either's keys.
    stop(a)
    assert "Application shutdown complete" in a.output(), a.output()[-3000:]
    final = audit_cli(deployment)
    assert final.returncode == 0, final.stdout + final.stderr
    _, checkpoints, _ = await audit_view(deployment)
    assert checkpoints == 2


def test_a_replica_with_a_state_folder_of_its_own_refuses_to_start(deployment: Deployment, tmp_path: Path) -> None:
    """Joining the database with keys of its own would wrap new data keys under a master key nobody else has,
    sign links and checkpoints nobody else accepts: the replica must refuse, saying why, and create nothing."""
    stray = {**deployment.env, "SARRAF_HOME": str(tmp_path / "home")}
    process = start_gateway("stray replica", stray, tmp_path)
    try:
        process.popen.wait(timeout=STARTUP_SECONDS)
    finally:
        stop(process)
    assert process.popen.returncode != 0
    # the start-up check's one line (startup.py): which keys, that the database holds data sealed with others
    assert "the database holds da" in process.output() and "SARRAF_HOME" in process.output()
    assert "Traceback" not in process.output()
    assert not (tmp_path / "home" / "keys" / "master-v1.key").exists()
