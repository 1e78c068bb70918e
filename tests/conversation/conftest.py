"""A gateway built as the terminal builds it, with the sandbox bank over HTTP: for tests that drive the
conversation itself (misunderstandings, the intent table)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sarraf.bootstrap import Container, build
from sarraf.config import load_banks, load_settings
from sarraf.sandbox_bank.app import create_app as create_sandbox_bank
from sarraf.web.threaded_server import serve_in_thread


@pytest.fixture
async def container(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Container]:
    monkeypatch.setenv("SARRAF_HOME", str(tmp_path))
    monkeypatch.delenv("SARRAF_DATABASE_URL", raising=False)
    settings = load_settings()
    banks = load_banks(settings.banks_file)
    with serve_in_thread(create_sandbox_bank(state_path=tmp_path / "sandbox-bank.db")) as bank_url:
        # Without the alert flows (alert_chat.NoAlerts): the conversation these tests were written against.
        built = await build(settings, bank_urls={b.id: bank_url for b in banks.values() if b.embedded},
                            chat_alerts=False)
        try:
            yield built.web
        finally:
            await built.aclose()
