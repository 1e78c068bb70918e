"""A bank that cannot push at all (standard-events sandbox, `events_push: false`): the gateway polls AIS on the
bank's schedule (`alerts.poll_transactions_seconds`) and the derived alert still reaches the web chat, once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from sarraf.config import load_settings
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread
from tests.alerts.conftest import ADMIN_SECRET, AlertGateway
from tests.alerts.helpers import collect, linked_chat, simulate
from tests.alerts.test_end_to_end_standard import DERIVE, standard_banks


def polled_banks(folder: Path) -> Path:
    path = standard_banks(folder)
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["banks"][0]["events_push"] = False
    raw["banks"][0]["alerts"] = {**DERIVE, "poll_transactions_seconds": 1, "max_calls_per_minute": 600}
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AlertGateway]:
    home = tmp_path_factory.mktemp("home")
    port = free_port()
    env = {"SARRAF_HOME": str(home), "SARRAF_DATABASE_URL": f"sqlite+aiosqlite:///{home / 'sarraf.db'}",
           "SARRAF_PORT": str(port), "SARRAF_PUBLIC_URL": f"http://127.0.0.1:{port}",
           "SARRAF_SANDBOX_ADMIN_SECRET": ADMIN_SECRET, "SARRAF_SANDBOX_EVENTS": "standard",
           "SARRAF_BANKS_FILE": str(polled_banks(home))}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        settings = load_settings()
        app = create_app(settings)
    with serve_in_thread(app, port=port) as url:
        yield AlertGateway(url, settings, app)


async def test_a_bank_that_cannot_push_is_polled_and_the_alert_comes_once(gateway: AlertGateway,
                                                                         http: httpx.AsyncClient) -> None:
    chat = await linked_chat(http, gateway, "sandbox-en-2")
    await collect(chat, 1, timeout=3.0)  # the first polls look at the account: its history is not news
    issued = await simulate(http, gateway, "card-payment", "sandbox-en-2", merchant="Boots", amount="12.30",
                            push=False)
    assert all(e["pushed"] is None for e in issued)  # nobody subscribed: the bank pushes nothing
    got = await collect(chat, 1, timeout=20.0, settle=2.5)  # a couple more polling rounds: no repeat
    assert len(got) == 1 and got[0]["text"].startswith("Card payment: £12.30 at Boots"), got
