"""A normal start with the embedded sandbox bank subscribes to its events once the server serves, without
logging a failed attempt: the embedded bank cannot answer before the server it is mounted in listens, which
uvicorn does only after the application's start-up (as `sarraf serve` runs it: host and port, no socket
handed in)."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from starlette.routing import Mount

from sarraf.config import DEFAULT_BANKS_FILE, Settings
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port

BOUND = 30.0  # seconds: a bound for a busy machine, not a speed requirement


def _until(done: object, what: str) -> None:
    deadline = time.monotonic() + BOUND
    while not done():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_embedded_bank_subscription_is_made_without_a_failed_attempt(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'sarraf.db'}",
                        banks_file=DEFAULT_BANKS_FILE, public_url=public, port=port)
    with caplog.at_level(logging.DEBUG, logger="sarraf"):
        app = create_app(settings)
        hub = next(r.app for r in app.routes if isinstance(r, Mount) and r.path == "/bank").state.events
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                               access_log=False))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            _until(lambda: server.started, "the gateway did not start")
            _until(lambda: "sarraf" in hub.subscriptions, "no event subscription at the embedded bank")
            subscription = hub.subscriptions["sarraf"]
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    assert subscription.callback_url == f"{public}/banks/sandbox/events"
    said = [r.getMessage() for r in caplog.records if "subscription" in r.getMessage()]
    assert not [m for m in said if "fail" in m or "retrying" in m], said
