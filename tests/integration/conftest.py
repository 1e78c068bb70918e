"""A real gateway (with the sandbox bank mounted at /bank) on 127.0.0.1, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sarraf.config import Settings, load_settings
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread
from tests.support.postgres import temporary_database

OPERATOR_TOKEN = "operator-test-token"


@dataclass(frozen=True)
class Gateway:
    url: str
    settings: Settings


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'sarraf.db'}"
        return
    with temporary_database() as url:
        yield url


@pytest.fixture(scope="session")
def gateway(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    home: Path = tmp_path_factory.mktemp("home")
    port = free_port()
    env = {
        "SARRAF_HOME": str(home),
        "SARRAF_DATABASE_URL": database_url,
        "SARRAF_PORT": str(port),
        "SARRAF_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "SARRAF_OPERATOR_TOKEN": OPERATOR_TOKEN,
    }
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        settings = load_settings()
    with serve_in_thread(create_app(settings), port=port) as url:
        yield Gateway(url, settings)
