"""Scale-out layout: the gateway (SARRAF_ALERT_WORKERS=1) only verifies and stores bank events; a separate
`sarraf alerts worker` process routes (policy decision, audit entry, rendering) and delivers them.

Real processes, started the way an operator starts them, on one state folder (SQLite: one worker in all).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from sarraf.web.threaded_server import free_port
from tests.alerts.conftest import ADMIN_SECRET
from tests.alerts.helpers import collect, linked_chat, simulate

STARTUP_SECONDS = 30.0


@dataclass(frozen=True)
class GatewayProcess:
    url: str
    env: dict[str, str]
    logs: Path

    @property
    def bank(self) -> str:  # the embedded sandbox bank, as tests.alerts.helpers expects
        return f"{self.url}/bank"


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        return subprocess.Popen([sys.executable, "-m", "sarraf", *args], env=env, stdout=sink,
                                stderr=subprocess.STDOUT, start_new_session=True)


def _stop(popen: subprocess.Popen[bytes]) -> int:
    if popen.poll() is None:
        popen.send_signal(signal.SIGTERM)
        try:
            popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait(timeout=5)
    return popen.returncode


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    root = tmp_path_factory.mktemp("alert-workers")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SARRAF_")}
    env |= {"SARRAF_HOME": str(root / "home"), "SARRAF_HOST": "127.0.0.1", "SARRAF_PORT": str(port),
            "SARRAF_ALERT_WORKERS": "1", "SARRAF_SANDBOX_ADMIN_SECRET": ADMIN_SECRET}
    popen = _spawn(["serve"], env, root / "gateway.log")
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if popen.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((root / "gateway.log").read_text(errors="replace"))
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        yield GatewayProcess(url, env, root)
    finally:
        _stop(popen)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=20) as client:
        yield client


async def test_events_wait_in_the_outbox_until_a_worker_process_routes_and_delivers_them(
    gateway: GatewayProcess, http: httpx.AsyncClient
) -> None:
    chat = await linked_chat(http, gateway, "sandbox-en-1")  # type: ignore[arg-type]
    issued = await simulate(http, gateway, "card-payment", "sandbox-en-1",  # type: ignore[arg-type]
                            merchant="Pret A Manger", amount="7.85")
    assert issued[-1]["pushed"] == 202  # accepted: stored before the bank got its 2xx
    assert await collect(chat, 1, timeout=2.0) == []  # the gateway itself neither routes nor delivers

    worker = _spawn(["alerts", "worker"], gateway.env, gateway.logs / "worker.log")
    try:
        got = await collect(chat, 1, timeout=25.0)
        assert len(got) == 1, (got, (gateway.logs / "worker.log").read_text(errors="replace")[-3000:])
        assert got[0]["text"].startswith("Card payment: £7.85 at Pret A Manger")
        # and it keeps delivering what arrives while it runs
        await simulate(http, gateway, "low-balance", "sandbox-en-1", amount="12.00")  # type: ignore[arg-type]
        more = await collect(chat, 1, timeout=25.0)
        assert len(more) == 1 and more[0]["text"].startswith("Low balance"), more
    finally:
        assert _stop(worker) == 0, (gateway.logs / "worker.log").read_text(errors="replace")[-3000:]
