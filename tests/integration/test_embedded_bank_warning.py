"""The embedded sandbox bank with a shared (PostgreSQL) database is a replica set of sandboxes: say so."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from sarraf.config import Settings
from sarraf.web.app import SHARED_DATABASE_WITH_EMBEDDED_BANK, create_app

BANKS = "banks:\n  - id: sandbox\n    name: Sandbox Bank\n    base_url: embedded\n    client_id: sarraf\n" \
        "    client_secret: sandbox-secret\n"


def _settings(tmp_path: Path, url: str) -> Settings:
    banks = tmp_path / "banks.yaml"
    banks.write_text(BANKS)
    return Settings(data_dir=tmp_path, database_url=url, banks_file=banks, public_url="http://127.0.0.1:8000")


@pytest.mark.parametrize(("url", "warned"), [
    ("postgresql+asyncpg://postgres@127.0.0.1:5432/test", True),
    ("sqlite+aiosqlite:///{tmp}/sarraf.db", False),
])
def test_embedded_bank_on_a_shared_database_is_warned_about(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                            url: str, warned: bool) -> None:
    with caplog.at_level(logging.WARNING, logger="sarraf.web.app"):
        create_app(_settings(tmp_path, url.format(tmp=tmp_path)))
    assert (SHARED_DATABASE_WITH_EMBEDDED_BANK in caplog.text) is warned
