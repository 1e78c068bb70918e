"""The aggregated-polling fallback (OB v4.0 POST /events) for a bank that cannot push: the gateway never
subscribes, polls the bank, and every event reaches the customer exactly once — acknowledged at the bank
with the next poll, so a SET served again before its acknowledgement is absorbed by its jti."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sarraf.config import load_settings
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread
from tests.alerts.conftest import ADMIN_SECRET, AlertGateway
from tests.alerts.helpers import collect, linked_chat, simulate

AGREEMENT = Path(__file__).resolve().parents[2] / "src" / "sarraf" / "policy" / "agreements" / "default.cedar"
POLL_BANK = f"""banks:
  - id: sandbox
    name: Sarraf Sandbox Bank
    base_url: embedded
    client_id: sarraf
    client_secret: sandbox-secret
    agreement: {AGREEMENT}
    default_language: en
    events_push: false
    events_poll_seconds: 0.2
"""


@pytest.fixture(scope="module")
def polling_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AlertGateway]:
    home = tmp_path_factory.mktemp("polling")
    (home / "banks.yaml").write_text(POLL_BANK, encoding="utf-8")
    port = free_port()
    env = {"SARRAF_HOME": str(home), "SARRAF_DATABASE_URL": f"sqlite+aiosqlite:///{home / 'sarraf.db'}",
           "SARRAF_PORT": str(port), "SARRAF_PUBLIC_URL": f"http://127.0.0.1:{port}",
           "SARRAF_BANKS_FILE": str(home / "banks.yaml"), "SARRAF_SANDBOX_ADMIN_SECRET": ADMIN_SECRET}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        settings = load_settings()
        app = create_app(settings)
    with serve_in_thread(app, port=port) as url:
        yield AlertGateway(url, settings, app)


async def test_a_polling_only_bank_delivers_every_event_exactly_once(polling_gateway: AlertGateway) -> None:
    gw = polling_gateway
    async with httpx.AsyncClient(timeout=20) as http:
        chat = await linked_chat(http, gw, "sandbox-en-1")
        hub = gw.sandbox.state.events
        assert hub.subscriptions == {}  # nothing to push to: this bank is only polled
        merchants = [f"Shop {n}" for n in range(5)]
        issued = [await simulate(http, gw, "card-payment", "sandbox-en-1", merchant=m, wait_for_push=False)
                  for m in merchants]
        assert all(e["pushed"] is None for batch in issued for e in batch)
        got = await collect(chat, len(merchants), timeout=10)
        await asyncio.sleep(0.6)  # several more polling rounds: an acknowledged SET is never served again
        got += await chat.updates()
    assert sorted(m for m in merchants for g in got if f" at {m}," in g["text"]) == merchants, got
    assert len(got) == len(merchants)
    assert hub.poll("sarraf", 100) == ({}, False)  # every SET acknowledged at the bank
    counts = await gw.services.outbox.counts()
    assert counts.get("sent") == len(merchants) and "received" not in counts, counts
