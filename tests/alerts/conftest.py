"""A real gateway with alerts running and the sandbox bank mounted at /bank, on 127.0.0.1 (SQLite)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.routing import Mount

from sarraf.alert_loops import AlertServices
from sarraf.config import Settings, load_settings
from sarraf.store.database import make_engine
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread
from tests.alerts.pipeline import create_schema
from tests.support.postgres import empty_database

ADMIN_SECRET = "sandbox-admin-for-tests"  # the embedded sandbox's admin secret, given by the environment
ADMIN = {"x-sandbox-admin-secret": ADMIN_SECRET}


@dataclass(frozen=True)
class AlertGateway:
    url: str
    settings: Settings
    app: FastAPI

    @property
    def bank(self) -> str:
        return f"{self.url}/bank"

    @property
    def sandbox(self) -> Any:
        mount = next(r for r in self.app.routes if isinstance(r, Mount) and r.path == "/bank")
        return mount.app

    @property
    def services(self) -> AlertServices:
        return self.app.state.alerts  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AlertGateway]:
    home = tmp_path_factory.mktemp("home")
    port = free_port()
    env = {"SARRAF_HOME": str(home), "SARRAF_DATABASE_URL": f"sqlite+aiosqlite:///{home / 'sarraf.db'}",
           "SARRAF_PORT": str(port), "SARRAF_PUBLIC_URL": f"http://127.0.0.1:{port}",
           "SARRAF_SANDBOX_ADMIN_SECRET": ADMIN_SECRET}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        settings = load_settings()
        app = create_app(settings)
    with serve_in_thread(app, port=port) as url:
        yield AlertGateway(url, settings, app)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=20) as client:
        yield client


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, once on SQLite and once on PostgreSQL (127.0.0.1:5432, dropped afterwards)."""
    with empty_database(request.param, tmp_path / "alerts.db", "sarraf_alerts") as url:
        yield url


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """An empty database of the current schema on `db_url` (SQLite, and PostgreSQL where marked)."""
    engine = make_engine(db_url)
    await create_schema(engine)
    try:
        yield engine
    finally:
        await engine.dispose()
